using System.Collections.Immutable;
using System.Globalization;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Participants.Procedures;

/// <summary>The participant procedures as validated commands over the registry (R3, R5.2, R7.3, R10.2, R11, R12): each returns the events to append, or every error with its field.</summary>
/// <remarks>
/// Pure: a procedure reads a <see cref="RegistryState"/> and a <see cref="ProcedureReceipt"/> and decides; the caller
/// appends the events, records the history entry and queues the mail. A procedure received outside service hours
/// (R10.2) is accepted and recorded with its receipt instant; where the rule leaves the date to the organization (an
/// approval, a revocation, a retention agreement and a decision not to extend without an explicit date) it takes
/// effect from the next service window. A termination (R12.1) takes effect from the day after the date on the notice,
/// whatever the hour it was received.
/// <para>Prefixes of a new application or a change must not overlap any prefix of a participant that is not ended
/// (applied, active) nor of any pending application (R3.1, R5.1), nor be implausible (<see cref="ApplicationValidator.Implausible"/>).</para>
/// <para>Edge case: an application approved without a date on Saturday 2026-11-28 has its usage period start on
/// Monday 2026-11-30, the next service day; with <c>--on 2026-11-28</c> it starts on the Saturday.</para>
/// </remarks>
internal sealed class ParticipantProcedures
{
    /// <summary>Creates the procedures over a service calendar.</summary>
    /// <param name="calendar">The one service calendar (R10), with the configured extra closure days.</param>
    /// <exception cref="ArgumentNullException"><paramref name="calendar"/> is null.</exception>
    public ParticipantProcedures(ServiceCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        Calendar = calendar;
    }

    /// <summary>The service calendar in use (R10).</summary>
    public ServiceCalendar Calendar { get; }

    /// <summary>Files an application (R3.1–R3.3): validated against every other registered or pending participant.</summary>
    /// <param name="state">The registry now.</param>
    /// <param name="application">The application, with its <see cref="Application.Participant"/> id.</param>
    /// <param name="receipt">Who filed it and when.</param>
    /// <returns>An <see cref="ApplicationSubmitted"/> with a new application id (<see cref="ProcedureOutcome.RecordId"/>), or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ProcedureOutcome Apply(RegistryState state, Application application, ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(application);
        var times = Times(receipt);
        var errors = new List<ValidationError>();
        ParticipantId? id = null;
        if (string.IsNullOrWhiteSpace(application.Participant))
        {
            errors.Add(new("participant", "the participant id asked for is required, such as u-tokyo"));
        }
        else if (ParticipantId.IsValid(application.Participant))
        {
            id = new ParticipantId(application.Participant);
            var date = Jst.DateOf(times.ProcessedFrom);
            if (state.Participants.TryGetValue(id.Value, out var existing) && !IsEnded(existing.StatusOn(date)))
            {
                errors.Add(new("participant", $"{id} is already a participant ({Describe(existing.StatusOn(date))})"));
            }

            if (state.Applications.Values.FirstOrDefault(a => a.Participant == id.Value && a.Status == ApplicationStatus.Pending) is { } pending)
            {
                errors.Add(new("participant", $"{id} already has the pending application {pending.Id}"));
            }
        }

        var validation = ApplicationValidator.Validate(application, OthersThan(state, id, times.ProcessedFrom));
        errors.AddRange(validation.Errors);
        if (errors.Count > 0)
        {
            return new ProcedureOutcome(errors);
        }

        var valid = validation.Application!;
        var n = state.Applications.Count + 1;
        var applicationId = ApplicationId(n);
        while (state.Applications.ContainsKey(applicationId))
        {
            applicationId = ApplicationId(++n);
        }

        var participant = id!.Value;
        var e = new ApplicationSubmitted(times.ReceivedAt, applicationId, participant, valid.InstitutionName, [.. valid.Prefixes], [.. valid.ContactMails], [.. valid.Operators]);
        var prefixes = string.Join(", ", valid.Prefixes);
        var notice = new ProcedureNotice(
            "利用申請受付 / Application received",
            $"{valid.InstitutionName} ({participant}) の利用申請 {applicationId} を受け付けました。監視対象: {prefixes}。審査の結果は改めてお知らせします。",
            $"The application {applicationId} of {valid.InstitutionName} ({participant}) has been received. Monitored prefixes: {prefixes}. We will let you know the decision.");
        return new ProcedureOutcome([e], "registry.application.submitted", $"application/{applicationId}", $"participant={participant} name={valid.InstitutionName} prefixes={string.Join(",", valid.Prefixes)} contacts={valid.ContactMails.Count} operators={valid.Operators.Count} certificates={valid.Operators.Count(o => o.IssueCertificate)} {Receipt(times)}", times, participant, [.. valid.ContactMails], Received(notice, times))
        {
            RecordId = applicationId,
        };
    }

    /// <summary>Approves a pending application (R11.1): the usage period runs from the approval date to the end of that fiscal year.</summary>
    /// <param name="state">The registry now.</param>
    /// <param name="applicationId">The application.</param>
    /// <param name="on">The approval date; null for the JST date from which the organization processes it.</param>
    /// <param name="receipt">Who decided and when.</param>
    /// <returns>An <see cref="ApplicationApproved"/>, or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ProcedureOutcome Approve(RegistryState state, string? applicationId, DateOnly? on, ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(state);
        var times = Times(receipt);
        var errors = new List<ValidationError>();
        var app = PendingApplication(state, applicationId, errors);
        var date = on ?? Jst.DateOf(times.ProcessedFrom);
        if (app is not null)
        {
            var filed = Jst.DateOf(app.SubmittedAt);
            if (date < filed)
            {
                errors.Add(new("on", $"the approval date {Iso(date)} is before the application was received on {Iso(filed)}"));
            }

            if (date.Year > 9000)
            {
                errors.Add(new("on", $"the approval date {Iso(date)} is out of range"));
            }

            var others = OthersThan(state, app.Participant, times.ProcessedFrom, except: app.Id);
            for (var i = 0; i < app.Prefixes.Length; i++)
            {
                foreach (var (who, theirs) in others)
                {
                    foreach (var other in theirs.Where(o => o.Overlaps(app.Prefixes[i])))
                    {
                        errors.Add(new(string.Create(CultureInfo.InvariantCulture, $"prefixes[{i}]"), $"{app.Prefixes[i]} now overlaps {other} of {who}"));
                    }
                }
            }
        }

        if (errors.Count > 0)
        {
            return new ProcedureOutcome(errors);
        }

        var period = UsagePeriod.FromApproval(date);
        var e = new ApplicationApproved(times.ReceivedAt, app!.Id) { On = date };
        var notice = new ProcedureNotice(
            "利用承認 / Application approved",
            $"利用申請 {app.Id} を承認しました。利用期間は {period.First:yyyy-MM-dd} から {period.Last:yyyy-MM-dd} までです（年度末に自動で延長されます）。",
            $"The application {app.Id} is approved. The usage period runs from {period.First:yyyy-MM-dd} to {period.Last:yyyy-MM-dd} (extended automatically at the fiscal-year end).");
        return new ProcedureOutcome([e], "registry.application.approved", $"participant/{app.Participant}", $"application={app.Id} on={Iso(date)} period={period} {Receipt(times)}", times, app.Participant, app.Contacts, Received(notice, times))
        {
            RecordId = app.Id,
        };
    }

    /// <summary>Refuses a pending application with one of the six reasons of R12.2.</summary>
    /// <param name="state">The registry now.</param>
    /// <param name="applicationId">The application.</param>
    /// <param name="reason">The reason's item number, 1 to 6.</param>
    /// <param name="note">What the decision says; required.</param>
    /// <param name="receipt">Who decided and when.</param>
    /// <returns>An <see cref="ApplicationRefused"/>, or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ProcedureOutcome Refuse(RegistryState state, string? applicationId, int? reason, string? note, ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(state);
        var times = Times(receipt);
        var errors = new List<ValidationError>();
        var app = PendingApplication(state, applicationId, errors);
        var ground = Reason(reason, errors);
        Required("note", note, "the decision's note is required (R12.2: the decision names its reason)", errors);
        if (errors.Count > 0)
        {
            return new ProcedureOutcome(errors);
        }

        var text = string.Create(CultureInfo.InvariantCulture, $"({(int)ground}) {note!.Trim()}");
        var e = new ApplicationRefused(times.ReceivedAt, app!.Id, text) { Ground = ground };
        var notice = new ProcedureNotice(
            "利用申請不承認 / Application refused",
            string.Create(CultureInfo.InvariantCulture, $"利用申請 {app.Id} は承認できませんでした。理由: 利用細則第12条第2項第{(int)ground}号 — {note.Trim()}"),
            string.Create(CultureInfo.InvariantCulture, $"The application {app.Id} is refused under item ({(int)ground}) of R12.2 ({ReasonText(ground)}): {note.Trim()}"));
        return new ProcedureOutcome([e], "registry.application.refused", $"application/{app.Id}", $"participant={app.Participant} reason={text} {Receipt(times)}", times, app.Participant, app.Contacts, Received(notice, times))
        {
            RecordId = app.Id,
        };
    }

    /// <summary>Revokes an approval with one of the six reasons of R12.2, in effect from a date.</summary>
    /// <param name="state">The registry now.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="reason">The reason's item number, 1 to 6.</param>
    /// <param name="note">What the decision says; required.</param>
    /// <param name="on">The first day in effect; null for the JST date from which the organization processes it.</param>
    /// <param name="receipt">Who decided and when.</param>
    /// <returns>An <see cref="ApprovalRevoked"/>, or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ProcedureOutcome Revoke(RegistryState state, string? participant, int? reason, string? note, DateOnly? on, ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(state);
        var times = Times(receipt);
        var errors = new List<ValidationError>();
        var date = on ?? Jst.DateOf(times.ProcessedFrom);
        var entry = Participant(state, participant, errors);
        if (entry?.Lifecycle.ApprovedOn is { } approved)
        {
            if (entry.Lifecycle.Revocation is not null || IsEnded(entry.StatusOn(date)))
            {
                errors.Add(new("participant", $"{entry.Id} is {Describe(entry.StatusOn(date))} on {Iso(date)}; only an approval in force can be revoked"));
            }
            else if (date < approved)
            {
                errors.Add(new("on", $"{Iso(date)} is before the approval on {Iso(approved)}"));
            }
        }

        var ground = Reason(reason, errors);
        Required("note", note, "the decision's note is required (R12.2: the decision names its reason)", errors);
        if (errors.Count > 0)
        {
            return new ProcedureOutcome(errors);
        }

        var e = new ApprovalRevoked(times.ReceivedAt, entry!.Id, ground, note!.Trim(), date);
        var notice = new ProcedureNotice(
            "利用承認の取消し / Approval revoked",
            string.Create(CultureInfo.InvariantCulture, $"{entry.Id} の利用承認を {date:yyyy-MM-dd} から取り消します。理由: 利用細則第12条第2項第{(int)ground}号 — {note.Trim()}"),
            string.Create(CultureInfo.InvariantCulture, $"The approval of {entry.Id} is revoked from {date:yyyy-MM-dd} under item ({(int)ground}) of R12.2 ({ReasonText(ground)}): {note.Trim()}. Monitoring, mails and portal access stop from that day."));
        return new ProcedureOutcome([e], "registry.participant.revoked", $"participant/{entry.Id}", string.Create(CultureInfo.InvariantCulture, $"reason=({(int)ground}) {note.Trim()} from={Iso(date)} {Receipt(times)}"), times, entry.Id, entry.Contacts, Received(notice, times));
    }

    /// <summary>Changes a participant's prefixes, contacts or operators (R3.1–R3.3, R10.2), re-validated like an application.</summary>
    /// <param name="state">The registry now.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="change">What changes.</param>
    /// <param name="receipt">Who filed it and when.</param>
    /// <returns>One event per changed list, or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ProcedureOutcome Change(RegistryState state, string? participant, ParticipantChange change, ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(change);
        var times = Times(receipt);
        var errors = new List<ValidationError>();
        var entry = Participant(state, participant, errors);
        var date = Jst.DateOf(times.ProcessedFrom);
        if (entry is not null && entry.StatusOn(date) != ParticipantStatus.Active)
        {
            errors.Add(new("participant", $"{entry.Id} is {Describe(entry.StatusOn(date))} on {Iso(date)}; only an active participant's details can change"));
        }

        if (change.Prefixes is null && change.ContactMails is null && change.Operators is null)
        {
            errors.Add(new("change", "nothing to change: give prefixes, contactMails or operators"));
        }

        if (entry is null || errors.Count > 0)
        {
            return new ProcedureOutcome(errors);
        }

        var merged = new Application
        {
            Participant = entry.Id.Value,
            InstitutionName = entry.Name,
            Prefixes = change.Prefixes ?? [.. entry.Prefixes.Select(p => p.ToString())],
            ContactMails = change.ContactMails ?? entry.Contacts,
            Operators = change.Operators ?? entry.Operators,
        };
        var validation = ApplicationValidator.Validate(merged, OthersThan(state, entry.Id, times.ProcessedFrom));
        if (!validation.IsValid)
        {
            return new ProcedureOutcome(validation.Errors);
        }

        var valid = validation.Application!;
        var events = new List<RegistryEvent>();
        var what = new List<string>();
        if (change.Prefixes is not null)
        {
            events.Add(new PrefixesChanged(times.ReceivedAt, entry.Id, [.. valid.Prefixes]));
            what.Add($"prefixes={string.Join(",", valid.Prefixes)}");
        }

        if (change.ContactMails is not null)
        {
            events.Add(new ContactsChanged(times.ReceivedAt, entry.Id, [.. valid.ContactMails]));
            what.Add($"contacts={string.Join(",", valid.ContactMails)}");
        }

        if (change.Operators is not null)
        {
            events.Add(new OperatorsChanged(times.ReceivedAt, entry.Id, [.. valid.Operators]));
            what.Add($"operators={string.Join(",", valid.Operators.Select(o => $"{o.Mail}/certificate:{(o.IssueCertificate ? "true" : "false")}"))}");
        }

        var summary = string.Join(" ", what);
        var notice = new ProcedureNotice(
            "登録内容の変更 / Registered details changed",
            $"{entry.Id} の登録内容を変更しました: {summary}",
            $"The registered details of {entry.Id} have been changed: {summary}");
        var to = entry.Contacts.Concat(valid.ContactMails).Distinct(StringComparer.OrdinalIgnoreCase).ToImmutableArray();
        return new ProcedureOutcome(events, "registry.participant.changed", $"participant/{entry.Id}", $"{summary} {Receipt(times)}", times, entry.Id, to, Received(notice, times));
    }

    /// <summary>Files a termination notice (R12.1): use ends from the day after the date written on it.</summary>
    /// <param name="state">The registry now.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="noticeDate">The date written on the notice.</param>
    /// <param name="receipt">Who filed it and when.</param>
    /// <returns>A <see cref="ParticipantTerminated"/>, or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ProcedureOutcome Terminate(RegistryState state, string? participant, DateOnly noticeDate, ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(state);
        var times = Times(receipt);
        var errors = new List<ValidationError>();
        var entry = Participant(state, participant, errors);
        if (entry is not null)
        {
            if (entry.Lifecycle.ApprovedOn is not { } approved)
            {
                errors.Add(new("participant", $"{entry.Id} was never approved"));
            }
            else if (noticeDate < approved)
            {
                errors.Add(new("notice-date", $"{Iso(noticeDate)} is before the approval on {Iso(approved)}"));
            }
            else if (entry.Lifecycle.TerminationNoticeDate is { } filed)
            {
                errors.Add(new("participant", $"{entry.Id} already filed a termination notice dated {Iso(filed)}"));
            }
            else if (entry.Lifecycle.Revocation is { } revoked && revoked.On <= noticeDate)
            {
                errors.Add(new("participant", $"{entry.Id}'s approval was revoked from {Iso(revoked.On)}"));
            }
            else if (entry.StatusOn(noticeDate) != ParticipantStatus.Active)
            {
                errors.Add(new("participant", $"{entry.Id} is {Describe(entry.StatusOn(noticeDate))} on {Iso(noticeDate)}; only a participant in use can give notice"));
            }
        }

        if (noticeDate == DateOnly.MaxValue)
        {
            errors.Add(new("notice-date", "the notice date is the last representable date"));
        }

        if (errors.Count > 0)
        {
            return new ProcedureOutcome(errors);
        }

        var from = Termination.EffectiveFrom(noticeDate);
        var e = new ParticipantTerminated(times.ReceivedAt, entry!.Id, from);
        var notice = new ProcedureNotice(
            "利用終了届受理 / Termination notice accepted",
            $"{entry.Id} の {noticeDate:yyyy-MM-dd} 付け利用終了届を受理しました。{from:yyyy-MM-dd} から監視、メール通知、サービスポータルの利用を終了します。保存済みの検知情報と鍵は保存期間の規則に従って削除されます。",
            $"The termination notice of {entry.Id} dated {noticeDate:yyyy-MM-dd} is accepted. From {from:yyyy-MM-dd} monitoring, notification mails and portal access stop; stored detections and keys are deleted under the retention rules.");
        return new ProcedureOutcome([e], "registry.participant.terminated", $"participant/{entry.Id}", $"notice={Iso(noticeDate)} effective_from={Iso(from)} {Receipt(times)}", times, entry.Id, entry.Contacts, Received(notice, times));
    }

    /// <summary>Records the organization's decision not to extend a participant's use past the current fiscal year (R11.2).</summary>
    /// <param name="state">The registry now.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="reason">Why continuation is not appropriate; required.</param>
    /// <param name="receipt">Who decided and when.</param>
    /// <returns>An <see cref="ExtensionDeclined"/>, or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ProcedureOutcome DeclineExtension(RegistryState state, string? participant, string? reason, ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(state);
        var times = Times(receipt);
        var errors = new List<ValidationError>();
        var entry = Participant(state, participant, errors);
        var date = Jst.DateOf(times.ProcessedFrom);
        var last = FiscalYear.Of(date);
        if (entry is not null)
        {
            if (entry.StatusOn(date) != ParticipantStatus.Active)
            {
                errors.Add(new("participant", $"{entry.Id} is {Describe(entry.StatusOn(date))} on {Iso(date)}; only an active participant's use can be left unextended"));
            }
            else if (entry.Lifecycle.LastFiscalYear is { } already && already.StartYear <= last.StartYear)
            {
                errors.Add(new("participant", $"{entry.Id} is already not extended past {already}"));
            }
        }

        Required("reason", reason, "the reason is required (R11.2: the organization finds continuation not appropriate)", errors);
        if (errors.Count > 0)
        {
            return new ProcedureOutcome(errors);
        }

        var e = new ExtensionDeclined(times.ReceivedAt, entry!.Id, last, reason!.Trim());
        var notice = new ProcedureNotice(
            "利用期間の延長なし / Usage period not extended",
            $"{entry.Id} の利用期間は延長せず、{last.LastDay:yyyy-MM-dd} で終了します。理由: {reason.Trim()}",
            $"The usage period of {entry.Id} will not be extended: it ends on {last.LastDay:yyyy-MM-dd}. Reason: {reason.Trim()}");
        return new ProcedureOutcome([e], "registry.extension.declined", $"participant/{entry.Id}", $"last={last} ends={Iso(last.LastDay)} reason={reason.Trim()} {Receipt(times)}", times, entry.Id, entry.Contacts, Received(notice, times));
    }

    /// <summary>Records a retention agreement (R7.3): the only way a period other than the default 3 months applies to a participant.</summary>
    /// <param name="state">The registry now.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="months">Months kept after the acquisition month, 0 to <see cref="RetentionPolicy.MaxMonths"/>.</param>
    /// <param name="reference">The reference of the written agreement; required.</param>
    /// <param name="from">The first JST acquisition date it covers; null for the date from which the organization processes it.</param>
    /// <param name="receipt">Who recorded it and when.</param>
    /// <returns>An <see cref="AgreementMade"/>, or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ProcedureOutcome Agree(RegistryState state, string? participant, int months, string? reference, DateOnly? from, ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(state);
        var times = Times(receipt);
        var errors = new List<ValidationError>();
        var entry = Participant(state, participant, errors);
        var date = from ?? Jst.DateOf(times.ProcessedFrom);
        if (entry is not null && (entry.Lifecycle.ApprovedOn is null || IsEnded(entry.StatusOn(Jst.DateOf(times.ProcessedFrom)))))
        {
            errors.Add(new("participant", $"{entry.Id} is {Describe(entry.StatusOn(Jst.DateOf(times.ProcessedFrom)))}; agreements are made with an approved participant"));
        }

        if (months is < 0 or > RetentionPolicy.MaxMonths)
        {
            errors.Add(new("months", string.Create(CultureInfo.InvariantCulture, $"must be between 0 and {RetentionPolicy.MaxMonths}; got {months}")));
        }

        Required("reference", reference, "the reference of the written agreement is required (R7.3)", errors);
        if (errors.Count > 0)
        {
            return new ProcedureOutcome(errors);
        }

        var e = new AgreementMade(times.ReceivedAt, entry!.Id, months, date) { Reference = reference!.Trim() };
        var notice = new ProcedureNotice(
            "検知情報の保存期間の合意 / Retention agreement recorded",
            string.Create(CultureInfo.InvariantCulture, $"{entry.Id} との合意 ({reference.Trim()}) により、{date:yyyy-MM-dd} 以降に取得した検知情報は取得月の翌月1日から {months} か月保存します。"),
            string.Create(CultureInfo.InvariantCulture, $"By the agreement with {entry.Id} ({reference.Trim()}), detection information acquired from {date:yyyy-MM-dd} is kept {months} month(s) counted from the first day of the month after its acquisition."));
        return new ProcedureOutcome([e], "registry.agreement.made", $"participant/{entry.Id}", string.Create(CultureInfo.InvariantCulture, $"months={months} from={Iso(date)} reference={reference.Trim()} {Receipt(times)}"), times, entry.Id, entry.Contacts, Received(notice, times));
    }

    /// <summary>Starts an exclusion of some of a participant's monitored prefixes by the organization's decision (R5.2).</summary>
    /// <param name="state">The registry now.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="prefixes">The prefixes to exclude, each inside one of the participant's.</param>
    /// <param name="reason">Why; required.</param>
    /// <param name="until">The planned end; null when open-ended.</param>
    /// <param name="receipt">Who decided and when.</param>
    /// <returns>An <see cref="ExclusionStarted"/> (its id in <see cref="ProcedureOutcome.RecordId"/>), or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ProcedureOutcome StartExclusion(RegistryState state, string? participant, IReadOnlyList<string> prefixes, string? reason, DateTimeOffset? until, ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(prefixes);
        var times = Times(receipt);
        var errors = new List<ValidationError>();
        var entry = Participant(state, participant, errors);
        if (entry is not null && entry.StatusOn(Jst.DateOf(times.ReceivedAt)) != ParticipantStatus.Active)
        {
            errors.Add(new("participant", $"{entry.Id} is {Describe(entry.StatusOn(Jst.DateOf(times.ReceivedAt)))}; only an active participant is monitored"));
        }

        var parsed = OwnPrefixes(entry, prefixes, errors);
        Required("reason", reason, "the reason is required (R5.2: every exclusion is recorded with its reason)", errors);
        if (until is { } end && end <= times.ReceivedAt)
        {
            errors.Add(new("until", $"the planned end {end:O} is not after the start {times.ReceivedAt:O}"));
        }

        if (errors.Count > 0)
        {
            return new ProcedureOutcome(errors);
        }

        var n = state.Exclusions.Count + 1;
        var id = ExclusionId(entry!.Id, n);
        while (state.Exclusions.ContainsKey(id))
        {
            id = ExclusionId(entry.Id, ++n);
        }

        var list = string.Join(", ", parsed);
        var e = new ExclusionStarted(times.ReceivedAt, id, [.. parsed], until, $"decision: {reason!.Trim()}");
        var notice = new ProcedureNotice(
            "監視対象の一時除外 / Monitoring temporarily excluded",
            $"{list} を監視対象から一時的に除外しました（{id}）。理由: {reason.Trim()}。この間の検知はポータルに監視の空白として表示されます。",
            $"{list} is temporarily excluded from monitoring ({id}). Reason: {reason.Trim()}. The portal shows the time as a coverage gap.");
        return new ProcedureOutcome([e], "scope.exclusion.started", $"participant/{entry.Id}", $"exclusion={id} prefixes={string.Join(",", parsed)} until={(until is { } u ? u.ToString("O", CultureInfo.InvariantCulture) : "open")} reason={reason.Trim()} {Receipt(times)}", times, entry.Id, entry.Contacts, Received(notice, times))
        {
            RecordId = id,
        };
    }

    /// <summary>Ends the exclusions in force that cover exactly the given prefixes of a participant (R5.2).</summary>
    /// <param name="state">The registry now.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="prefixes">The excluded prefixes, as given when the exclusion started.</param>
    /// <param name="reason">Why it ends; required.</param>
    /// <param name="receipt">Who decided and when.</param>
    /// <returns>An <see cref="ExclusionEnded"/> per matching exclusion, or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ProcedureOutcome EndExclusion(RegistryState state, string? participant, IReadOnlyList<string> prefixes, string? reason, ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(prefixes);
        var times = Times(receipt);
        var errors = new List<ValidationError>();
        var entry = Participant(state, participant, errors);
        var parsed = OwnPrefixes(entry, prefixes, errors);
        Required("reason", reason, "the reason is required (R5.2)", errors);
        var matching = new List<ExclusionEntry>();
        if (errors.Count == 0)
        {
            var wanted = parsed.ToHashSet();
            matching.AddRange(state.Exclusions.Values
                .Where(x => x.EndedAt is null && (x.Until is null || x.Until > times.ReceivedAt) && x.Prefixes.ToHashSet().SetEquals(wanted))
                .OrderBy(x => x.Id, StringComparer.Ordinal));
            if (matching.Count == 0)
            {
                errors.Add(new("prefix", $"no exclusion in force covers exactly {string.Join(", ", parsed)}"));
            }
        }

        if (errors.Count > 0)
        {
            return new ProcedureOutcome(errors);
        }

        var ids = string.Join(",", matching.Select(x => x.Id));
        var list = string.Join(", ", parsed);
        var notice = new ProcedureNotice(
            "監視対象の除外終了 / Monitoring exclusion ended",
            $"{list} の一時除外（{ids}）を終了し、監視を再開しました。理由: {reason!.Trim()}",
            $"The temporary exclusion of {list} ({ids}) has ended; monitoring has resumed. Reason: {reason.Trim()}");
        return new ProcedureOutcome([.. matching.Select(x => (RegistryEvent)new ExclusionEnded(times.ReceivedAt, x.Id))], "scope.exclusion.ended", $"participant/{entry!.Id}", $"exclusions={ids} reason={reason.Trim()} {Receipt(times)}", times, entry.Id, entry.Contacts, Received(notice, times))
        {
            RecordId = ids,
        };
    }

    /// <summary>Whether a status means use has ended (refused, revoked, terminated or expired).</summary>
    /// <param name="status">The status.</param>
    /// <returns>True when ended.</returns>
    public static bool IsEnded(ParticipantStatus status) =>
        status is ParticipantStatus.Refused or ParticipantStatus.Revoked or ParticipantStatus.Terminated or ParticipantStatus.Expired;

    /// <summary>The prefixes held by every participant not ended and by every pending application, except one participant's (R3.1, R5.1).</summary>
    /// <param name="state">The registry.</param>
    /// <param name="except">The participant to leave out; null for none.</param>
    /// <param name="at">The instant whose JST date decides which participants are ended.</param>
    /// <returns>The prefixes by holder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    public static IReadOnlyDictionary<ParticipantId, IReadOnlyList<IPPrefix>> PrefixesHeldBy(RegistryState state, ParticipantId? except, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(state);
        return OthersThan(state, except, at);
    }

    private ProcessingTimes Times(ProcedureReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentException.ThrowIfNullOrWhiteSpace(receipt.Staff, nameof(receipt));
        var at = receipt.ReceivedAt;
        return Calendar.IsInServiceHours(at)
            ? new ProcessingTimes(at, at, false)
            : new ProcessingTimes(at, Calendar.WindowAtOrAfter(at).Start, true);
    }

    private static Dictionary<ParticipantId, IReadOnlyList<IPPrefix>> OthersThan(RegistryState state, ParticipantId? exceptParticipant, DateTimeOffset at, string? except = null)
    {
        var date = Jst.DateOf(at);
        var others = new Dictionary<ParticipantId, List<IPPrefix>>();
        foreach (var p in state.Participants.Values.Where(p => p.Id != exceptParticipant && !IsEnded(p.StatusOn(date))))
        {
            others[p.Id] = [.. p.Prefixes];
        }

        foreach (var a in state.Applications.Values.Where(a => a.Status == ApplicationStatus.Pending && a.Participant != exceptParticipant && a.Id != except))
        {
            if (!others.TryGetValue(a.Participant, out var list))
            {
                others[a.Participant] = list = [];
            }

            list.AddRange(a.Prefixes);
        }

        return others.ToDictionary(p => p.Key, p => (IReadOnlyList<IPPrefix>)p.Value);
    }

    private static ApplicationEntry? PendingApplication(RegistryState state, string? applicationId, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(applicationId) || !state.Applications.TryGetValue(applicationId, out var app))
        {
            errors.Add(new("application", $"no application '{applicationId}'"));
            return null;
        }

        if (app.Status != ApplicationStatus.Pending)
        {
            errors.Add(new("application", $"{app.Id} is already {app.Status.ToString().ToLowerInvariant()}"));
            return null;
        }

        return app;
    }

    private static ParticipantEntry? Participant(RegistryState state, string? participant, List<ValidationError> errors)
    {
        if (!ParticipantId.IsValid(participant))
        {
            errors.Add(new("participant", $"'{participant}' is not a participant id such as u-tokyo"));
            return null;
        }

        if (!state.Participants.TryGetValue(new ParticipantId(participant!), out var entry))
        {
            errors.Add(new("participant", $"no participant {participant} is registered"));
            return null;
        }

        return entry;
    }

    private static List<IPPrefix> OwnPrefixes(ParticipantEntry? entry, IReadOnlyList<string> prefixes, List<ValidationError> errors)
    {
        var parsed = new List<IPPrefix>();
        if (prefixes.Count == 0)
        {
            errors.Add(new("prefix", "at least one prefix is required"));
        }

        for (var i = 0; i < prefixes.Count; i++)
        {
            var field = string.Create(CultureInfo.InvariantCulture, $"prefix[{i}]");
            if (!IPPrefix.TryParse(prefixes[i], out var prefix, out var error))
            {
                errors.Add(new(field, error!));
                continue;
            }

            if (entry is not null && !entry.Prefixes.Any(own => own.Length <= prefix.Length && own.Overlaps(prefix)))
            {
                errors.Add(new(field, $"{prefix} is not inside a monitored prefix of {entry.Id} ({string.Join(", ", entry.Prefixes)})"));
                continue;
            }

            parsed.Add(prefix);
        }

        return parsed;
    }

    private static RefusalReason Reason(int? reason, List<ValidationError> errors)
    {
        if (reason is not { } n || !Enum.IsDefined((RefusalReason)n))
        {
            errors.Add(new("reason", $"the reason is required and is one of the six of R12.2, 1 to 6; got {(reason is { } r ? r.ToString(CultureInfo.InvariantCulture) : "none")}"));
            return RefusalReason.OtherGoodReason;
        }

        return (RefusalReason)n;
    }

    private static void Required(string field, string? text, string message, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add(new(field, message));
        }
    }

    private static string ReasonText(RefusalReason reason) => reason switch
    {
        RefusalReason.NotSinetMember => "not a SINET member or connected institution",
        RefusalReason.NotFittingPurpose => "not fitting the service's purpose",
        RefusalReason.NotPrescribedWay => "not made in the prescribed way",
        RefusalReason.FalseOrSeriouslyWrong => "false or seriously wrong contents",
        RefusalReason.FearOfBreach => "good reason to fear a breach of the rules",
        _ => "another good reason",
    };

    private static string Describe(ParticipantStatus status) => status.ToString().ToLowerInvariant();

    private static string ApplicationId(int n) => string.Create(CultureInfo.InvariantCulture, $"app-{n:D4}");

    private static string ExclusionId(ParticipantId participant, int n) => string.Create(CultureInfo.InvariantCulture, $"decision-{participant}-{n}");

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Stamp(DateTimeOffset instant) => Jst.ToJst(instant).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static string Receipt(ProcessingTimes times) => times.Outside
        ? $"received={Stamp(times.ReceivedAt)} outside_service_hours processed_from={Stamp(times.ProcessedFrom)}"
        : $"received={Stamp(times.ReceivedAt)}";

    private static ProcedureNotice Received(ProcedureNotice notice, ProcessingTimes times) => notice with
    {
        Japanese = notice.Japanese + (times.Outside
            ? $"\n受付: {Stamp(times.ReceivedAt)}（サービス時間外のため、{Stamp(times.ProcessedFrom)} から処理します）"
            : $"\n受付: {Stamp(times.ReceivedAt)}"),
        English = notice.English + (times.Outside
            ? $"\nReceived {Stamp(times.ReceivedAt)}, outside service hours: processed from {Stamp(times.ProcessedFrom)}."
            : $"\nReceived {Stamp(times.ReceivedAt)}."),
    };
}
