namespace Nii.Socs.Core.Storage;

/// <summary>An append-only FasterLog of events whose state is a pure fold of them: the registry, the consent log and the mail outbox.</summary>
/// <typeparam name="TEvent">The event type.</typeparam>
/// <typeparam name="TState">The folded state.</typeparam>
/// <remarks>An append encodes and enqueues its events, waits for the commit that covers them, and only
/// then publishes the new state: a reader never sees state that a crash could take back.</remarks>
internal sealed class FoldedEventLog<TEvent, TState> : IDisposable
    where TState : class
{
    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly TState _empty;
    private FasterLogHandle _log;
    private readonly Func<TEvent, byte[]> _encode;
    private readonly Func<ReadOnlyMemory<byte>, TEvent> _decode;
    private readonly Func<TState, TEvent, TState> _apply;
    private TState _state;
    private bool _disposed;

    private FoldedEventLog(FasterLogHandle log, Func<TEvent, byte[]> encode, Func<ReadOnlyMemory<byte>, TEvent> decode, Func<TState, TEvent, TState> apply, TState state, TState empty)
    {
        _log = log;
        _empty = empty;
        _encode = encode;
        _decode = decode;
        _apply = apply;
        _state = state;
    }

    public TState State => Volatile.Read(ref _state);

    /// <summary>Opens (or creates) the log in <c>&lt;data&gt;/&lt;directoryName&gt;/</c> and folds what it holds.</summary>
    public static FoldedEventLog<TEvent, TState> Open(
        string dataDirectory,
        string directoryName,
        Func<TEvent, byte[]> encode,
        Func<ReadOnlyMemory<byte>, TEvent> decode,
        Func<TState, TEvent, TState> apply,
        TState empty)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), directoryName);
        FinishRewrite(directory);
        var log = FasterLogHandle.Open(directory);
        try
        {
            var state = ReadEvents(log, decode).Aggregate(empty, apply);
            return new FoldedEventLog<TEvent, TState>(log, encode, decode, apply, state, empty);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    public IReadOnlyList<TEvent> Events()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ReadEvents(_log, _decode);
    }

    public Task<TState> AppendAsync(IEnumerable<TEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        return AppendAsync(_ => events, cancellationToken);
    }

    /// <summary>Appends the events <paramref name="decide"/> yields from the state as it is under the append lock.</summary>
    public async Task<TState> AppendAsync(Func<TState, IEnumerable<TEvent>> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decide);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _append.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = State;
            var any = false;
            foreach (var e in decide(state).ToList())
            {
                state = _apply(state, e);
                _log.Log.Enqueue(_encode(e));
                any = true;
            }

            if (any)
            {
                await _log.EnsureCommittedAsync(_log.Log.TailAddress, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _state, state);
            }

            return state;
        }
        finally
        {
            _append.Release();
        }
    }

    /// <summary>Replaces the whole log by a transformation of its events, physically: the old files are deleted.</summary>
    /// <remarks>
    /// A FasterLog cannot delete single entries, so a new log is written beside the old one (<c>&lt;dir&gt;.next</c>),
    /// committed, and swapped in by two renames (the old one to <c>&lt;dir&gt;.old</c>, then emptied and removed). An
    /// interrupted rewrite is finished or undone by the next <see cref="Open"/>: a complete <c>.next</c> is only ever
    /// renamed after the old log is out of the way, so whichever of the two exists whole is the log.
    /// </remarks>
    /// <returns>The new state; the current one when <paramref name="transform"/> returns null (nothing to change).</returns>
    public async Task<TState> RewriteAsync(Func<IReadOnlyList<TEvent>, IReadOnlyList<TEvent>?> transform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transform);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _append.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var replacement = transform(ReadEvents(_log, _decode));
            if (replacement is null)
            {
                return State;
            }

            var directory = _log.Directory;
            var next = directory + NextSuffix;
            DeleteTree(next);
            using (var fresh = FasterLogHandle.Open(next))
            {
                foreach (var e in replacement)
                {
                    fresh.Log.Enqueue(_encode(e));
                }

                await fresh.EnsureCommittedAsync(fresh.Log.TailAddress, CancellationToken.None).ConfigureAwait(false);
            }

            _log.Dispose();
            var old = directory + OldSuffix;
            DeleteTree(old);
            Directory.Move(directory, old);
            Directory.Move(next, directory);
            DeleteTree(old);
            _log = FasterLogHandle.Open(directory);
            var state = ReadEvents(_log, _decode).Aggregate(_empty, _apply);
            Volatile.Write(ref _state, state);
            return state;
        }
        finally
        {
            _append.Release();
        }
    }

    private const string NextSuffix = ".next";

    private const string OldSuffix = ".old";

    /// <summary>Finishes a rewrite a crash interrupted: a whole log is kept, the other copy removed.</summary>
    private static void FinishRewrite(string directory)
    {
        if (!Directory.Exists(directory) && Directory.Exists(directory + NextSuffix) && Directory.Exists(directory + OldSuffix))
        {
            // Crashed between the two renames: the new log is complete (it was committed before the first rename).
            Directory.Move(directory + NextSuffix, directory);
        }
        else if (!Directory.Exists(directory) && Directory.Exists(directory + OldSuffix))
        {
            Directory.Move(directory + OldSuffix, directory);
        }

        // A ".next" beside a live log is an unfinished copy; an ".old" beside it is a finished swap not yet cleaned.
        DeleteTree(directory + NextSuffix);
        DeleteTree(directory + OldSuffix);
    }

    private static void DeleteTree(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _log.Dispose();
        _append.Dispose();
    }

    private static List<TEvent> ReadEvents(FasterLogHandle log, Func<ReadOnlyMemory<byte>, TEvent> decode)
    {
        var events = new List<TEvent>();
        using var iterator = log.Log.Scan(log.Log.BeginAddress, log.Log.CommittedUntilAddress);
        while (iterator.GetNext(out var bytes, out var length, out _))
        {
            events.Add(decode(bytes.AsMemory(0, length)));
        }

        return events;
    }
}

/// <summary>The one way a consent log runs a decision under its append lock (R8.6): on FASTER and on the cluster alike.</summary>
internal static class DecidedAppend
{
    /// <summary>Runs <paramref name="decide"/> on the state as it stands under the log's lock (through
    /// <paramref name="append"/>) and returns the event it yielded with the state after it.</summary>
    /// <param name="append">The log's decide-and-append.</param>
    /// <param name="decide">Yields the event; it throws to refuse (nothing is written).</param>
    public static async Task<(TEvent Event, TState State)> RunAsync<TEvent, TState>(Func<Func<TState, IReadOnlyList<TEvent>>, Task<TState>> append, Func<TState, TEvent> decide)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(decide);
        TEvent? decided = null;
        var state = await append(current => [decided = decide(current) ?? throw new InvalidOperationException("The decision yielded no event.")]).ConfigureAwait(false);
        return (decided!, state);
    }
}
