using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
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
/// <para>The reading side (a thread of its own) dissects each frame (R2.1), drops it unless its source or destination
/// is in scope (R5.1) and not excluded (R5.2), and copies it into the current round: one batch per detection worker, frames
/// back to back in reused buffers, each frame in the batch of the worker its flow hashes to (<see cref="WorkerOf"/>: the
/// same for both directions, so a flow's frames stay on one worker and in order). A round (256 frames per two workers at
/// the default capacity) is handed over at once: one hand-off per worker per round, not per frame. There are
/// <see cref="LoadGovernorOptions.QueueCapacity"/> frames' worth of rounds, plus the one being filled and the one being
/// examined; the reader waits for a free one (back-pressure). The workers, one per core (<see cref="DefaultWorkers"/>),
/// each with its own <see cref="RuleMatcher"/> over shared prefilters, examine their batches; rounds are emitted in read
/// order and each round's detections merged by frame number, so <c>onDetection</c> sees frame order, one call at a
/// time, whatever the number of workers. Load shedding (R5.2) applies to live capture only
/// (<see cref="CaptureReader.IsLive"/>): a file reader always waits for a free round and the governor never excludes its
/// prefixes, so every in-scope frame of a file is examined. A live reader may drop a round at a full queue and count its
/// frames (<see cref="LoadGovernorOptions.DropWhenFull"/>) and its busiest prefixes may be excluded; the governor sees the
/// frames handed over and not yet emitted once per batch's worth of frames. With no rules nothing is handed over. Memory
/// is bounded by the rounds' buffers, whatever the input rate or file size.</para>
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
    /// <param name="onDetection">Called for each detection, in frame order, by one detection worker at a time.</param>
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

    /// <summary>The number of detection workers a pipeline uses unless told otherwise: one per core, at most 8.</summary>
    internal static int DefaultWorkers => Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>Detection workers (the tests compare 1, 2 and 4); <see cref="DefaultWorkers"/> unless set.</summary>
    internal int Workers { get; init; } = DefaultWorkers;

    /// <summary>As the public overload, with shedding chosen by the caller (tests drive the governor with a file).</summary>
    internal async Task<CaptureSummary> RunAsync(CaptureReader reader, Action<CaptureDetection> onDetection, bool shed, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var summary = new CaptureSummary();
        var governor = new LoadGovernor(_scope, _options, _time);
        var workers = Math.Max(1, Workers);
        var batchFrames = BatchFrames(_options.QueueCapacity);

        // A round is what the reader hands over at once: up to roundFrames in-scope frames, each in the batch of the worker
        // its flow hashes to. The queue holds QueueCapacity frames' worth of rounds, plus the one being filled and the one
        // being examined (as the single queue of batches did before).
        var roundFrames = batchFrames * Math.Max(1, workers / 2);
        var slots = Math.Max(1, _options.QueueCapacity / roundFrames) + 2;
        // Reading a file, a sleeping reader or worker is woken only when there is a good deal to do (Rounds, WorkQueue).
        var queues = new WorkQueue[workers];
        var rounds = new Rounds(slots, workers, roundFrames, shed ? 1 : Math.Max(1, slots / 2), queues);
        var workerWakeAt = shed ? 1 : Math.Max(1, slots / 4);
        var matchers = new RuleMatcher[workers];
        matchers[0] = new RuleMatcher(_rules);
        for (var w = 1; w < workers; w++)
        {
            matchers[w] = new RuleMatcher(matchers[0]);
        }

        // With no rules nothing can be detected: in-scope frames are counted and not handed over at all.
        var detect = matchers[0].Rules.Count > 0;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var output = new Output(summary, onDetection);
        var tasks = new Task[detect ? workers : 0];
        for (var w = 0; w < tasks.Length; w++)
        {
            var worker = new Worker(this, w, queues[w] = new WorkQueue(workerWakeAt), matchers[w], rounds, output);
            tasks[w] = Task.Factory.StartNew(() => worker.Run(failed), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        var producer = new Producer(this, reader, shed ? governor : null, summary, rounds, workers, batchFrames, detect);
        Exception? readerFault = null;
        try
        {
            // The reader has a thread of its own too: it blocks while every round is in use (a file's reader never drops).
            await Task.Factory.StartNew(() => Read(producer, queues, rounds, summary, shed, failed.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            readerFault = e;
        }
        finally
        {
            foreach (var queue in queues)
            {
                queue?.Complete();
            }
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception) when (output.Failure is not null || readerFault is not null)
        {
            // Reported below: a worker's own failure first (the others then only saw the cancellation it caused).
        }

        if (output.Failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(output.Failure);
        }

        if (readerFault is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(readerFault);
        }

        output.Flush(rounds);
        governor.EndAll();
        summary.Exclusions = [.. governor.Exclusions];
        summary.ReaderFailure = reader.Failure;
        summary.PcreTimeouts = matchers.Sum(m => m.PcreTimeouts);
        summary.DetectionWorkers = tasks.Length;
        summary.Elapsed = _time.GetElapsedTime(started);
        return summary;
    }

    /// <summary>The reading side's loop: fills rounds and hands each to the workers that have frames in it.</summary>
    private static void Read(Producer producer, WorkQueue[] queues, Rounds rounds, CaptureSummary summary, bool shed, CancellationToken cancellationToken)
    {
        while (producer.TryNextRound(cancellationToken, out var round))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (shed && producer.DropWhenFull && !rounds.HasRoom)
            {
                // A live reader at a full queue (R5.2, DropWhenFull): the round's frames are dropped and counted.
                summary.DroppedQueueFull += round.Frames;
                round.Clear();
                producer.Reuse(round);
                continue;
            }

            rounds.Dispatch(round, queues);
        }
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

    /// <summary>Examines one frame of a worker's batch; its detections are kept in the batch, in frame order, until the round is emitted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Detect(FrameBatch batch, int index, RuleMatcher matcher, List<Rule> hits)
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
            batch.Found.Add(new CaptureDetection(header, rule.ToRuleRef(), contentCopy, participants, DetectionSource.Packet, work.Frame));
        }
    }

    /// <summary>The worker a frame goes to: a hash of its flow, the same in both directions, so a flow's frames stay on one
    /// worker and in order. Ports count unless the frame is a fragment (first or later: only the first has ports), so every
    /// fragment of a datagram goes where the others go.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int WorkerOf(in PacketHeader header, int workers)
    {
        var withPorts = header.HasPorts && !header.IsFragment && !header.MoreFragments;
        var source = Endpoint(header.SourceBits, withPorts ? header.SourcePort : 0);
        var destination = Endpoint(header.DestinationBits, withPorts ? header.DestinationPort : 0);

        // Addition is commutative: (a, b) and (b, a) hash alike.
        var hash = unchecked((source + destination + header.Protocol) * 0x9E3779B97F4A7C15UL);
        return (int)(((hash >> 32) * (ulong)workers) >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Endpoint(UInt128 address, int port)
    {
        var folded = unchecked((ulong)address ^ ((ulong)(address >> 64) * 0xC2B2AE3D27D4EB4FUL));
        var mixed = unchecked((folded ^ (uint)port) * 0xFF51AFD7ED558CCDUL);
        return mixed ^ (mixed >> 29);
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

    /// <summary>One worker's in-scope frames of a round, copied back to back into one reused buffer, and what it found in them.</summary>
    private sealed class FrameBatch(int frames, int bytes)
    {
        public byte[] Data { get; private set; } = new byte[Math.Max(bytes, 1 << 16)];

        public Work[] Entries { get; } = new Work[frames];

        /// <summary>The detections of this batch's frames, in frame order (filled by the worker).</summary>
        public List<CaptureDetection> Found { get; } = [];

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
            Found.Clear();
        }
    }

    /// <summary>One hand-off from the reader: a batch per worker, sealed when it holds <c>roundFrames</c> frames or a batch is full.</summary>
    /// <remarks>Every frame of a round was read before every frame of the next, so emitting rounds in order, and each round's
    /// detections merged by frame number, gives the detections in frame order whatever the number of workers.</remarks>
    private sealed class Round
    {
        private readonly int _capacity;

        public Round(int workers, int frames)
        {
            _capacity = frames;
            Batches = new FrameBatch[workers];
            for (var w = 0; w < workers; w++)
            {
                Batches[w] = new FrameBatch(frames, frames * 2048 / workers);
            }
        }

        public FrameBatch[] Batches { get; }

        public int Frames { get; private set; }

        /// <summary>Workers that have not finished their batch of this round yet.</summary>
        public int Pending;

        public bool IsFull { get; private set; }

        public void Add(int worker, ReadOnlySpan<byte> frame, in PacketHeader header, DateTimeOffset timestamp, int wireLength, long number, int source, int destination)
        {
            var batch = Batches[worker];
            batch.Add(frame, header, timestamp, wireLength, number, source, destination);
            Frames++;
            IsFull = Frames >= _capacity || batch.IsFull;
        }

        public void Clear()
        {
            foreach (var batch in Batches)
            {
                batch.Clear();
            }

            Frames = 0;
            IsFull = false;
            Pending = 0;
        }
    }

    /// <summary>The bounded queue: a fixed number of rounds (slots), the ones handed over kept in read order until emitted.</summary>
    /// <remarks>A reader that found every slot in use sleeps until <c>wakeAt</c> slots are free, not one: reading a file, the
    /// workers are the slower side, and waking the reader for every round they give back cost a futex wake-up and a context
    /// switch per round (with the workers' wake-ups, about 5 % of a 100-rule scan's CPU). Half the slots still hold rounds
    /// for the workers meanwhile.
    /// A live reader (<c>wakeAt</c> 1) is woken by the first free slot, as before.</remarks>
    private sealed class Rounds(int capacity, int workers, int roundFrames, int wakeAt, WorkQueue?[] queues)
    {
        private readonly object _gate = new();
        private readonly Stack<Round> _free = new();
        private readonly Queue<Round> _inFlight = new();
        private int _slots = capacity;
        private bool _waiting;
        private long _queuedFrames;

        /// <summary>Whether a round can be taken without waiting.</summary>
        public bool HasRoom => Volatile.Read(ref _slots) > 0;

        /// <summary>Frames handed over and not yet emitted: the queue depth the governor sees.</summary>
        public long QueuedFrames => Interlocked.Read(ref _queuedFrames);

        /// <summary>A round to fill; waits while every slot is in use (back-pressure: a file's reader waits, never drops).</summary>
        public Round Take(CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (_slots > 0)
                {
                    return TakeSlot();
                }
            }

            // Every round handed over is examined before this reader wakes: a worker waiting for more is woken now.
            foreach (var queue in queues)
            {
                queue?.WakeIfAny();
            }

            // Registered outside the lock: disposing a registration waits for a running Wake, which needs the lock.
            using var wake = cancellationToken.Register(Wake);
            lock (_gate)
            {
                _waiting = true;
                try
                {
                    while (_slots < wakeAt)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        Monitor.Wait(_gate);
                    }
                }
                finally
                {
                    _waiting = false;
                }

                return TakeSlot();
            }
        }

        public void Dispatch(Round round, WorkQueue[] queues)
        {
            var pending = 0;
            foreach (var batch in round.Batches)
            {
                pending += batch.Count > 0 ? 1 : 0;
            }

            round.Pending = pending;
            Interlocked.Add(ref _queuedFrames, round.Frames);
            lock (_inFlight)
            {
                _inFlight.Enqueue(round);
            }

            for (var w = 0; w < queues.Length; w++)
            {
                if (round.Batches[w].Count > 0)
                {
                    queues[w].Add(round);
                }
            }
        }

        /// <summary>The oldest handed-over round when every worker is done with it.</summary>
        public bool TryTakeCompleted([NotNullWhen(true)] out Round? round)
        {
            lock (_inFlight)
            {
                if (_inFlight.TryPeek(out round) && Volatile.Read(ref round.Pending) == 0)
                {
                    _inFlight.Dequeue();
                    return true;
                }

                round = null;
                return false;
            }
        }

        public bool HasCompleted
        {
            get
            {
                lock (_inFlight)
                {
                    return _inFlight.TryPeek(out var round) && Volatile.Read(ref round.Pending) == 0;
                }
            }
        }

        /// <summary>Gives an emitted round's slot back; wakes a waiting reader once <c>wakeAt</c> slots are free.</summary>
        public void Return(Round round)
        {
            Interlocked.Add(ref _queuedFrames, -round.Frames);
            round.Clear();
            lock (_gate)
            {
                _free.Push(round);
                _slots++;
                if (_waiting && _slots >= wakeAt)
                {
                    Monitor.Pulse(_gate);
                }
            }
        }

        private Round TakeSlot()
        {
            _slots--;
            return _free.Count > 0 ? _free.Pop() : new Round(workers, roundFrames);
        }

        private void Wake()
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>A worker's queue of rounds (bounded by the rounds in existence); its one consumer blocks while it is empty.</summary>
    /// <remarks>A worker that found its queue empty sleeps until <c>wakeAt</c> rounds are queued for it, or until the reader
    /// is about to wait or is done (<see cref="WakeIfAny"/>, <see cref="Complete"/>): one wake-up per few rounds, not per round.</remarks>
    private sealed class WorkQueue(int wakeAt)
    {
        private readonly Queue<Round> _items = new();
        private bool _completed;
        private bool _waiting;

        public void Add(Round round)
        {
            lock (_items)
            {
                _items.Enqueue(round);
                if (_waiting && _items.Count >= wakeAt)
                {
                    Monitor.Pulse(_items);
                }
            }
        }

        /// <summary>Wakes the worker if it waits and anything is queued.</summary>
        public void WakeIfAny()
        {
            lock (_items)
            {
                if (_waiting && _items.Count > 0)
                {
                    Monitor.Pulse(_items);
                }
            }
        }

        public void Complete()
        {
            lock (_items)
            {
                _completed = true;
                Monitor.PulseAll(_items);
            }
        }

        public void Wake()
        {
            lock (_items)
            {
                Monitor.PulseAll(_items);
            }
        }

        public bool TryTake(CancellationToken cancellationToken, [NotNullWhen(true)] out Round? round)
        {
            lock (_items)
            {
                // A worker stops at its next round once the run failed, though rounds are still queued for it.
                cancellationToken.ThrowIfCancellationRequested();
                while (_items.Count == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (_completed)
                    {
                        round = null;
                        return false;
                    }

                    _waiting = true;
                    Monitor.Wait(_items);
                    _waiting = false;
                }

                round = _items.Dequeue();
                return true;
            }
        }
    }

    /// <summary>Emits rounds in read order, one thread at a time: whichever worker finishes a round emits every round that is
    /// complete by then; <c>onDetection</c> is never called concurrently and sees frame order.</summary>
    private sealed class Output(CaptureSummary summary, Action<CaptureDetection> onDetection)
    {
        private readonly int[] _next = new int[8];
        private int _busy;
        private bool _stopped;

        /// <summary>The first failure of a worker (not a cancellation), reported as the run's failure.</summary>
        public Exception? Failure;

        public void Flush(Rounds rounds)
        {
            while (true)
            {
                if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
                {
                    // The thread emitting now looks again after it lets go (below), so this round is not left behind.
                    return;
                }

                try
                {
                    // After onDetection has thrown, no later round is emitted (the run ends with that exception).
                    while (!_stopped && rounds.TryTakeCompleted(out var round))
                    {
                        Emit(round);
                        rounds.Return(round);
                    }
                }
                catch
                {
                    // Set before _busy is released below, so a worker that takes over sees it.
                    _stopped = true;
                    throw;
                }
                finally
                {
                    // A full fence: a round completed while this thread was emitting is seen by the check below, or its
                    // worker sees _busy == 0 and emits it itself.
                    Interlocked.Exchange(ref _busy, 0);
                }

                if (_stopped || !rounds.HasCompleted)
                {
                    return;
                }
            }
        }

        private void Emit(Round round)
        {
            var batches = round.Batches;
            var next = batches.Length <= _next.Length ? _next.AsSpan(0, batches.Length) : new int[batches.Length];
            next.Clear();
            while (true)
            {
                // The batches' detections are each in frame order; the smallest frame number goes first (a round has few).
                var best = -1;
                for (var w = 0; w < batches.Length; w++)
                {
                    if (next[w] < batches[w].Found.Count && (best < 0 || batches[w].Found[next[w]].Frame < batches[best].Found[next[best]].Frame))
                    {
                        best = w;
                    }
                }

                if (best < 0)
                {
                    return;
                }

                var detection = batches[best].Found[next[best]++];
                Count(summary, detection.Rule.Sid);
                onDetection(detection);
            }
        }
    }

    /// <summary>A detection worker: examines its batch of each round it is given, then emits whatever rounds are complete.</summary>
    private sealed class Worker(CapturePipeline pipeline, int index, WorkQueue queue, RuleMatcher matcher, Rounds rounds, Output output)
    {
        public void Run(CancellationTokenSource failed)
        {
            try
            {
                using var wake = failed.Token.Register(queue.Wake);
                var hits = new List<Rule>();
                while (queue.TryTake(failed.Token, out var round))
                {
                    var batch = round.Batches[index];
                    for (var i = 0; i < batch.Count; i++)
                    {
                        pipeline.Detect(batch, i, matcher, hits);
                    }

                    if (Interlocked.Decrement(ref round.Pending) == 0)
                    {
                        output.Flush(rounds);
                    }
                }
            }
            catch (Exception e)
            {
                if (e is not OperationCanceledException)
                {
                    Interlocked.CompareExchange(ref output.Failure, e, null);
                }

                // The reader and the other workers stop instead of waiting for this one.
                failed.Cancel();
                throw;
            }
        }
    }

    /// <summary>The reading side: the only code that touches frame spans.</summary>
    /// <remarks>Without a governor (a file) nothing is excluded: the bounded rounds pace the reader.</remarks>
    private sealed class Producer(CapturePipeline pipeline, CaptureReader reader, LoadGovernor? governor, CaptureSummary summary, Rounds rounds, int workers, int batchFrames, bool detect)
    {
        private long _frame;
        private int _sinceObserved;
        private Round? _spare;

        /// <summary>Whether a live reader drops a round at a full queue rather than waiting (R5.2).</summary>
        public bool DropWhenFull => pipeline._options.DropWhenFull;

        /// <summary>Keeps a dropped round (and its slot) to fill again.</summary>
        public void Reuse(Round round) => _spare = round;

        /// <summary>The next round of in-scope frames: full, or the last one when the capture ends; false when none is left.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool TryNextRound(CancellationToken cancellationToken, [NotNullWhen(true)] out Round? round)
        {
            var scope = pipeline._scope;
            var current = _spare;
            _spare = null;
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

                current ??= rounds.Take(cancellationToken);
                current.Add(workers == 1 ? 0 : WorkerOf(header, workers), frame.Data, header, frame.Timestamp, frame.WireLength, _frame, source, destination);
                if (current.IsFull)
                {
                    round = current;
                    return true;
                }
            }

            round = current;
            if (current is not null && current.Frames == 0)
            {
                // A dropped round kept for reuse, and nothing came after it: give its slot back.
                rounds.Return(current);
                round = null;
            }

            return round is not null;
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
                governor.Observe((int)Math.Min(int.MaxValue, rounds.QueuedFrames));
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
