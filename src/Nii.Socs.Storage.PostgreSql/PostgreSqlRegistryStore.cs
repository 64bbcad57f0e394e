using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>The participant registry on PostgreSQL: an append-only <c>registry_events</c> table folded into a <see cref="RegistryState"/>.</summary>
/// <remarks>
/// Events are stored in the same encoding as the FASTER <see cref="RegistryStore"/> and folded the same way
/// (<see cref="RegistryState.Apply"/>), so the same event sequence gives the same state on either store. An append
/// locks the log's head row, first folds what other writers (other connections, other nodes) committed, then applies
/// and inserts the new events after them, all or none, and returns once the commit is acknowledged (on the cluster:
/// by a synchronous standby). A trigger refuses UPDATE, DELETE and TRUNCATE on the table, for the owning role too.
/// </remarks>
internal sealed class PostgreSqlRegistryStore : IRegistryStore
{
    private readonly PostgreSqlEventLog<RegistryEvent, RegistryState> _log;

    private PostgreSqlRegistryStore(PostgreSqlEventLog<RegistryEvent, RegistryState> log) => _log = log;

    /// <summary>The state folded from every committed event; reading it first folds what other writers committed (one query).</summary>
    /// <exception cref="Npgsql.NpgsqlException">The cluster could not be reached (unlike the FASTER store, reading the state does I/O).</exception>
    public RegistryState State => _log.State;

    /// <summary>Every committed event, in order.</summary>
    /// <returns>The events.</returns>
    public IReadOnlyList<RegistryEvent> Events() => _log.Events();

    /// <summary>Appends events after every committed one and returns the state once the commit is acknowledged.</summary>
    /// <param name="events">The events, already decided.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The state after the events.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> is null.</exception>
    public Task<RegistryState> AppendAsync(IEnumerable<RegistryEvent> events, CancellationToken cancellationToken = default) =>
        _log.AppendAsync(events, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _log.Dispose();

    internal static async Task<PostgreSqlRegistryStore> OpenAsync(PostgreSqlStorage storage, CancellationToken cancellationToken) =>
        new(await PostgreSqlEventLog<RegistryEvent, RegistryState>.OpenAsync(
            storage, "registry", RegistryEventCodec.Encode, RegistryEventCodec.Decode, (state, e) => state.Apply(e), e => e.At, RegistryState.Empty, cancellationToken).ConfigureAwait(false));
}
