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
internal sealed class RegistryStore : IRegistryStore
{
    /// <summary>The directory name under the data directory.</summary>
    public const string DirectoryName = "registry";

    private readonly FoldedEventLog<RegistryEvent, RegistryState> _log;

    private RegistryStore(FoldedEventLog<RegistryEvent, RegistryState> log) => _log = log;

    /// <summary>The current state: the fold of every committed event.</summary>
    public RegistryState State => _log.State;

    /// <summary>Opens (or creates) the log of a data directory and folds it.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException">The directory is empty.</exception>
    public static RegistryStore Open(string dataDirectory) =>
        new(FoldedEventLog<RegistryEvent, RegistryState>.Open(dataDirectory, DirectoryName, RegistryEventCodec.Encode, RegistryEventCodec.Decode, (state, e) => state.Apply(e), RegistryState.Empty));

    /// <summary>Every committed event, in order.</summary>
    /// <returns>The events.</returns>
    public IReadOnlyList<RegistryEvent> Events() => _log.Events();

    /// <summary>Appends events and returns the new state once they are committed.</summary>
    /// <param name="events">The events, already decided.</param>
    /// <param name="cancellationToken">Cancels waiting for the commit.</param>
    /// <returns>The new state.</returns>
    public Task<RegistryState> AppendAsync(IEnumerable<RegistryEvent> events, CancellationToken cancellationToken = default) =>
        _log.AppendAsync(events, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _log.Dispose();
}
