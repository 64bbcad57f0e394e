using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Eve;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Governor;

/// <summary>Read → dissect → scope → (bounded queue, load governor) → detect: one capture run (R2.1, R4.2, R5.1, R5.2).</summary>
/// <remarks>
/// <para>The reading side dissects each frame (R2.1), drops it unless its source or destination
/// is in scope (R5.1) and not excluded (R5.2), and copies it into the current batch: frames back to
/// back in one reused buffer (256 frames at the default capacity). Full batches go to the detection
/// task, on the other core, through a bounded <see cref="Channel{T}"/> holding
/// <see cref="LoadGovernorOptions.QueueCapacity"/> frames' worth of batches: one hand-off per batch,
/// not per frame. Load shedding (R5.2) applies to live capture only (<see cref="CaptureReader.IsLive"/>):
/// a file reader always waits at a full queue and the governor never excludes its prefixes, so
/// every in-scope frame of a file is examined. A live reader may drop a batch at a full queue and
/// count its frames (<see cref="LoadGovernorOptions.DropWhenFull"/>) and its busiest prefixes may be
/// excluded; the governor sees the queue depth in frames once per batch. With no rules nothing is
/// handed over. Memory is bounded by the queue capacity times the largest frame, whatever the input
/// rate or file size.</para>
/// <para>A detection names the participants of the non-excluded prefixes holding its source or
/// destination: traffic between u-tokyo and kyoto-u concerns both.</para>
/// </remarks>
public sealed class CapturePipeline
{
    private readonly ScopeIndex _scope;
    private readonly RuleSet _rules;
    private readonly LoadGovernorOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a pipeline.</summary>
    /// <param name="scope">The scope (R5.1).</param>
    /// <param name="rules">The rules (R4.2, R4.3).</param>
    /// <param name="options">The governor settings (R5.2); validated here.</param>
    /// <param name="time">The clock used by the governor and for <see cref="CaptureSummary.Elapsed"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A governor setting is out of range.</exception>
    public CapturePipeline(ScopeIndex scope, RuleSet rules, LoadGovernorOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _scope = scope;
        _rules = rules;
        _options = options;
        _time = time;
    }

    /// <summary>Reads every frame of a capture and reports each detection.</summary>
    /// <param name="reader">The capture.</param>
    /// <param name="onDetection">Called on the detection task for each detection, in frame order.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The run's summary.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="OperationCanceledException">The run was cancelled.</exception>
    /// <remarks>R5.2: frames are shed under load only when <see cref="CaptureReader.IsLive"/>; a file is read at the pace of detection.</remarks>
    public Task<CaptureSummary> RunAsync(CaptureReader reader, Action<CaptureDetection> onDetection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(onDetection);
        return RunAsync(reader, onDetection, reader.IsLive, cancellationToken);
    }

    /// <summary>As the public overload, with shedding chosen by the caller (tests drive the governor with a file).</summary>
    internal async Task<CaptureSummary> RunAsync(CaptureReader reader, Action<CaptureDetection> onDetection, bool shed, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var summary = new CaptureSummary();
        var governor = new LoadGovernor(_scope, _options, _time);
        var batchFrames = BatchFrames(_options.QueueCapacity);
        var channel = Channel.CreateBounded<FrameBatch>(new BoundedChannelOptions(Math.Max(1, _options.QueueCapacity / batchFrames))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var matcher = new RuleMatcher(_rules);
        var free = new ConcurrentQueue<FrameBatch>();

        // With no rules nothing can be detected: in-scope frames are counted and not handed over at all.
        var detect = matcher.Rules.Count > 0;
        var detections = detect
            ? Task.Run(() => DetectAsync(channel.Reader, free, matcher, summary, onDetection, cancellationToken), cancellationToken)
            : Task.CompletedTask;
        var producer = new Producer(this, reader, shed ? governor : null, summary, channel.Reader, free, batchFrames, detect);
        try
        {
            while (producer.TryNextBatch(out var batch))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (channel.Writer.TryWrite(batch))
                {
                    continue;
                }

                if (shed && _options.DropWhenFull)
                {
                    summary.DroppedQueueFull += batch.Count;
                    batch.Clear();
                    free.Enqueue(batch);
                }
                else
                {
                    await channel.Writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            channel.Writer.Complete();
        }

        await detections.ConfigureAwait(false);
        governor.EndAll();
        summary.Exclusions = [.. governor.Exclusions];
        summary.ReaderFailure = reader.Failure;
        summary.PcreTimeouts = matcher.PcreTimeouts;
        summary.Elapsed = _time.GetElapsedTime(started);
        return summary;
    }

    /// <summary>Reads Suricata EVE alerts and reports each in-scope one as a detection.</summary>
    /// <param name="reader">The EVE reader.</param>
    /// <param name="onDetection">Called for each in-scope alert.</param>
    /// <returns>The run's summary (<see cref="CaptureSummary.FramesRead"/> counts alerts).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <remarks>R5.1 applies to alerts too: an alert whose addresses are both out of scope is dropped.</remarks>
    public CaptureSummary RunEve(EveReader reader, Action<CaptureDetection> onDetection)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(onDetection);
        var started = _time.GetTimestamp();
        var summary = new CaptureSummary();
        while (reader.TryReadAlert(out var alert))
        {
            summary.FramesRead++;
            var (sourceV6, sourceBits) = IPPrefix.ToBits(alert.Source);
            var (destinationV6, destinationBits) = IPPrefix.ToBits(alert.Destination);
            var participants = Participants(_scope.Lookup(sourceV6, sourceBits), _scope.Lookup(destinationV6, destinationBits));
            if (participants.Length == 0)
            {
                summary.OutOfScope++;
                continue;
            }

            summary.InScope++;
            Count(summary, alert.Rule.Sid);
            onDetection(new CaptureDetection(alert.ToDetectionHeader(), alert.Rule, alert.Content, participants, DetectionSource.Eve, reader.LineNumber));
        }

        summary.Malformed = reader.ErrorCount;
        summary.Elapsed = _time.GetElapsedTime(started);
        return summary;
    }

    private static void Count(CaptureSummary summary, long sid)
    {
        summary.Detections++;
        summary.SidCounts[sid] = summary.SidCounts.GetValueOrDefault(sid) + 1;
    }

    private ParticipantId[] Participants(int source, int destination)
    {
        if (source < 0 && destination < 0)
        {
            return [];
        }

        if (source < 0 || destination < 0 || source == destination)
        {
            return [.. _scope[Math.Max(source, destination)].Participants];
        }

        return _scope[source].Participants.Concat(_scope[destination].Participants)
            .DistinctBy(p => p.Value).OrderBy(p => p.Value, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Frames per hand-off: 256 at the default capacity, fewer for small queues so the governor still sees depth.</summary>
    internal static int BatchFrames(int queueCapacity) => Math.Clamp(queueCapacity / 16, 1, 256);

    private async Task DetectAsync(ChannelReader<FrameBatch> queue, ConcurrentQueue<FrameBatch> free, RuleMatcher matcher, CaptureSummary summary, Action<CaptureDetection> onDetection, CancellationToken cancellationToken)
    {
        var hits = new List<Rule>();
        await foreach (var batch in queue.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    Detect(batch, i, matcher, hits, summary, onDetection);
                }
            }
            finally
            {
                batch.Clear();
                free.Enqueue(batch);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Detect(FrameBatch batch, int index, RuleMatcher matcher, List<Rule> hits, CaptureSummary summary, Action<CaptureDetection> onDetection)
    {
        ref readonly var work = ref batch.Entries[index];
        var frame = batch.Data.AsSpan(work.Offset, work.Length);
        var content = frame[work.Header.HeaderLength..];
        if (matcher.Match(work.Header, content, hits) == 0)
        {
            return;
        }

        var header = work.Header.ToDetectionHeader(frame, work.Timestamp, work.WireLength);
        var participants = Participants(work.Source, work.Destination);
        var contentCopy = content.ToArray();
        foreach (var rule in hits)
        {
            Count(summary, rule.Sid);
            onDetection(new CaptureDetection(header, rule.ToRuleRef(), contentCopy, participants, DetectionSource.Packet, work.Frame));
        }
    }

    private struct Work
    {
        public int Offset;
        public int Length;
        public PacketHeader Header;
        public DateTimeOffset Timestamp;
        public int WireLength;
        public long Frame;
        public int Source;
        public int Destination;
    }

    /// <summary>In-scope frames copied back to back into one buffer: one queue hand-off per batch, buffers reused.</summary>
    private sealed class FrameBatch(int frames)
    {
        public byte[] Data { get; private set; } = new byte[Math.Max(frames * 2048, 1 << 16)];

        public Work[] Entries { get; } = new Work[frames];

        public int Count { get; private set; }

        public int Used { get; private set; }

        /// <summary>Whether the batch has no room for another frame of a common size.</summary>
        public bool IsFull => Count == Entries.Length || Used > Data.Length - 2048;

        public void Add(ReadOnlySpan<byte> frame, in PacketHeader header, DateTimeOffset timestamp, int wireLength, long number, int source, int destination)
        {
            if (Used + frame.Length > Data.Length)
            {
                var bigger = new byte[Math.Max(Data.Length * 2, Used + frame.Length)];
                Data.AsSpan(0, Used).CopyTo(bigger);
                Data = bigger;
            }

            frame.CopyTo(Data.AsSpan(Used));
            ref var entry = ref Entries[Count++];
            entry.Offset = Used;
            entry.Length = frame.Length;
            entry.Header = header;
            entry.Timestamp = timestamp;
            entry.WireLength = wireLength;
            entry.Frame = number;
            entry.Source = source;
            entry.Destination = destination;
            Used += frame.Length;
        }

        public void Clear()
        {
            Count = 0;
            Used = 0;
        }
    }

    /// <summary>The reading side: the only code that touches frame spans, so it stays synchronous.</summary>
    /// <remarks>Without a governor (a file) nothing is excluded: the channel's back-pressure paces the reader.</remarks>
    private sealed class Producer(CapturePipeline pipeline, CaptureReader reader, LoadGovernor? governor, CaptureSummary summary, ChannelReader<FrameBatch> queue, ConcurrentQueue<FrameBatch> free, int batchFrames, bool detect)
    {
        private long _frame;
        private int _sinceObserved;

        /// <summary>The next batch of in-scope frames: full, or the last one when the capture ends; false when none is left.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool TryNextBatch([NotNullWhen(true)] out FrameBatch? batch)
        {
            var scope = pipeline._scope;
            FrameBatch? current = null;
            while (reader.TryReadFrame(out var frame))
            {
                _frame++;
                summary.FramesRead++;
                var header = Dissector.Dissect(frame.LinkType, frame.Data);
                if (header.Malformation != Malformation.None)
                {
                    summary.Malformed++;
                    summary.MalformedCounts[header.Malformation] = summary.MalformedCounts.GetValueOrDefault(header.Malformation) + 1;
                }

                if (!header.IsIP)
                {
                    summary.OutOfScope++;
                    continue;
                }

                var source = scope.Lookup(header.IsIPv6, header.SourceBits);
                var destination = scope.Lookup(header.IsIPv6, header.DestinationBits);
                if (source < 0 && destination < 0)
                {
                    summary.OutOfScope++;
                    continue;
                }

                summary.InScope++;
                if (governor is not null && Shed(governor, ref source, ref destination, frame.CapturedLength))
                {
                    summary.Excluded++;
                    continue;
                }

                if (!detect)
                {
                    continue;
                }

                current ??= free.TryDequeue(out var reused) ? reused : new FrameBatch(batchFrames);
                current.Add(frame.Data, header, frame.Timestamp, frame.WireLength, _frame, source, destination);
                if (current.IsFull)
                {
                    batch = current;
                    return true;
                }
            }

            batch = current;
            return current is not null;
        }

        /// <summary>Accounts a live frame to the governor; true when both its prefixes are excluded (R5.2).</summary>
        private bool Shed(LoadGovernor governor, ref int source, ref int destination, int length)
        {
            governor.Account(source, length);
            if (destination != source)
            {
                governor.Account(destination, length);
            }

            // The queue depth in frames, reported once per batch's worth of in-scope frames.
            if (++_sinceObserved >= batchFrames)
            {
                _sinceObserved = 0;
                governor.Observe(queue.Count * batchFrames);
            }

            if (source >= 0 && governor.IsExcluded(source))
            {
                source = -1;
            }

            if (destination >= 0 && governor.IsExcluded(destination))
            {
                destination = -1;
            }

            return source < 0 && destination < 0;
        }
    }
}
