using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Inspection;

/// <summary>The yearly report (R13.1) from the cluster's stores when the provider is PostgreSql: the consent log, the
/// history (its hash chain checked by the cluster store), the registry, the detections and the wrapped keys read from
/// the cluster.</summary>
/// <remarks>The same <see cref="InspectionBuilder"/> as <see cref="StoredInspection"/>, fed in the same order; reads
/// only. The cluster's history has no signed checkpoints (docs/scale-out.md), so its verification reports none.</remarks>
internal static class ClusterInspection
{
    public static async Task<InspectionReport> RunAsync(ClusterStores cluster, InspectionSettings settings, DateTimeOffset asOf, CancellationToken cancellationToken = default)
    {
        var builder = new InspectionBuilder(settings, asOf);
        foreach (var e in cluster.Consent.Events())
        {
            builder.AddConsentEvent(e);
        }

        var entries = 0L;
        foreach (var entry in cluster.History.Entries())
        {
            builder.AddHistoryEntry(entry);
            entries++;
        }

        var broken = await cluster.History.FindFirstBrokenLinkAsync(cancellationToken).ConfigureAwait(false);
        builder.SetHistoryVerification(broken is { } at
            ? new HistoryVerification.Broken(at, "the entry does not extend the hash chain of the cluster's history")
            : new HistoryVerification.Intact(entries, null));
        foreach (var e in cluster.Registry.Events())
        {
            builder.AddRegistryEvent(e);
        }

        var partitions = cluster.Detections.Partitions();
        foreach (var participant in partitions.Select(p => p.Participant).Distinct())
        {
            DetectionCursor? cursor = null;
            do
            {
                var page = await cluster.Detections.QueryAsync(new DetectionQuery { Participant = participant, From = DateTimeOffset.MinValue, To = DateTimeOffset.MaxValue, Limit = DetectionQuery.MaxLimit, Cursor = cursor }, cancellationToken).ConfigureAwait(false);
                foreach (var record in page.Records)
                {
                    builder.AddDetection(record.Header.ObservedAt);
                }

                cursor = page.Next;
            }
            while (cursor is not null);
        }

        foreach (var (participant, month) in partitions)
        {
            builder.AddPartition(participant, month, cluster.Detections.Stats(participant, month)?.Records ?? 0);
        }

        foreach (var participant in cluster.Keys.Participants().OrderBy(p => p.Value, StringComparer.Ordinal))
        {
            foreach (var epoch in cluster.Keys.WrappedSetEpochs(participant))
            {
                if (cluster.Keys.TryLoadWrappedSet(epoch, out var set))
                {
                    builder.AddWrappedKeyHolders(epoch, [.. set.Wrapped.Select(w => w.Thumbprint)]);
                }
            }
        }

        return builder.Build();
    }
}
