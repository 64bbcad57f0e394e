using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Storage;

/// <summary>The detection store as its consumers use it: ingest, the portal's queries, the retention sweep's view.</summary>
/// <remarks>
/// R4.7, R7.1, R7.3. Implemented by <see cref="DetectionStore"/> (FASTER, one machine) and by the PostgreSQL provider
/// (a replicated cluster). Both hold records with their content already sealed; both partition by participant and
/// JST acquisition month; both refuse an append whose partition is already past its expiry and store a record id
/// only once. The same contract tests run against both.
/// </remarks>
internal interface IDetectionStore : IDisposable
{
    /// <summary>The retention in force; appends to expired partitions are refused by it.</summary>
    RetentionSchedule Schedule { get; set; }

    /// <summary>Stores records and returns once every stored one is durable (on the cluster: replicated).</summary>
    /// <param name="records">The records; they may span participants and months.</param>
    /// <param name="cancellationToken">Cancels waiting (records may still become durable).</param>
    /// <returns>How many were stored; the others were expired (R7.3) or already stored under their id.</returns>
    Task<int> AppendAsync(IReadOnlyList<DetectionRecord> records, CancellationToken cancellationToken = default);

    /// <summary>Stores one record and returns once it is durable.</summary>
    /// <param name="record">The record.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>True when stored; false when expired or already stored.</returns>
    Task<bool> AppendAsync(DetectionRecord record, CancellationToken cancellationToken = default);

    /// <summary>One page of a participant's detections, newest first (R4.7).</summary>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The page and the cursor of the next one.</returns>
    Task<DetectionPage> QueryAsync(DetectionQuery query, CancellationToken cancellationToken = default);

    /// <summary>One record of a participant by id.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="id">The record id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The record; null when the participant has no record with that id.</returns>
    Task<DetectionRecord?> FindAsync(ParticipantId participant, DetectionId id, CancellationToken cancellationToken = default);

    /// <summary>Every partition the store holds, by participant then month.</summary>
    /// <returns>The partitions.</returns>
    IReadOnlyList<(ParticipantId Participant, JstMonth Month)> Partitions();

    /// <summary>Record count and size of a partition.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="month">The month.</param>
    /// <returns>The figures; null when the partition does not exist.</returns>
    PartitionStats? Stats(ParticipantId participant, JstMonth month);
}

/// <summary>The operation history as its readers use it: append (see <see cref="IOperationHistory"/>) and read back in order.</summary>
/// <remarks>R6.4. Implemented by <see cref="OperationHistoryStore"/> (FASTER) and by the PostgreSQL provider
/// (an append-only table whose hash chain any node can extend).</remarks>
internal interface IOperationHistoryStore : IOperationHistory
{
    /// <summary>The number of entries; the last entry's sequence number.</summary>
    long Count { get; }

    /// <summary>Entries from a sequence number on, in order.</summary>
    /// <param name="first">The first sequence number (1-based).</param>
    /// <param name="count">The most entries returned.</param>
    /// <returns>The entries.</returns>
    IReadOnlyList<OperationEntry> Read(long first, int count);

    /// <summary>Every entry in order.</summary>
    /// <returns>The entries.</returns>
    IReadOnlyList<OperationEntry> Entries();
}

/// <summary>The consent log as its consumers use it: an append-only event log folded into a ledger.</summary>
/// <remarks>R5. Implemented by <see cref="Consent.ConsentStore"/> (FASTER).</remarks>
internal interface IConsentLog : IDisposable
{
    /// <summary>The ledger folded from every event.</summary>
    ConsentLedger Ledger { get; }

    /// <summary>Every event in order.</summary>
    /// <returns>The events.</returns>
    IReadOnlyList<ConsentEvent> Events();

    /// <summary>Appends an event once the ledger accepts it and returns the new ledger once it is durable.</summary>
    /// <param name="e">The event.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The ledger after the event.</returns>
    Task<ConsentLedger> AppendAsync(ConsentEvent e, CancellationToken cancellationToken = default);

    /// <summary>Decides a command on the ledger as it is at the append, under the log's append lock, and appends the
    /// event the decision yields (R8.6: a view is checked against the grant as it stands, not as a reader last saw it).</summary>
    /// <param name="decide">Yields the event from the current ledger; it throws to refuse (nothing is then written).
    /// It may run more than once and must not act outside the ledger.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The appended event and the ledger after it, once it is durable.</returns>
    /// <remarks>On PostgreSQL the decision runs on the ledger folded under the head row's <c>FOR UPDATE</c> lock, so a
    /// grant another node revoked a moment before is seen revoked; on FASTER under the single writer's append lock.</remarks>
    Task<(ConsentEvent Event, ConsentLedger Ledger)> AppendDecidedAsync(Func<ConsentLedger, ConsentEvent> decide, CancellationToken cancellationToken = default);
}

/// <summary>The participant registry as its consumers use it: an append-only event log folded into a state.</summary>
/// <remarks>Implemented by <see cref="RegistryStore"/> (FASTER).</remarks>
internal interface IRegistryStore : IDisposable
{
    /// <summary>The state folded from every event.</summary>
    RegistryState State { get; }

    /// <summary>Every event in order.</summary>
    /// <returns>The events.</returns>
    IReadOnlyList<RegistryEvent> Events();

    /// <summary>Appends events once the state accepts them and returns the new state once they are durable.</summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The state after the events.</returns>
    Task<RegistryState> AppendAsync(IEnumerable<RegistryEvent> events, CancellationToken cancellationToken = default);
}

/// <summary>The mail outbox as its consumers use it: an append-only event log folded into a notification state.</summary>
/// <remarks>R4.6, R7.3. Implemented by <see cref="Outbox.MailOutbox"/> (FASTER) and, in the PostgreSQL package, on the cluster.</remarks>
internal interface IMailOutbox : IDisposable
{
    /// <summary>The state folded from every event.</summary>
    NotificationState State { get; }

    /// <summary>Every event in order.</summary>
    /// <returns>The events.</returns>
    IReadOnlyList<OutboxEvent> Events();

    /// <summary>Appends events and returns the new state once they are durable.</summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The state after the events.</returns>
    Task<NotificationState> AppendAsync(IEnumerable<OutboxEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Removes the rows of ended retention from the whole outbox, physically (R7.3), with
    /// <see cref="OutboxRetention.Reduce"/>'s decision, and returns what changed.</summary>
    /// <param name="expired">Whether a row's retention has ended.</param>
    /// <param name="at">When withdrawals of unsent mails left without rows are recorded.</param>
    /// <param name="beforeRewrite">Called with the reduction before the outbox is rewritten (to delete the affected mails' stored copies first).</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The reduction; <see cref="OutboxReduction.Changed"/> is false when nothing had ended.</returns>
    Task<OutboxReduction> PurgeAsync(Func<NotificationRow, bool> expired, DateTimeOffset at, Action<OutboxReduction>? beforeRewrite = null, CancellationToken cancellationToken = default);
}
