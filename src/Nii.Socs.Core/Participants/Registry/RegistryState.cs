using System.Collections.Immutable;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Participants.Registry;

/// <summary>Where an application stands.</summary>
internal enum ApplicationStatus
{
    /// <summary>Submitted, not decided.</summary>
    Pending = 0,

    /// <summary>Approved.</summary>
    Approved = 1,

    /// <summary>Refused (R12.2).</summary>
    Refused = 2,
}

/// <summary>Whether a client certificate may be used.</summary>
internal enum CertificateStatus
{
    /// <summary>Issued and not revoked.</summary>
    Active = 0,

    /// <summary>Revoked (R6.2); kept, because past certificates still unwrap old epoch keys (R6.3).</summary>
    Revoked = 1,
}

/// <summary>An application as folded from the registry.</summary>
/// <param name="Id">The application id.</param>
/// <param name="Participant">The participant id it asks for.</param>
/// <param name="Name">The institution's name.</param>
/// <param name="Prefixes">Monitored prefixes.</param>
/// <param name="Contacts">Notification addresses.</param>
/// <param name="Operators">Portal operators.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="Reason">The refusal reason; null unless refused.</param>
internal sealed record ApplicationEntry(string Id, ParticipantId Participant, string Name, ImmutableArray<IPPrefix> Prefixes, ImmutableArray<string> Contacts, ImmutableArray<OperatorContact> Operators, ApplicationStatus Status, string? Reason)
{
    /// <summary>When the application was recorded (UTC).</summary>
    public DateTimeOffset SubmittedAt { get; init; }

    /// <summary>When it was approved or refused (UTC); null while pending.</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>The R12.2 reason of a refusal; null unless refused with a coded reason.</summary>
    public RefusalReason? Ground { get; init; }
}

/// <summary>A client certificate of a participant.</summary>
/// <param name="Thumbprint">The SHA-256 thumbprint, hex.</param>
/// <param name="OperatorEmail">The operator it was issued to.</param>
/// <param name="Status">Active or revoked.</param>
internal sealed record CertificateEntry(string Thumbprint, string OperatorEmail, CertificateStatus Status);

/// <summary>A participant as folded from the registry.</summary>
/// <param name="Id">The participant id.</param>
/// <param name="Name">The institution's name.</param>
/// <param name="Prefixes">Monitored prefixes (R3.1).</param>
/// <param name="Contacts">Notification addresses (R3.2).</param>
/// <param name="Operators">Portal operators (R3.3).</param>
/// <param name="Certificates">Certificates by thumbprint, active and revoked.</param>
/// <param name="Agreements">Retention agreements in the order made (R7.3).</param>
/// <param name="TerminatedFrom">The first date it is no longer a participant; null when not terminated.</param>
internal sealed record ParticipantEntry(ParticipantId Id, string Name, ImmutableArray<IPPrefix> Prefixes, ImmutableArray<string> Contacts, ImmutableArray<OperatorContact> Operators, ImmutableDictionary<string, CertificateEntry> Certificates, ImmutableArray<RetentionAgreement> Agreements, DateOnly? TerminatedFrom)
{
    /// <summary>The participant's lifecycle (R11, R12): approval, automatic extension, termination — the same state machine applications go through.</summary>
    /// <value>The default is an undecided application; the fold approves it on <see cref="ApplicationApproved"/>.</value>
    public ParticipantLifecycle Lifecycle { get; init; } = ParticipantLifecycle.Applied;

    /// <summary>The participant's status on a JST date (R11, R12.1).</summary>
    /// <param name="date">The date.</param>
    /// <returns>The status.</returns>
    public ParticipantStatus StatusOn(DateOnly date) => Lifecycle.StatusOn(date);
}

/// <summary>A temporary exclusion of monitored prefixes (R5.2).</summary>
/// <param name="Id">The exclusion id.</param>
/// <param name="Prefixes">Excluded prefixes.</param>
/// <param name="From">The start.</param>
/// <param name="Until">The planned end; null when open-ended.</param>
/// <param name="Reason">Why.</param>
/// <param name="EndedAt">When it ended; null while in force.</param>
internal sealed record ExclusionEntry(string Id, ImmutableArray<IPPrefix> Prefixes, DateTimeOffset From, DateTimeOffset? Until, string Reason, DateTimeOffset? EndedAt);

/// <summary>The participant registry's current state: a pure fold of <see cref="RegistryEvent"/>s (DESIGN §5).</summary>
/// <remarks>
/// Immutable: <see cref="Apply"/> returns a new state. Snapshots of it are an optimisation, never the source of truth.
/// An event naming an unknown application, participant, certificate or exclusion, or deciding an application that
/// is not pending, leaves the state unchanged.
/// <para>Edge case: a participant whose second application is approved keeps its certificates and agreements; its
/// prefixes, contacts and operators become the new application's.</para>
/// </remarks>
internal sealed record RegistryState
{
    /// <summary>The state before any event.</summary>
    public static RegistryState Empty { get; } = new();

    /// <summary>Applications by id.</summary>
    public ImmutableDictionary<string, ApplicationEntry> Applications { get; init; } = ImmutableDictionary<string, ApplicationEntry>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Participants (approved at least once) by id.</summary>
    public ImmutableDictionary<ParticipantId, ParticipantEntry> Participants { get; init; } = ImmutableDictionary<ParticipantId, ParticipantEntry>.Empty;

    /// <summary>Exclusions by id.</summary>
    public ImmutableDictionary<string, ExclusionEntry> Exclusions { get; init; } = ImmutableDictionary<string, ExclusionEntry>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Folds a sequence of events from <see cref="Empty"/>.</summary>
    /// <param name="events">The events in log order.</param>
    /// <returns>The state after all of them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> is null.</exception>
    public static RegistryState Fold(IEnumerable<RegistryEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var state = Empty;
        foreach (var e in events)
        {
            state = state.Apply(e);
        }

        return state;
    }

    /// <summary>The state after one more event.</summary>
    /// <param name="e">The event.</param>
    /// <returns>A new state, or this one when the event changes nothing.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="e"/> is null.</exception>
    public RegistryState Apply(RegistryEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            ApplicationSubmitted s => Applications.ContainsKey(s.ApplicationId)
                ? this
                : this with { Applications = Applications.Add(s.ApplicationId, new ApplicationEntry(s.ApplicationId, s.Participant, s.Name, s.Prefixes, s.Contacts, s.Operators, ApplicationStatus.Pending, null) { SubmittedAt = s.At }) },
            ApplicationApproved a => Approve(a),
            ApplicationRefused r => Applications.TryGetValue(r.ApplicationId, out var app) && app.Status == ApplicationStatus.Pending
                ? this with { Applications = Applications.SetItem(app.Id, app with { Status = ApplicationStatus.Refused, Reason = r.Reason, Ground = r.Ground, DecidedAt = r.At }) }
                : this,
            PrefixesChanged p => Update(p.Participant, x => x with { Prefixes = p.Prefixes }),
            ContactsChanged c => Update(c.Participant, x => x with { Contacts = c.Contacts }),
            OperatorsChanged o => Update(o.Participant, x => x with { Operators = o.Operators }),
            CertificateIssued i => Update(i.Participant, x => x.Certificates.ContainsKey(i.Thumbprint)
                ? x
                : x with { Certificates = x.Certificates.Add(i.Thumbprint, new CertificateEntry(i.Thumbprint, i.OperatorEmail, CertificateStatus.Active)) }),
            CertificateRevoked r => Update(r.Participant, x => x.Certificates.TryGetValue(r.Thumbprint, out var cert)
                ? x with { Certificates = x.Certificates.SetItem(r.Thumbprint, cert with { Status = CertificateStatus.Revoked }) }
                : x),
            AgreementMade m => m.Months is < 0 or > RetentionPolicy.MaxMonths
                ? this
                : Update(m.Participant, x => x with { Agreements = x.Agreements.Add(new RetentionAgreement(m.Participant, new RetentionPolicy(m.Months), m.EffectiveFrom)) }),
            ExclusionStarted s => Exclusions.ContainsKey(s.ExclusionId)
                ? this
                : this with { Exclusions = Exclusions.Add(s.ExclusionId, new ExclusionEntry(s.ExclusionId, s.Prefixes, s.At, s.Until, s.Reason, null)) },
            ExclusionEnded x => Exclusions.TryGetValue(x.ExclusionId, out var ex) && ex.EndedAt is null
                ? this with { Exclusions = Exclusions.SetItem(ex.Id, ex with { EndedAt = x.At }) }
                : this,
            ParticipantTerminated t => Update(t.Participant, x => x with
            {
                TerminatedFrom = t.EffectiveFrom,

                // R12.1: in effect from the day after the notice date, so the notice is dated the day before.
                Lifecycle = x.Lifecycle.ApprovedOn is not null && x.Lifecycle.TerminationNoticeDate is null
                    ? x.Lifecycle.NoticeTermination(t.EffectiveFrom.AddDays(-1))
                    : x.Lifecycle,
            }),
            ApprovalRevoked v => Update(v.Participant, x => Enum.IsDefined(v.Reason) && !string.IsNullOrWhiteSpace(v.Note)
                    && x.Lifecycle.ApprovedOn is { } approved && v.On >= approved && x.Lifecycle.Revocation is null
                ? x with { Lifecycle = x.Lifecycle.Revoke(v.Reason, v.Note, v.On) }
                : x),
            ExtensionDeclined d => Update(d.Participant, x => x.Lifecycle.ApprovedOn is { } approved
                    && d.LastFiscalYear.StartYear >= Time.FiscalYear.Of(approved).StartYear
                    && (x.Lifecycle.LastFiscalYear is not { } last || d.LastFiscalYear.StartYear < last.StartYear)
                ? x with { Lifecycle = x.Lifecycle.EndAtFiscalYear(d.LastFiscalYear) }
                : x),
            _ => throw new ArgumentException($"Unknown registry event {e.GetType().Name}.", nameof(e)),
        };
    }

    /// <summary>The retention schedule the agreements of all participants make (R7.3).</summary>
    /// <param name="defaultPolicy">The policy without an agreement.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="defaultPolicy"/> is null.</exception>
    public RetentionSchedule RetentionSchedule(RetentionPolicy defaultPolicy) =>
        new(defaultPolicy, Participants.Values.SelectMany(p => p.Agreements));

    private RegistryState Approve(ApplicationApproved a)
    {
        if (!Applications.TryGetValue(a.ApplicationId, out var app) || app.Status != ApplicationStatus.Pending)
        {
            return this;
        }

        var participant = Participants.TryGetValue(app.Participant, out var existing)
            ? existing with { Name = app.Name, Prefixes = app.Prefixes, Contacts = app.Contacts, Operators = app.Operators, TerminatedFrom = null, Lifecycle = ParticipantLifecycle.Applied.Approve(a.ApprovalDate) }
            : new ParticipantEntry(app.Participant, app.Name, app.Prefixes, app.Contacts, app.Operators, ImmutableDictionary<string, CertificateEntry>.Empty.WithComparers(StringComparer.Ordinal), [], null)
            {
                // R11.1: the usage period starts on the JST date of the approval.
                Lifecycle = ParticipantLifecycle.Applied.Approve(a.ApprovalDate),
            };
        return this with
        {
            Applications = Applications.SetItem(app.Id, app with { Status = ApplicationStatus.Approved, DecidedAt = a.At }),
            Participants = Participants.SetItem(app.Participant, participant),
        };
    }

    private RegistryState Update(ParticipantId id, Func<ParticipantEntry, ParticipantEntry> change) =>
        Participants.TryGetValue(id, out var entry) ? this with { Participants = Participants.SetItem(id, change(entry)) } : this;
}
