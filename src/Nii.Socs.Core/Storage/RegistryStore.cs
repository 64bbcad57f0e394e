using Nii.Socs.Core.Participants.Registry;

namespace Nii.Socs.Core.Storage;

/// <summary>The participant registry, event-sourced on a FasterLog under <c>&lt;data&gt;/registry/</c> (DESIGN §5).</summary>
/// <remarks>
/// The events are the source of truth; <see cref="State"/> is <see cref="RegistryState.Fold"/> of them, rebuilt on
/// open and advanced on every append. An append returns once committed; appends are serialised so the log order is
/// the order in which <see cref="State"/> saw them.
/// <para>Edge case: after a crash the registry reopens to the last committed event; an append that had not returned
/// may be missing, never half-present.</para>
/// </remarks>
public sealed class RegistryStore : IDisposable
{
    /// <summary>The directory under the data directory.</summary>
    public const string DirectoryName = "registry";

    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly FasterLogHandle _log;
    private RegistryState _state;

    private RegistryStore(FasterLogHandle log, RegistryState state)
    {
        _log = log;
        _state = state;
    }

    /// <summary>The current state: the fold of every committed event.</summary>
    public RegistryState State => Volatile.Read(ref _state);

    /// <summary>Opens (creating when absent) the registry and folds its events.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">A stored event cannot be read.</exception>
    public static RegistryStore Open(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var log = FasterLogHandle.Open(Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName));
        try
        {
            return new RegistryStore(log, RegistryState.Fold(ReadEvents(log)));
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>Every committed event in order.</summary>
    /// <returns>The events.</returns>
    public IReadOnlyList<RegistryEvent> Events() => ReadEvents(_log);

    /// <summary>Appends events and returns the new state once they are committed.</summary>
    /// <param name="events">The events, in order.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The state after them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> is null.</exception>
    public async Task<RegistryState> AppendAsync(IEnumerable<RegistryEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        await _append.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = State;
            foreach (var e in events)
            {
                _log.Log.Enqueue(RegistryEventCodec.Encode(e));
                state = state.Apply(e);
            }

            await _log.EnsureCommittedAsync(_log.Log.TailAddress, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _state, state);
            return state;
        }
        finally
        {
            _append.Release();
        }
    }

    /// <summary>Closes the log.</summary>
    public void Dispose()
    {
        _log.Dispose();
        _append.Dispose();
    }

    private static List<RegistryEvent> ReadEvents(FasterLogHandle log)
    {
        var events = new List<RegistryEvent>();
        using var iterator = log.Log.Scan(log.Log.BeginAddress, log.Log.CommittedUntilAddress);
        while (iterator.GetNext(out var bytes, out var length, out _))
        {
            events.Add(RegistryEventCodec.Decode(bytes.AsMemory(0, length)));
        }

        return events;
    }
}
