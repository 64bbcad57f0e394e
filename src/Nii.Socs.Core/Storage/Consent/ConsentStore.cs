using Nii.Socs.Core.Consent;

namespace Nii.Socs.Core.Storage.Consent;

/// <summary>The consent events on their own FasterLog under <c>&lt;data&gt;/consent/</c>; the ledger is their fold.</summary>
/// <remarks>
/// Append-only. An append returns after its commit, so a decision or a view is durable before
/// the caller acts on it (a view is recorded before the plaintext is returned, R8.6).
/// </remarks>
internal sealed class ConsentStore : IConsentLog
{
    /// <summary>The directory name under the data directory.</summary>
    public const string DirectoryName = "consent";

    private readonly FoldedEventLog<ConsentEvent, ConsentLedger> _log;

    private ConsentStore(FoldedEventLog<ConsentEvent, ConsentLedger> log) => _log = log;

    /// <summary>Opens (or creates) the log of a data directory and folds it.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException">The directory is empty.</exception>
    public static ConsentStore Open(string dataDirectory) =>
        new(FoldedEventLog<ConsentEvent, ConsentLedger>.Open(dataDirectory, DirectoryName, StoredConsentEvent.Encode, StoredConsentEvent.Decode, (ledger, e) => ledger.Apply(e), ConsentLedger.Empty));

    /// <summary>Every committed event, in order.</summary>
    /// <returns>The events.</returns>
    public IReadOnlyList<ConsentEvent> Events() => _log.Events();

    /// <summary>The current ledger: the fold of every committed event.</summary>
    public ConsentLedger Ledger => _log.State;

    /// <summary>Appends one event and returns the new ledger once it is committed.</summary>
    /// <param name="e">The event, produced by a <see cref="ConsentLedger"/> command.</param>
    /// <param name="cancellationToken">Cancels waiting for the commit.</param>
    /// <returns>The new ledger.</returns>
    public Task<ConsentLedger> AppendAsync(ConsentEvent e, CancellationToken cancellationToken = default) =>
        _log.AppendAsync([e ?? throw new ArgumentNullException(nameof(e))], cancellationToken);

    /// <summary>Decides a command on the ledger under the append lock and appends the event it yields, once committed.</summary>
    /// <param name="decide">Yields the event from the current ledger; it throws to refuse (nothing is written).</param>
    /// <param name="cancellationToken">Cancels waiting for the commit.</param>
    /// <returns>The event and the new ledger.</returns>
    public Task<(ConsentEvent Event, ConsentLedger Ledger)> AppendDecidedAsync(Func<ConsentLedger, ConsentEvent> decide, CancellationToken cancellationToken = default) =>
        DecidedAppend.RunAsync<ConsentEvent, ConsentLedger>(d => _log.AppendAsync(d, cancellationToken), decide);

    /// <inheritdoc />
    public void Dispose() => _log.Dispose();
}
