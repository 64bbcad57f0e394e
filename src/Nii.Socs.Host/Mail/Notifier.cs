using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Host.Mail;

/// <summary>What one sending pass did.</summary>
internal readonly record struct SendReport(int Sent, int Failed);

/// <summary>The pipeline's entry point for mail (R4.5, R4.6): plans with the pure planner, persists in the outbox, sends, records history.</summary>
/// <remarks>
/// <see cref="OnDetectionsAsync"/> and <see cref="FollowUpAsync"/> return once their mails are committed to the outbox;
/// the hosted <see cref="MailNotifierService"/> sends them. Planning is serialised (a plan reads the state and appends
/// to it); sending is serialised separately, so a slow SMTP server never holds up the pipeline. Every send and every
/// failure is appended to the operation history (R6.4): <c>mail.sent</c>, <c>mail.digest.sent</c>,
/// <c>mail.followup.sent</c>, <c>mail.failed</c>; a follow-up written by staff is also recorded as
/// <c>mail.followup.queued</c> under the staff member's name.
/// <para>Idempotent per detection: a detection already in a queued mail or a digest is not planned again, so a file
/// ingested again after a crash (same ids, <see cref="DetectionId.FromSource"/>) mails nothing twice.</para>
/// </remarks>
internal sealed partial class Notifier : IDisposable
{
    public const string Actor = "system:mailer";

    private readonly IMailOutbox _outbox;
    private readonly IMailTransport _transport;
    private readonly IOperationHistory _history;
    private readonly Func<ParticipantId, ImmutableArray<string>> _contacts;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _plan = new(1, 1);
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, 1);

    // Every detection already in a queued mail or waiting for a digest (read from the outbox log on start): a detection
    // offered again, because its file was ingested again after a crash, is not mailed twice. Guarded by _plan.
    private readonly HashSet<DetectionId> _planned;

    public Notifier(IMailOutbox outbox, NotificationPlanner planner, MimeMailRenderer renderer, IMailTransport transport, IOperationHistory history, Func<ParticipantId, ImmutableArray<string>> contacts, TimeProvider time, ILogger<Notifier> logger)
    {
        _outbox = outbox;
        Planner = planner;
        Renderer = renderer;
        _transport = transport;
        _history = history;
        _contacts = contacts;
        _time = time;
        _logger = logger;
        _planned = PlannedIn(outbox.Events());
    }

    public NotificationPlanner Planner { get; }

    public MimeMailRenderer Renderer { get; }

    public string Destination => _transport.Describe;

    public NotificationState State => _outbox.State;

    /// <summary>Plans a batch of stored detections: important first-of-kind ones are queued at once, the rest wait for the digest (R4.5).</summary>
    public async Task<NotificationPlan> OnDetectionsAsync(IReadOnlyList<DetectionRecord> detections, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(detections);
        if (detections.Count == 0)
        {
            return NotificationPlan.None;
        }

        NotificationPlan plan;
        await _plan.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            var digests = Planner.PlanDueDigests(_outbox.State, now);
            var state = await _outbox.AppendAsync(digests, cancellationToken);
            var fresh = detections.Where(d => !_planned.Contains(d.Id)).ToList();
            plan = Planner.PlanDetections(state, fresh, _contacts, now);
            await _outbox.AppendAsync(plan.Events, cancellationToken);
            _planned.UnionWith(PlannedIn(plan.Events));
        }
        finally
        {
            _plan.Release();
        }

        if (plan.Unreachable > 0)
        {
            LogUnreachable(_logger, plan.Unreachable);
        }

        Wake();
        return plan;
    }

    /// <summary>Queues a follow-up about a kind already mailed, in its thread (R4.6); null when no mail has carried the kind.</summary>
    public async Task<OutboundMail?> FollowUpAsync(ParticipantId participant, long sid, FollowUpText text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        MailQueued? queued;
        await _plan.WaitAsync(cancellationToken);
        try
        {
            if (!Planner.TryPlanFollowUp(_outbox.State, new NotificationKind(participant, sid), text, _contacts(participant), _time.GetUtcNow(), out queued))
            {
                return null;
            }

            await _outbox.AppendAsync([queued!], cancellationToken);
        }
        finally
        {
            _plan.Release();
        }

        var mail = queued!.Mail;
        await _history.AppendAsync($"org:{text.Staff}", "mail.followup.queued", mail.HistorySubject, Details(mail), cancellationToken);
        Wake();
        return mail;
    }

    /// <summary>Queues the mail that tells a participant's contacts about a procedure (R3.2); null when there is no address.</summary>
    public async Task<OutboundMail?> ProcedureAsync(ParticipantId participant, ImmutableArray<string> to, Core.Participants.Procedures.ProcedureNotice notice, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notice);
        if (to.IsDefaultOrEmpty)
        {
            return null;
        }

        MailQueued queued;
        await _plan.WaitAsync(cancellationToken);
        try
        {
            queued = Planner.PlanProcedure(_outbox.State, participant, to, notice, _time.GetUtcNow());
            await _outbox.AppendAsync([queued], cancellationToken);
        }
        finally
        {
            _plan.Release();
        }

        Wake();
        return queued.Mail;
    }

    /// <summary>Queues every digest whose window has closed (R4.5).</summary>
    public async Task<int> CloseDueDigestsAsync(CancellationToken cancellationToken = default)
    {
        await _plan.WaitAsync(cancellationToken);
        try
        {
            var digests = Planner.PlanDueDigests(_outbox.State, _time.GetUtcNow());
            await _outbox.AppendAsync(digests, cancellationToken);
            return digests.Length;
        }
        finally
        {
            _plan.Release();
        }
    }

    /// <summary>Sends every mail due now; records each success or failure in the outbox and the operation history.</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Per-mail boundary: any transport failure (socket, TLS, SMTP reply, file) is recorded and retried with backoff.")]
    public async Task<SendReport> SendDueAsync(CancellationToken cancellationToken = default)
    {
        int sent = 0, failed = 0;
        await _send.WaitAsync(cancellationToken);
        try
        {
            foreach (var pending in NotificationPlanner.DueMails(_outbox.State, _time.GetUtcNow()))
            {
                var mail = pending.Mail;
                try
                {
                    await _transport.SendAsync(Renderer.Render(mail), mail, cancellationToken);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // A failure is a fact to keep even while shutting down: record it without the caller's token.
                    var failure = Planner.Failure(pending, _time.GetUtcNow(), $"{ex.GetType().Name}: {ex.Message}");
                    await _outbox.AppendAsync([failure], CancellationToken.None);
                    await _history.AppendAsync(Actor, "mail.failed", mail.HistorySubject, string.Create(CultureInfo.InvariantCulture, $"attempt={failure.Attempt} retry-at={failure.RetryAt:O} reason={failure.Reason}"), CancellationToken.None);
                    LogFailed(_logger, mail.Id, failure.Attempt, failure.RetryAt, failure.Reason);
                    failed++;
                    continue;
                }

                // The mail has left: record it even when shutdown began meanwhile, or it would be sent again after a restart.
                await _outbox.AppendAsync([new MailSent(_time.GetUtcNow(), mail.Id)], CancellationToken.None);
                await _history.AppendAsync(Actor, mail.SentAction, mail.HistorySubject, Details(mail), CancellationToken.None);
                LogSent(_logger, mail.Id, mail.Kind, mail.Participant.Value);
                sent++;
            }
        }
        finally
        {
            _send.Release();
        }

        return new SendReport(sent, failed);
    }

    /// <summary>Waits until new mail is queued, something falls due, or <paramref name="atMost"/> passes on the injected clock.</summary>
    public async Task WaitForWorkAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        var delay = atMost;
        if (Planner.NextDue(_outbox.State) is { } due)
        {
            var untilDue = due - _time.GetUtcNow();
            delay = untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue < delay ? untilDue : delay;
        }

        if (delay == TimeSpan.Zero)
        {
            return;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var wake = _wake.WaitAsync(cts.Token);
        var timer = Task.Delay(delay, _time, cts.Token);
        await Task.WhenAny(wake, timer);
        await cts.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    public void Dispose()
    {
        _plan.Dispose();
        _send.Dispose();
        _wake.Dispose();
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already awake: another caller released it first.
        }
    }

    private static HashSet<DetectionId> PlannedIn(IEnumerable<OutboxEvent> events)
    {
        var ids = new HashSet<DetectionId>();
        foreach (var e in events)
        {
            var rows = e switch
            {
                MailQueued q => q.Mail.Rows,
                RowsDeferred d => d.Rows,
                _ => ImmutableArray<NotificationRow>.Empty,
            };
            foreach (var row in rows)
            {
                ids.Add(row.Id);
            }
        }

        return ids;
    }

    private static string Details(OutboundMail mail) => string.Create(
        CultureInfo.InvariantCulture,
        $"kind={mail.Kind.ToString().ToLowerInvariant()} to={string.Join(',', mail.To)} message-id=<{mail.MessageId}> detections={mail.Rows.Length}{(mail.Sid is { } sid ? $" sid={sid}" : string.Empty)}{(mail.InReplyTo is { } parent ? $" in-reply-to=<{parent}>" : string.Empty)}");

    [LoggerMessage(EventId = 4501, Level = LogLevel.Information, Message = "Mail {MailId} ({Kind}) to {Participant} sent")]
    private static partial void LogSent(ILogger logger, long mailId, MailKind kind, string participant);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Warning, Message = "Mail {MailId} failed (attempt {Attempt}); retry at {RetryAt:O}: {Reason}")]
    private static partial void LogFailed(ILogger logger, long mailId, int attempt, DateTimeOffset retryAt, string reason);

    [LoggerMessage(EventId = 4503, Level = LogLevel.Warning, Message = "{Count} important detection(s) not mailed: their participant has no contact address (R3.2)")]
    private static partial void LogUnreachable(ILogger logger, int count);
}
