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
    private readonly FasterLogHandle _log;
    private readonly Func<TEvent, byte[]> _encode;
    private readonly Func<ReadOnlyMemory<byte>, TEvent> _decode;
    private readonly Func<TState, TEvent, TState> _apply;
    private TState _state;
    private bool _disposed;

    private FoldedEventLog(FasterLogHandle log, Func<TEvent, byte[]> encode, Func<ReadOnlyMemory<byte>, TEvent> decode, Func<TState, TEvent, TState> apply, TState state)
    {
        _log = log;
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
        var log = FasterLogHandle.Open(Path.Combine(Path.GetFullPath(dataDirectory), directoryName));
        try
        {
            var state = ReadEvents(log, decode).Aggregate(empty, apply);
            return new FoldedEventLog<TEvent, TState>(log, encode, decode, apply, state);
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

    public async Task<TState> AppendAsync(IEnumerable<TEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _append.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = State;
            var any = false;
            foreach (var e in events)
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
