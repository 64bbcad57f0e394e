using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Consent;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>The consent log on PostgreSQL: an append-only <c>consent_events</c> table folded into a <see cref="ConsentLedger"/>.</summary>
/// <remarks>
/// R5, R8.5, R8.6. Events are stored in the same encoding as the FASTER <see cref="ConsentStore"/> and folded the
/// same way (<see cref="ConsentLedger.Apply"/>), so the same event sequence gives the same ledger on either store.
/// An append locks the log's head row, first folds what other writers (other connections, other nodes) committed,
/// then applies the new event: an event the caught-up ledger refuses (a second decision on one request, an unknown
/// request or grant) throws as <see cref="ConsentLedger.Apply"/> does and nothing is written. It returns once the commit is acknowledged, on the cluster by a
/// synchronous standby. A trigger refuses UPDATE, DELETE and TRUNCATE on the table, for the owning role too.
/// <para>A command decided on a caller's ledger (<see cref="AppendAsync"/>) is checked again only by <see cref="ConsentLedger.Apply"/>,
/// which refuses duplicates and unknown ids; a command that depends on the ledger's current state (a view of a grant
/// another node may have revoked) goes through <see cref="AppendDecidedAsync"/>, which decides it under the lock.</para>
/// </remarks>
internal sealed class PostgreSqlConsentLog : IConsentLog
{
    private readonly PostgreSqlEventLog<ConsentEvent, ConsentLedger> _log;

    private PostgreSqlConsentLog(PostgreSqlEventLog<ConsentEvent, ConsentLedger> log) => _log = log;

    /// <summary>The ledger folded from every committed event; reading it first folds what other writers committed (one query).</summary>
    /// <exception cref="Npgsql.NpgsqlException">The cluster could not be reached (unlike the FASTER store, reading the state does I/O).</exception>
    public ConsentLedger Ledger => _log.State;

    /// <summary>Every committed event, in order.</summary>
    /// <returns>The events.</returns>
    public IReadOnlyList<ConsentEvent> Events() => _log.Events();

    /// <summary>Appends one event after every committed one and returns the ledger once the commit is acknowledged.</summary>
    /// <param name="e">The event, produced by a <see cref="ConsentLedger"/> command.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The ledger after the event.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="e"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The event names a request or grant the ledger does not have (nothing is written).</exception>
    /// <exception cref="ArgumentException">The ledger already holds the request, decision or grant the event adds (nothing is written).</exception>
    public Task<ConsentLedger> AppendAsync(ConsentEvent e, CancellationToken cancellationToken = default) =>
        _log.AppendAsync([e ?? throw new ArgumentNullException(nameof(e))], cancellationToken);

    /// <summary>Decides a command on the ledger folded under the head row's <c>FOR UPDATE</c> lock and appends the event it
    /// yields, in the same transaction.</summary>
    /// <param name="decide">Yields the event from the ledger as it stands at the append, with every event other nodes
    /// committed before it; it throws to refuse (nothing is written).</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The event and the ledger after it, once the commit is acknowledged.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="decide"/> is null.</exception>
    /// <remarks>R8.6. A view decided on a reader's ledger just after another node revoked the grant is refused here, not
    /// recorded after the revocation.</remarks>
    public Task<(ConsentEvent Event, ConsentLedger Ledger)> AppendDecidedAsync(Func<ConsentLedger, ConsentEvent> decide, CancellationToken cancellationToken = default) =>
        DecidedAppend.RunAsync<ConsentEvent, ConsentLedger>(d => _log.AppendAsync(d, cancellationToken), decide);

    /// <inheritdoc />
    public void Dispose() => _log.Dispose();

    internal static async Task<PostgreSqlConsentLog> OpenAsync(PostgreSqlStorage storage, CancellationToken cancellationToken) =>
        new(await PostgreSqlEventLog<ConsentEvent, ConsentLedger>.OpenAsync(
            storage, "consent", StoredConsentEvent.Encode, StoredConsentEvent.Decode, (ledger, e) => ledger.Apply(e), e => e.At, ConsentLedger.Empty, cancellationToken).ConfigureAwait(false));
}
