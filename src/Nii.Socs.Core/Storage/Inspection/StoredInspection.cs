using System.Buffers.Binary;
using System.Globalization;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Storage.Inspection;

/// <summary>Streams a data directory into an <see cref="InspectionBuilder"/>: the yearly report from stored data (R13.1).</summary>
/// <remarks>
/// R13.1. Reads only: the consent log (through <see cref="IConsentEventSource"/>), the operation history entry by
/// entry with the store's verifier beside the report's own chain check, the registry, each partition's sidecar
/// index 56 bytes at a time, and each epoch's wrapped set. Memory stays bounded by participants, open epochs,
/// requests and findings, not by entries or detections.
/// <para>Edge case: a partition whose sidecar index lags its log after a crash shows fewer records here until the
/// store next opens it and catches the index up; the inspection never writes to the data directory.</para>
/// </remarks>
internal static class StoredInspection
{
    /// <summary>Computes the report of one year from a data directory.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="settings">The year and graces.</param>
    /// <param name="asOf">The instant the state is read (the caller's clock).</param>
    /// <param name="consent">The consent log; null reads <c>&lt;data&gt;/consent/</c> through <see cref="ConsentLogSource"/>.</param>
    /// <param name="witnessDirectory">The history's witness directory (R6.4), checked with the history; null for none.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="settings"/> is null.</exception>
    /// <exception cref="DirectoryNotFoundException">The data directory does not exist.</exception>
    /// <remarks>R13.1. Edge case: a directory with only an operation history still gives every section, most of
    /// them empty.</remarks>
    public static InspectionReport Run(string dataDirectory, InspectionSettings settings, DateTimeOffset asOf, IConsentEventSource? consent = null, string? witnessDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentNullException.ThrowIfNull(settings);
        var root = Path.GetFullPath(dataDirectory);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"The data directory '{dataDirectory}' does not exist.");
        }

        var builder = new InspectionBuilder(settings, asOf);
        foreach (var e in (consent ?? new ConsentLogSource(root)).ReadEvents())
        {
            builder.AddConsentEvent(e);
        }

        ReadHistory(root, builder, witnessDirectory);
        ReadRegistry(root, builder);
        ReadPartitions(root, builder);
        ReadWrappedKeys(root, builder);
        return builder.Build();
    }

    /// <summary>Feeds every history entry to the report and records the store's own verification (R6.4) beside
    /// the report's chain check; the witness configured for the history is consulted when given.</summary>
    private static void ReadHistory(string root, InspectionBuilder builder, string? witnessDirectory)
    {
        var result = OperationHistoryStore.VerifyCore(root, witnessDirectory, null, builder.AddHistoryEntry);
        if (result is HistoryVerification.Broken || Directory.Exists(Path.Combine(root, OperationHistoryStore.DirectoryName, "log")))
        {
            builder.SetHistoryVerification(result);
        }
    }

    private static void ReadRegistry(string root, InspectionBuilder builder)
    {
        if (!Directory.Exists(Path.Combine(root, RegistryStore.DirectoryName)))
        {
            return;
        }

        // Read-only: the inspection may run beside the service that owns the registry (issue #15).
        using var log = FasterLogHandle.OpenReadOnly(Path.Combine(root, RegistryStore.DirectoryName));
        using var iterator = log.Log.Scan(log.Log.BeginAddress, log.Log.CommittedUntilAddress);
        while (iterator.GetNext(out var bytes, out var length, out _))
        {
            builder.AddRegistryEvent(RegistryEventCodec.Decode(bytes.AsMemory(0, length)));
        }
    }

    private static void ReadPartitions(string root, InspectionBuilder builder)
    {
        var detections = Path.Combine(root, DetectionStore.DirectoryName);
        if (!Directory.Exists(detections))
        {
            return;
        }

        var buffer = new byte[IndexEntry.Size * 1024];
        foreach (var participantDirectory in Directory.EnumerateDirectories(detections).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(participantDirectory);
            if (!ParticipantId.IsValid(name))
            {
                continue;
            }

            var participant = new ParticipantId(name);
            foreach (var monthDirectory in Directory.EnumerateDirectories(participantDirectory).Order(StringComparer.Ordinal))
            {
                if (!DetectionStore.TryParseMonth(Path.GetFileName(monthDirectory), out var month))
                {
                    // A ".deleting-" tombstone is a deletion the sweeper finishes on its next run.
                    continue;
                }

                builder.AddPartition(participant, month, CountDetections(Path.Combine(monthDirectory, DetectionPartition.IndexFileName), builder, buffer));
            }
        }
    }

    private static long CountDetections(string indexPath, InspectionBuilder builder, byte[] buffer)
    {
        if (!File.Exists(indexPath))
        {
            return 0;
        }

        long count = 0;
        using var file = new FileStream(indexPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        var filled = 0;
        int read;
        while ((read = file.Read(buffer, filled, buffer.Length - filled)) > 0)
        {
            filled += read;
            var whole = filled / IndexEntry.Size * IndexEntry.Size;
            for (var offset = 0; offset < whole; offset += IndexEntry.Size)
            {
                var ticks = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(offset));
                if (ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks)
                {
                    builder.AddDetection(new DateTimeOffset(ticks, TimeSpan.Zero));
                }

                count++;
            }

            // A torn last entry (crash mid-write) stays in the buffer and is never counted.
            buffer.AsSpan(whole, filled - whole).CopyTo(buffer);
            filled -= whole;
        }

        return count;
    }

    private static void ReadWrappedKeys(string root, InspectionBuilder builder)
    {
        var directory = new WrappedKeyDirectory(root);
        var store = new FileKeyStore(root);
        foreach (var participant in directory.Participants().OrderBy(p => p.Value, StringComparer.Ordinal))
        {
            foreach (var index in directory.Epochs(participant))
            {
                var epoch = new EpochId(participant, index);
                if (store.TryLoadWrappedSet(epoch, out var set))
                {
                    builder.AddWrappedKeyHolders(epoch, [.. set.Wrapped.Select(w => w.Thumbprint)]);
                }
            }
        }
    }
}
