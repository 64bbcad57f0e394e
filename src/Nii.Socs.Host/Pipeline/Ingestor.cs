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
    /// <summary>Records per batch (one store append and commit each).</summary>
    internal const int BatchSize = 256;

    // A batch also ends at this many sealed bytes (large contents), so the slabs of the batch sealed and of the batch
    // in flight stay a few hundred KiB, which stays in the core's cache and keeps memory flat (issue #16).
    internal const int MaxBatchBytes = 1024 * 1024;

    /// <summary>The scope of every participant active at an instant (R5.1, R11, R12): traffic of others is not stored.</summary>
    public static ScopeIndex ScopeOf(RegistryState registry, DateTimeOffset at) => ScopeIndex.Create(
        registry.Participants.Values
            .Where(p => p.StatusOn(Core.Time.Jst.DateOf(at)) == ParticipantStatus.Active)
            .SelectMany(p => p.Prefixes.Select(prefix => new ScopeAssignment(p.Id, prefix))));

    /// <summary>Ingests one capture (pcap, pcapng) or EVE JSON file.</summary>
    /// <remarks><paramref name="onStored"/> gets each batch once it is committed; the records' sealed bytes are valid until
    /// the task it returns ends (the ingestor seals later batches into the same memory), so copy what is kept.</remarks>
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
    /// <remarks>As for a file, the records given to <paramref name="onStored"/> have sealed bytes valid until its task ends.</remarks>
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
                string.Create(CultureInfo.InvariantCulture, $"frames={summary.FramesRead} in_scope={summary.InScope} detections={summary.Detections} stored={stored.New} duplicates={stored.Count - stored.New} malformed={summary.Malformed} excluded={summary.Excluded} pcre_timeouts={summary.PcreTimeouts}{(identity is null ? string.Empty : $" source={identity}")}"),
                cancellationToken).ConfigureAwait(false);
        }

        return new IngestResult(summary, stored.Count, stored.New);
    }

    private async Task ConsumeAsync(ChannelReader<CaptureDetection> reader, SourceIdentity? identity, Stored stored, Func<IReadOnlyList<DetectionRecord>, CancellationToken, Task>? onStored, CancellationToken cancellationToken)
    {
        var batch = new List<DetectionRecord>(BatchSize);
        var sealers = new Sealers();

        // A batch's commit runs while the next batch is sealed (issue #16): at most one append in flight, and only the
        // store's append overlaps sealing; what follows a commit (the counts, onStored) runs before the next append
        // starts, in batch order, as before. A batch's slabs go back to the sealers only after that: the batch sealed
        // meanwhile is in other slabs.
        var inFlight = (Append: Task.FromResult(0), Records: Array.Empty<DetectionRecord>(), Slabs: SealedSlabs.None);
        try
        {
            await foreach (var detection in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var participant in detection.Participants)
                {
                    var id = identity?.IdOf(detection, participant) ?? DetectionId.New(detection.Header.ObservedAt);
                    batch.Add(await SealAsync(data, sealers, detection, participant, id, cancellationToken).ConfigureAwait(false));
                }

                if (batch.Count >= BatchSize || sealers.BatchBytes >= MaxBatchBytes)
                {
                    await CompleteAsync(inFlight.Append, inFlight.Records, stored, onStored, cancellationToken).ConfigureAwait(false);
                    sealers.Release(inFlight.Slabs);
                    inFlight = StartAppend(batch, sealers.CloseBatch(), cancellationToken);
                }
            }

            await CompleteAsync(inFlight.Append, inFlight.Records, stored, onStored, cancellationToken).ConfigureAwait(false);
            sealers.Release(inFlight.Slabs);
            inFlight = StartAppend(batch, sealers.CloseBatch(), cancellationToken);
            await CompleteAsync(inFlight.Append, inFlight.Records, stored, onStored, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Leaving on a failure or cancellation: the append in flight ends before the consumer does.
            await ((Task)inFlight.Append).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Starts storing a batch (encode and enqueue run now, the commit in the background) and empties it.</summary>
    private (Task<int> Append, DetectionRecord[] Records, SealedSlabs Slabs) StartAppend(List<DetectionRecord> batch, SealedSlabs slabs, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return (Task.FromResult(0), [], slabs);
        }

        var records = batch.ToArray();
        batch.Clear();
        // Captures land in the local store: on PostgreSql the spool the shipper copies to the cluster.
        return (data.Spool.AppendAsync(records, cancellationToken), records, slabs);
    }

    /// <summary>Seals one detection for one participant under its current key; headers only when it has none.</summary>
    internal static async Task<DetectionRecord> SealAsync(SocsData data, Sealers sealers, CaptureDetection detection, ParticipantId participant, DetectionId id, CancellationToken cancellationToken)
    {
        // Each participant on its own: one whose key cannot be had (no active certificate, a failure) gets its
        // detection stored with headers only, and every other participant's are sealed and stored as always.
        var (epoch, key) = await LookUpAsync(data, participant, cancellationToken).ConfigureAwait(false);
        var sealedContent = ReadOnlyMemory<byte>.Empty;
        if (!detection.Content.IsEmpty && key is not null)
        {
            try
            {
                sealedContent = sealers.Seal(key, id, detection.Header, detection.Content.Span);
            }
            catch (ObjectDisposedException)
            {
                // The epoch ended between the lookup and the seal and its key was destroyed (R8.4): the record
                // belongs to the new epoch, so it is sealed under the new epoch's key, looked up once more.
                (epoch, key) = await LookUpAsync(data, participant, cancellationToken).ConfigureAwait(false);
                sealedContent = key is null ? ReadOnlyMemory<byte>.Empty : sealers.Seal(key, id, detection.Header, detection.Content.Span);
            }
        }

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

    /// <summary>The participant's epoch and key to seal with now; on a failure the epoch of now and no key (headers only),
    /// with <c>keys.sealing.failed</c> recorded once per epoch.</summary>
    private static async Task<SealingKey> LookUpAsync(SocsData data, ParticipantId participant, CancellationToken cancellationToken)
    {
        try
        {
            // This host's key ring, or on a sensor the organization's key service (docs/scale-out.md, "Epoch keys").
            return await data.SealingKeys.CurrentAsync(participant, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException)
        {
            var epoch = data.Schedule.EpochOf(participant, data.Time.GetUtcNow());
            if (data.NoteOnce("sealing-failed", epoch))
            {
                await data.History.AppendAsync("system:capture", "keys.sealing.failed", $"keys/{participant}/{epoch.Index}", $"content not stored, headers only: {ex.Message}", cancellationToken).ConfigureAwait(false);
            }

            return new SealingKey(epoch, null);
        }
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
        stored.Count += records.Length;

        // Records already stored by an interrupted earlier run are offered again: the notifier mails only those it has
        // not planned yet, so a crash between the store's commit and the outbox's loses no mail and doubles none.
        // The records' sealed bytes are valid until the callback's task ends (their slabs are then sealed into again):
        // the notifier reads headers only; a caller that keeps records copies what it keeps.
        if (onStored is not null)
        {
            await onStored(records, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One consumer's sealing state (issue #16): an <see cref="EpochSealer"/> per participant, kept while its key
    /// stays the current one; one <see cref="SealingScratch"/> (nonce block, associated-data buffer); and slabs the blobs
    /// are sealed into one after another, so sealing a record allocates nothing of its own.</summary>
    /// <remarks>
    /// <para>A batch's blobs live in the slabs taken while it was sealed. <see cref="CloseBatch"/> hands them to the
    /// batch; <see cref="Release"/> gives them back once nothing reads the batch's sealed bytes any more (its append
    /// has encoded and committed them and <c>onStored</c> has returned), and later batches are sealed into them again.
    /// Until then they are never written: a record's <see cref="DetectionRecord.SealedContent"/> is valid while its
    /// batch is not released.</para>
    /// <para>A blob longer than a slab gets an array of its own, which is not kept for reuse.</para>
    /// </remarks>
    internal sealed class Sealers
    {
        /// <summary>The size of a slab.</summary>
        internal const int SlabSize = 256 * 1024;

        // Released slabs kept for reuse: two batches of MaxBatchBytes (the one sealed and the one in flight) and some.
        private const int MaxFreeSlabs = 12;

        private readonly Dictionary<ParticipantId, EpochSealer> _byParticipant = [];
        private readonly SealingScratch _scratch = new();
        private readonly ContentSealer _sealer;
        private readonly Stack<byte[]> _free = new();
        private readonly List<byte[]> _open = [];
        private EpochSealer? _last;
        private byte[] _slab = [];
        private int _at;

        /// <summary>Seals with <see cref="ContentSealer.Default"/>.</summary>
        public Sealers()
            : this(ContentSealer.Default)
        {
        }

        /// <summary>Seals with an AEAD of choice (the sealing benchmark compares both).</summary>
        internal Sealers(ContentSealer sealer) => _sealer = sealer;

        /// <summary>How many times a released slab was sealed into again (tests, benchmark).</summary>
        internal int SlabsReused { get; private set; }

        /// <summary>Bytes sealed into the open batch so far.</summary>
        public long BatchBytes { get; private set; }

        /// <summary>Seals one record's content into the open batch's slab memory.</summary>
        public ReadOnlyMemory<byte> Seal(EpochKey key, DetectionId id, Core.Detections.DetectionHeader header, ReadOnlySpan<byte> content)
        {
            var sealer = _last;
            if (sealer is null || !ReferenceEquals(sealer.Key, key))
            {
                // Another participant (or a new key) than the last record's: one dictionary lookup.
                var participant = key.Epoch.Participant;
                if (!_byParticipant.TryGetValue(participant, out sealer) || !ReferenceEquals(sealer.Key, key))
                {
                    sealer = new EpochSealer(_sealer, key);
                    _byParticipant[participant] = sealer;
                }

                _last = sealer;
            }

            var length = sealer.Overhead + content.Length;
            if (_slab.Length - _at < length)
            {
                // Not zeroed first: every byte handed out is written by the seal before anyone reads it.
                if (length > SlabSize)
                {
                    _slab = GC.AllocateUninitializedArray<byte>(length);
                }
                else if (_free.TryPop(out var reused))
                {
                    _slab = reused;
                    SlabsReused++;
                }
                else
                {
                    _slab = GC.AllocateUninitializedArray<byte>(SlabSize);
                }

                _open.Add(_slab);
                _at = 0;
            }

            var written = sealer.Seal(id, header, content, _slab.AsSpan(_at, length), _scratch);
            var blob = _slab.AsMemory(_at, written);
            _at += written;
            BatchBytes += written;
            return blob;
        }

        /// <summary>Ends the open batch: the slabs its blobs are in belong to it until <see cref="Release"/>.</summary>
        /// <returns>The batch's slabs (empty when nothing was sealed).</returns>
        public SealedSlabs CloseBatch()
        {
            if (_open.Count == 0)
            {
                return SealedSlabs.None;
            }

            var slabs = new SealedSlabs([.. _open]);
            _open.Clear();
            _slab = [];
            _at = 0;
            BatchBytes = 0;
            return slabs;
        }

        /// <summary>Gives a closed batch's slabs back for later batches; call once nothing reads its records' sealed bytes.</summary>
        public void Release(SealedSlabs slabs)
        {
            ArgumentNullException.ThrowIfNull(slabs);
            foreach (var slab in slabs.Take())
            {
                if (slab.Length == SlabSize && _free.Count < MaxFreeSlabs)
                {
                    _free.Push(slab);
                }
            }
        }
    }

    /// <summary>The slabs one closed batch's blobs were sealed into.</summary>
    internal sealed class SealedSlabs(byte[][] slabs)
    {
        private byte[][]? _slabs = slabs;

        /// <summary>A batch that sealed nothing.</summary>
        public static SealedSlabs None { get; } = new([]);

        /// <summary>The slabs, once: a second call (a second release) gets none, so a slab is never handed out twice.</summary>
        internal byte[][] Take() => Interlocked.Exchange(ref _slabs, null) ?? [];
    }

    private sealed class Stored
    {
        // Counts only: keeping every record of a file would grow memory with the file, and their sealed bytes are
        // reused once their batch is done (Sealers).
        public int Count { get; set; }

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
/// <param name="Stored">How many records the store holds for the input (stored now or by an earlier, interrupted run);
/// the records themselves are offered to <c>onStored</c>, batch by batch.</param>
/// <param name="NewlyStored">How many of them this run stored.</param>
internal sealed record IngestResult(CaptureSummary Summary, int Stored, int NewlyStored);
