using System.Runtime.CompilerServices;
using Nii.Socs.Core.Notifications;

namespace Nii.Socs.Core.Storage.Outbox;

/// <summary>The mail outbox (R4.5, R4.6) on its own FasterLog under <c>&lt;data&gt;/outbox/</c>: events are the truth, <see cref="State"/> their fold.</summary>
/// <remarks>
/// Every <see cref="AppendAsync"/> returns only after FASTER has committed its events, so a mail queued (or a detection
/// deferred to a digest) before a crash or restart is still there after <see cref="Open"/>. Appends are serialised, so
/// the log order is the order in which <see cref="State"/> saw them.
/// <para>Edge case: a crash between handing a mail to the SMTP server and committing its <see cref="MailSent"/> sends
/// that mail again after the restart (at least once, never lost).</para>
/// </remarks>
internal sealed class MailOutbox : IMailOutbox
{
    /// <summary>The directory name under the data directory.</summary>
    public const string DirectoryName = "outbox";

    private readonly FoldedEventLog<OutboxEvent, NotificationState> _log;

    private MailOutbox(FoldedEventLog<OutboxEvent, NotificationState> log) => _log = log;

    /// <summary>The current state: the fold of every committed event.</summary>
    public NotificationState State => _log.State;

    /// <summary>Opens (or creates) the log of a data directory and folds it.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException">The directory is empty.</exception>
    public static MailOutbox Open(string dataDirectory) =>
        new(FoldedEventLog<OutboxEvent, NotificationState>.Open(dataDirectory, DirectoryName, OutboxEventCodec.Encode, OutboxEventCodec.Decode, (state, e) => state.Apply(e), NotificationState.Empty));

    /// <summary>Every committed event, in order.</summary>
    /// <returns>The events.</returns>
    public IReadOnlyList<OutboxEvent> Events() => _log.Events();

    /// <summary>Appends events and returns the new state once they are committed.</summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels waiting for the commit.</param>
    /// <returns>The new state.</returns>
    public Task<NotificationState> AppendAsync(IEnumerable<OutboxEvent> events, CancellationToken cancellationToken = default) =>
        _log.AppendAsync(events, cancellationToken);

    /// <summary>Removes the rows of ended retention from the whole log, physically (R7.3), and returns what changed.</summary>
    /// <param name="expired">Whether a row's retention has ended.</param>
    /// <param name="at">When withdrawals of unsent mails left without rows are recorded.</param>
    /// <param name="beforeRewrite">Called with the reduction before the log is rewritten, e.g. to delete the stored
    /// copies of the affected mails first (a crash in between repeats the same reduction on the next run).</param>
    /// <param name="cancellationToken">Cancels waiting for the outbox.</param>
    /// <returns>The reduction; <see cref="OutboxReduction.Changed"/> is false when nothing had ended.</returns>
    /// <remarks>See <see cref="OutboxRetention"/> for what is kept. The log is written anew beside the old one and
    /// swapped in, and the old files are deleted: FASTER cannot delete single entries.</remarks>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public async Task<OutboxReduction> PurgeAsync(Func<NotificationRow, bool> expired, DateTimeOffset at, Action<OutboxReduction>? beforeRewrite = null, CancellationToken cancellationToken = default)
    {
        var reduction = new StrongBox<OutboxReduction?>();
        var step = OutboxRetention.PurgeStep(expired, at, beforeRewrite, reduction);
        await _log.RewriteAsync(step, cancellationToken).ConfigureAwait(false);
        return reduction.Value!;
    }

    /// <inheritdoc />
    public void Dispose() => _log.Dispose();
}
