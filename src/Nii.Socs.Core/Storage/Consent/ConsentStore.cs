using Nii.Socs.Core.Consent;

namespace Nii.Socs.Core.Storage.Consent;

/// <summary>The consent events on their own FasterLog under <c>&lt;data&gt;/consent/</c>; the ledger is their fold.</summary>
/// <remarks>
/// Append-only. An append returns after its commit, so a decision or a view is durable before
/// the caller acts on it (a view is recorded before the plaintext is returned, R8.6).
/// </remarks>
public sealed class ConsentStore : IDisposable
{
    /// <summary>The directory name under the data directory.</summary>
    public const string DirectoryName = "consent";

    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly FasterLogHandle _log;
    private ConsentLedger _ledger;

    private ConsentStore(FasterLogHandle log, ConsentLedger ledger)
    {
        _log = log;
        _ledger = ledger;
    }

    /// <summary>The current ledger: the fold of every committed event.</summary>
    public ConsentLedger Ledger => Volatile.Read(ref _ledger);

    /// <summary>Opens (or creates) the consent log of a data directory and folds it.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException">The directory is empty.</exception>
    public static ConsentStore Open(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var log = FasterLogHandle.Open(Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName));
        try
        {
            return new ConsentStore(log, ConsentLedger.Fold(ReadEvents(log)));
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>Every committed event, in order.</summary>
    /// <returns>The events.</returns>
    public IReadOnlyList<ConsentEvent> Events() => ReadEvents(_log);

    /// <summary>Appends one event and returns once it is committed.</summary>
    /// <param name="e">The event, produced by a <see cref="ConsentLedger"/> command.</param>
    /// <param name="cancellationToken">Cancels waiting for the commit.</param>
    /// <returns>The new ledger.</returns>
    public async Task<ConsentLedger> AppendAsync(ConsentEvent e, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(e);
        await _append.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var ledger = Ledger.Apply(e);
            _log.Log.Enqueue(StoredConsentEvent.Encode(e));
            await _log.EnsureCommittedAsync(_log.Log.TailAddress, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _ledger, ledger);
            return ledger;
        }
        finally
        {
            _append.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _log.Dispose();
        _append.Dispose();
    }

    private static List<ConsentEvent> ReadEvents(FasterLogHandle log)
    {
        var events = new List<ConsentEvent>();
        using var iterator = log.Log.Scan(log.Log.BeginAddress, log.Log.CommittedUntilAddress);
        while (iterator.GetNext(out var bytes, out var length, out _))
        {
            events.Add(StoredConsentEvent.Decode(bytes.AsMemory(0, length)));
        }

        return events;
    }
}
