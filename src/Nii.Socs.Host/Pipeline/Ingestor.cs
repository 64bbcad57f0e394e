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
/// is that of its observation. Records are acknowledged (stored) in batches after their commit.</remarks>
internal sealed class Ingestor(SocsData data, RuleSet rules, LoadGovernorOptions governor)
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
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".eve", StringComparison.OrdinalIgnoreCase))
        {
            using var text = new StreamReader(path);
            return await RunAsync((pipeline, onDetection) => Task.FromResult(pipeline.RunEve(new EveReader(text), onDetection)), $"capture/{Path.GetFileName(path)}", "capture.file.ingested", onStored, cancellationToken).ConfigureAwait(false);
        }

        using var reader = CaptureReader.OpenFile(path);
        return await IngestAsync(reader, $"capture/{Path.GetFileName(path)}", "capture.file.ingested", onStored, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ingests what a reader yields until it has no more (end of file, or a live reader's idle timeout).</summary>
    public Task<IngestResult> IngestAsync(CaptureReader reader, string subject, string action, Func<IReadOnlyList<DetectionRecord>, CancellationToken, Task>? onStored = null, CancellationToken cancellationToken = default) =>
        RunAsync((pipeline, onDetection) => pipeline.RunAsync(reader, onDetection, cancellationToken), subject, action, onStored, cancellationToken);

    private async Task<IngestResult> RunAsync(Func<CapturePipeline, Action<CaptureDetection>, Task<CaptureSummary>> run, string subject, string action, Func<IReadOnlyList<DetectionRecord>, CancellationToken, Task>? onStored, CancellationToken cancellationToken)
    {
        var scope = ScopeOf(data.Registry.State, data.Time.GetUtcNow());
        var pipeline = new CapturePipeline(scope, rules, governor, data.Time);
        var channel = Channel.CreateBounded<CaptureDetection>(new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var stored = new List<DetectionRecord>();
        var consumer = Task.Run(() => ConsumeAsync(channel.Reader, stored, onStored, cancellationToken), cancellationToken);
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
                string.Create(CultureInfo.InvariantCulture, $"frames={summary.FramesRead} in_scope={summary.InScope} detections={summary.Detections} stored={stored.Count} malformed={summary.Malformed} excluded={summary.Excluded}"),
                cancellationToken).ConfigureAwait(false);
        }

        return new IngestResult(summary, stored);
    }

    private async Task ConsumeAsync(ChannelReader<CaptureDetection> reader, List<DetectionRecord> stored, Func<IReadOnlyList<DetectionRecord>, CancellationToken, Task>? onStored, CancellationToken cancellationToken)
    {
        var batch = new List<DetectionRecord>(BatchSize);
        await foreach (var detection in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var participant in detection.Participants)
            {
                batch.Add(await SealAsync(data, detection, participant, cancellationToken).ConfigureAwait(false));
            }

            if (batch.Count >= BatchSize)
            {
                await FlushAsync(batch, stored, onStored, cancellationToken).ConfigureAwait(false);
            }
        }

        await FlushAsync(batch, stored, onStored, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Seals one detection for one participant under its current key; headers only when it has none.</summary>
    internal static async Task<DetectionRecord> SealAsync(SocsData data, CaptureDetection detection, ParticipantId participant, CancellationToken cancellationToken)
    {
        // Each participant on its own: one whose key cannot be had (no active certificate, a failure) gets its
        // detection stored with headers only, and every other participant's are sealed and stored as always.
        EpochKey? key = null;
        EpochId epoch;
        try
        {
            var rotation = await KeyEpochs.EnsureCurrentAsync(data, participant, cancellationToken).ConfigureAwait(false);
            epoch = rotation.Current;
            if (data.Ring.TryCurrent(participant, out var current))
            {
                key = current;
                epoch = current.Epoch;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException)
        {
            epoch = data.Schedule.EpochOf(participant, data.Time.GetUtcNow());
            if (data.NoteOnce("sealing-failed", epoch))
            {
                await data.History.AppendAsync("system:capture", "keys.sealing.failed", $"keys/{participant}/{epoch.Index}", $"content not stored, headers only: {ex.Message}", cancellationToken).ConfigureAwait(false);
            }
        }

        var id = DetectionId.New(detection.Header.ObservedAt);
        var sealedContent = detection.Content.IsEmpty || key is null
            ? ReadOnlyMemory<byte>.Empty
            : ContentSealer.Default.Seal(key, SealingContext.For(key.Epoch, id, detection.Header), detection.Content.Span);
        return new DetectionRecord
        {
            Id = id,
            Participant = participant,
            Epoch = epoch,
            Header = detection.Header,
            Rule = detection.Rule,
            Source = detection.Source,
            SealedContent = sealedContent,
        };
    }

    private async Task FlushAsync(List<DetectionRecord> batch, List<DetectionRecord> stored, Func<IReadOnlyList<DetectionRecord>, CancellationToken, Task>? onStored, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var records = batch.ToArray();
        batch.Clear();
        await data.Detections.AppendAsync(records, cancellationToken).ConfigureAwait(false);
        stored.AddRange(records);
        if (onStored is not null)
        {
            await onStored(records, cancellationToken).ConfigureAwait(false);
        }
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

internal sealed record IngestResult(CaptureSummary Summary, IReadOnlyList<DetectionRecord> Stored);
