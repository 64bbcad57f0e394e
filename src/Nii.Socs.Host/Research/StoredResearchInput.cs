using System.Runtime.CompilerServices;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Research;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Host.Research;

/// <summary>A research export's input from a data directory: the detections and the registry's identities of the
/// configured provider (the data directory's FASTER stores, or the cluster's) (R9.1).</summary>
internal static class StoredResearchInput
{
    /// <summary>Opens the input of a data directory, or null when it holds no detection store.</summary>
    public static ResearchInput? Open(string dataDirectory)
    {
        var full = Path.GetFullPath(dataDirectory);
        using var view = Cli.StoreView.Open(full, TimeProvider.System);
        if (!view.HasDetections)
        {
            return null;
        }

        // Every identifying field of every participant, so the export can scrub them all.
        var participants = view.Registry.State.Participants.Values
            .Select(p => new ParticipantIdentity(
                p.Id,
                p.Name,
                [.. p.Contacts, .. p.Operators.SelectMany(o => new[] { o.Name, o.Mail, o.Phone ?? string.Empty })],
                [.. p.Certificates.Values.SelectMany(c => new[] { c.Thumbprint, c.OperatorEmail })]))
            .ToList();
        return new ResearchInput(new StoreRangeReader(full), participants);
    }

    /// <summary>Reads every participant's records of a time range, opening the store for the read only.</summary>
    private sealed class StoreRangeReader(string dataDirectory) : IDetectionRangeReader
    {
        public async IAsyncEnumerable<DetectionRecord> ReadRangeAsync(DateTimeOffset start, DateTimeOffset until, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            using var view = Cli.StoreView.Open(dataDirectory, TimeProvider.System);
            var store = view.Detections();
            foreach (var participant in store.Partitions().Select(p => p.Participant).Distinct().OrderBy(p => p.Value, StringComparer.Ordinal))
            {
                DetectionCursor? cursor = null;
                do
                {
                    var page = await store.QueryAsync(new DetectionQuery { Participant = participant, From = start, To = until, Limit = DetectionQuery.MaxLimit, Cursor = cursor }, cancellationToken).ConfigureAwait(false);
                    foreach (var record in page.Records)
                    {
                        yield return record;
                    }

                    cursor = page.Next;
                }
                while (cursor is not null);
            }
        }
    }
}
