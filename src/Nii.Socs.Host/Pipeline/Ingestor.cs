using System.Collections.Immutable;
using System.Globalization;
using System.Threading.Channels;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Eve;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Sealing;

namespace Nii.Socs.Host.Pipeline;

/// <summary>capture → scope → detect → seal → store: one capture or EVE file into the detection store (R2.1, R4.2, R5, R7.1).</summary>
/// <remarks>Content is sealed with the participant's current epoch key; the record's JST month (R7.3)
/// is that of its acquisition, the injected clock's instant when it is sealed for storing; the observation instant is
/// kept as a field and flagged when far from it (<see cref="ObservationSkew"/>). Records are acknowledged (stored) in batches after their commit.
/// <para>A file's records get ids derived from the file (<see cref="SourceIdentity"/>), so ingesting it again, after a
/// crash or by mistake, stores nothing twice (the store skips ids it holds) and mails nothing twice (the notifier
/// skips detections already planned). Live traffic gets fresh ids. A file is never shed (R5.2): see
/// <see cref="CapturePipeline"/>.</para></remarks>
internal sealed class Ingestor(SocsData data, RuleSet rules, LoadGovernorOptions governor, int maxEveLineLength = EveReader.DefaultMaxLineLength)
{
    private const int BatchSize = 256;

    /// <summary>The scope of every participant active at an instant (R5.1, R11, R12): traffic of others is not stored.</summary>
    public static ScopeIndex ScopeOf(RegistryState registry, DateTimeOffset at) => ScopeIndex.Create(
        registry.Participants.Values
            .Where(p => p.StatusOn(Core.Time.Jst.DateOf(at)) == ParticipantStatus.Active)
            .SelectMany(p => p.Prefixes.Select(prefix => new ScopeAssignment(p.Id, prefix))));

    /// <summary>Ingests one capture (pcap, pcapng) or EVE JSON file.</summary>
    public async Task<IngestResult> IngestAsync(string path, Func<IReadOnlyList<DetectionRecord>, CancellationToken, Task>? onStored = null, CancellationToken cancellationToken = default)
    {
        var identity = SourceIdentity.OfFile(path);
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".eve", StringComparison.OrdinalIgnoreCase))
        {
            using var text = new StreamReader(path);
            return await RunAsync((pipeline, onDetection) => Task.FromResult(pipeline.RunEve(new EveReader(text, maxEveLineLength), onDetection)), identity, $"capture/{Path.GetFileName(path)}", "capture.file.ingested", onStored, cancellationToken).ConfigureAwait(false);
        }

        using var reader = CaptureReader.OpenFile(path);
        return await RunAsync((pipeline, onDetection) => pipeline.RunAsync(reader, onDetection, cancellationToken), identity, $"capture/{Path.GetFileName(path)}", "capture.file.ingested", onStored, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ingests what a reader yields until it has no more (end of file, or a live reader's idle timeout); records get fresh ids.</summary>
    public Task<IngestResult> IngestAsync(CaptureReader reader, string subject, string action, Func<IReadOnlyList<DetectionRecord>, CancellationToken, Task>? onStored = null, CancellationToken cancellationToken = default) =>
        RunAsync((pipeline, onDetection) => pipeline.RunAsync(reader, onDetection, cancellationToken), null, subject, action, onStored, cancellationToken);

    private async Task<IngestResult> RunAsync(Func<CapturePipeline, Action<CaptureDetection>, Task<CaptureSummary>> run, SourceIdentity? identity, string subject, string action, Func<IReadOnlyList<DetectionRecord>, CancellationToken, Task>? onStored, CancellationToken cancellationToken)
    {
        var scope = ScopeOf(data.Registry.State, data.Time.GetUtcNow());
        var pipeline = new CapturePipeline(scope, rules, governor, data.Time);
        var channel = Channel.CreateBounded<CaptureDetection>(new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var stored = new Stored();
        var consumer = Task.Run(() => ConsumeAsync(channel.Reader, identity, stored, onStored, cancellationToken), cancellationToken);
        CaptureSummary summary;
        try
        {
            // The pipeline calls back synchronously; a full channel blocks the reader, never drops a detection.
            void OnDetection(CaptureDetection d)
            {
                while (!channel.Writer.TryWrite(d))
                {
                    channel.Writer.WaitToWriteAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
                }
            }

            summary = await run(pipeline, OnDetection).ConfigureAwait(false);
        }
        finally
        {
            channel.Writer.TryComplete();
        }

        await consumer.ConfigureAwait(false);
        await RecordExclusionsAsync(summary.Exclusions, cancellationToken).ConfigureAwait(false);
        if (summary.FramesRead > 0 || action == "capture.file.ingested")
        {
            await data.History.AppendAsync(
                "system:capture",
                action,
                subject,
                string.Create(CultureInfo.InvariantCulture, $"frames={summary.FramesRead} in_scope={summary.InScope} detections={summary.Detections} stored={stored.New} duplicates={stored.Records.Count - stored.New} malformed={summary.Malformed} excluded={summary.Excluded} pcre_timeouts={summary.PcreTimeouts}{(identity is null ? string.Empty : $" source={identity}")}"),
                cancellationToken).ConfigureAwait(false);
        }

        return new IngestResult(summary, stored.Records, stored.New);
    }

    private async Task ConsumeAsync(ChannelReader<CaptureDetection> reader, SourceIdentity? identity, Stored stored, Func<IReadOnlyList<DetectionRecord>, CancellationToken, Task>? onStored, CancellationToken cancellationToken)
    {
        var batch = new List<DetectionRecord>(BatchSize);
        var sealers = new Sealers();

        // A batch's commit runs while the next batch is sealed (issue #16): at most one append in flight, and only the
        // store's append overlaps sealing; what follows a commit (the counts, onStored) runs before the next append
        // starts, in batch order, as before.
        var inFlight = (Append: Task.FromResult(0), Records: Array.Empty<DetectionRecord>());
        try
        {
            await foreach (var detection in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var participant in detection.Participants)
                {
                    var id = identity?.IdOf(detection, participant) ?? DetectionId.New(detection.Header.ObservedAt);
                    batch.Add(await SealAsync(data, sealers, detection, participant, id, cancellationToken).ConfigureAwait(false));
                }

                if (batch.Count >= BatchSize)
                {
                    await CompleteAsync(inFlight.Append, inFlight.Records, stored, onStored, cancellationToken).ConfigureAwait(false);
                    inFlight = StartAppend(batch, cancellationToken);
                }
            }

            await CompleteAsync(inFlight.Append, inFlight.Records, stored, onStored, cancellationToken).ConfigureAwait(false);
            inFlight = StartAppend(batch, cancellationToken);
            await CompleteAsync(inFlight.Append, inFlight.Records, stored, onStored, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Leaving on a failure or cancellation: the append in flight ends before the consumer does.
            await ((Task)inFlight.Append).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Starts storing a batch (encode and enqueue run now, the commit in the background) and empties it.</summary>
    private (Task<int> Append, DetectionRecord[] Records) StartAppend(List<DetectionRecord> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return (Task.FromResult(0), []);
        }

        var records = batch.ToArray();
        batch.Clear();
        // Captures land in the local store: on PostgreSql the spool the shipper copies to the cluster.
        return (data.Spool.AppendAsync(records, cancellationToken), records);
    }

    /// <summary>Seals one detection for one participant under its current key; headers only when it has none.</summary>
    internal static async Task<DetectionRecord> SealAsync(SocsData data, Sealers sealers, CaptureDetection detection, ParticipantId participant, DetectionId id, CancellationToken cancellationToken)
    {
        // Each participant on its own: one whose key cannot be had (no active certificate, a failure) gets its
        // detection stored with headers only, and every other participant's are sealed and stored as always.
        EpochKey? key = null;
        EpochId epoch;
        try
        {
            // This host's key ring, or on a sensor the organization's key service (docs/scale-out.md, "Epoch keys").
            (epoch, key) = await data.SealingKeys.CurrentAsync(participant, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException)
        {
            epoch = data.Schedule.EpochOf(participant, data.Time.GetUtcNow());
            if (data.NoteOnce("sealing-failed", epoch))
            {
                await data.History.AppendAsync("system:capture", "keys.sealing.failed", $"keys/{participant}/{epoch.Index}", $"content not stored, headers only: {ex.Message}", cancellationToken).ConfigureAwait(false);
            }
        }

        var sealedContent = detection.Content.IsEmpty || key is null
            ? ReadOnlyMemory<byte>.Empty
            : sealers.Seal(key, id, detection.Header, detection.Content.Span);
        return new DetectionRecord
        {
            Id = id,
            Participant = participant,
            Epoch = epoch,
            Header = detection.Header,
            Rule = detection.Rule,
            Source = detection.Source,
            SealedContent = sealedContent,
            AcquiredAt = data.Time.GetUtcNow(),
        };
    }

    /// <summary>Waits for a batch's commit, then counts it and offers it to <paramref name="onStored"/>.</summary>
    private static async Task CompleteAsync(Task<int> append, DetectionRecord[] records, Stored stored, Func<IReadOnlyList<DetectionRecord>, CancellationToken, Task>? onStored, CancellationToken cancellationToken)
    {
        var newlyStored = await append.ConfigureAwait(false);
        if (records.Length == 0)
        {
            return;
        }

        stored.New += newlyStored;
        stored.Records.AddRange(records);

        // Records already stored by an interrupted earlier run are offered again: the notifier mails only those it has
        // not planned yet, so a crash between the store's commit and the outbox's loses no mail and doubles none.
        if (onStored is not null)
        {
            await onStored(records, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One consumer's sealing state: an <see cref="EpochSealer"/> per participant, kept while its key stays the
    /// current one, and a slab the blobs are sealed into one after another, so sealing a record allocates nothing of
    /// its own (issue #16). A slab is never reused: the records that point into it may outlive the batch.</summary>
    internal sealed class Sealers
    {
        private const int SlabSize = 64 * 1024;
        private readonly Dictionary<ParticipantId, EpochSealer> _byParticipant = [];
        private byte[] _slab = [];
        private int _at;

        public ReadOnlyMemory<byte> Seal(EpochKey key, DetectionId id, Core.Detections.DetectionHeader header, ReadOnlySpan<byte> content)
        {
            var participant = key.Epoch.Participant;
            if (!_byParticipant.TryGetValue(participant, out var sealer) || !ReferenceEquals(sealer.Key, key))
            {
                sealer = new EpochSealer(ContentSealer.Default, key);
                _byParticipant[participant] = sealer;
            }

            var length = sealer.SealedLength(content.Length);
            if (_slab.Length - _at < length)
            {
                // Not zeroed first: every byte handed out is written by the seal before anyone reads it.
                _slab = GC.AllocateUninitializedArray<byte>(Math.Max(SlabSize, length));
                _at = 0;
            }

            var written = sealer.Seal(id, header, content, _slab.AsSpan(_at, length));
            var blob = _slab.AsMemory(_at, written);
            _at += written;
            return blob;
        }
    }

    private sealed class Stored
    {
        public List<DetectionRecord> Records { get; } = [];

        public int New { get; set; }
    }

    private async Task RecordExclusionsAsync(IReadOnlyList<ScopeExclusion> exclusions, CancellationToken cancellationToken)
    {
        foreach (var exclusion in exclusions)
        {
            var id = $"{exclusion.Participant}-{exclusion.From.UtcTicks.ToString(CultureInfo.InvariantCulture)}";
            var events = new List<RegistryEvent> { new ExclusionStarted(exclusion.From, id, [.. exclusion.Prefixes], exclusion.To, exclusion.Reason) };
            if (exclusion.To is { } to)
            {
                events.Add(new ExclusionEnded(to, id));
            }

            await data.Registry.AppendAsync(events, cancellationToken).ConfigureAwait(false);
            await data.History.AppendAsync("system:governor", "scope.exclusion", $"participant/{exclusion.Participant}", exclusion.ToString(), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>What an ingestion stored.</summary>
/// <param name="Summary">The pipeline's summary.</param>
/// <param name="Stored">Every record the store holds for the input (stored now or by an earlier, interrupted run).</param>
/// <param name="NewlyStored">How many of them this run stored.</param>
internal sealed record IngestResult(CaptureSummary Summary, IReadOnlyList<DetectionRecord> Stored, int NewlyStored);
