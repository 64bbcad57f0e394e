using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Participants;

/// <summary>A participant's lifecycle as an immutable state machine: application, decision, usage period, ending (R11, R12).</summary>
/// <remarks>
/// Each transition returns a new value; a transition the rules do not allow throws
/// <see cref="InvalidOperationException"/> naming the current state. The registry folds its
/// stored events through these transitions, so the rules live here once.
/// <para>Edge case: approved 2026-05-10 with no notice stays active through every fiscal year
/// (R11.2 extends it automatically); after <see cref="EndAtFiscalYear"/> for FY2026 it is
/// <see cref="ParticipantStatus.Expired"/> from 2027-04-01.</para>
/// </remarks>
internal sealed record ParticipantLifecycle
{
    /// <summary>A participant that has applied and awaits a decision.</summary>
    public static readonly ParticipantLifecycle Applied = new();

    private ParticipantLifecycle()
    {
    }

    /// <summary>The approval date; null until approved.</summary>
    public DateOnly? ApprovedOn { get; private init; }

    /// <summary>The refusal, when the application was refused.</summary>
    public (RefusalReason Reason, string Note, DateOnly On)? Refusal { get; private init; }

    /// <summary>The revocation, when the approval was revoked.</summary>
    public (RefusalReason Reason, string Note, DateOnly On)? Revocation { get; private init; }

    /// <summary>The last fiscal year of use when the participant asked to end or the organization declined to extend (R11.2); null while extensions continue.</summary>
    public FiscalYear? LastFiscalYear { get; private init; }

    /// <summary>The date written on the termination notice (R12.1); null when none was filed.</summary>
    public DateOnly? TerminationNoticeDate { get; private init; }

    /// <summary>Approves the application on a date (R11.1).</summary>
    /// <param name="on">The approval date.</param>
    /// <returns>The approved lifecycle.</returns>
    /// <exception cref="InvalidOperationException">The application was already decided.</exception>
    public ParticipantLifecycle Approve(DateOnly on)
    {
        RequireUndecided("approve");
        return this with { ApprovedOn = on };
    }

    /// <summary>Refuses the application with one of the reasons of R12.2.</summary>
    /// <param name="reason">The reason.</param>
    /// <param name="note">What the decision says about it; required.</param>
    /// <param name="on">The decision date.</param>
    /// <returns>The refused lifecycle.</returns>
    /// <exception cref="ArgumentException">The note is empty or the reason unknown.</exception>
    /// <exception cref="InvalidOperationException">The application was already decided.</exception>
    public ParticipantLifecycle Refuse(RefusalReason reason, string note, DateOnly on)
    {
        CheckReason(reason, note);
        RequireUndecided("refuse");
        return this with { Refusal = (reason, note, on) };
    }

    /// <summary>Revokes an approval with one of the reasons of R12.2, in effect from <paramref name="on"/>.</summary>
    /// <param name="reason">The reason.</param>
    /// <param name="note">What the decision says about it; required.</param>
    /// <param name="on">The first day the revocation is in effect.</param>
    /// <returns>The revoked lifecycle.</returns>
    /// <exception cref="ArgumentException">The note is empty or the reason unknown.</exception>
    /// <exception cref="InvalidOperationException">The participant was never approved, or was already revoked.</exception>
    public ParticipantLifecycle Revoke(RefusalReason reason, string note, DateOnly on)
    {
        CheckReason(reason, note);
        if (ApprovedOn is not { } approved || Revocation is not null)
        {
            throw new InvalidOperationException($"Cannot revoke a participant that is {Describe()}.");
        }

        if (on < approved)
        {
            throw new InvalidOperationException($"Cannot revoke on {on:yyyy-MM-dd}, before the approval on {approved:yyyy-MM-dd}.");
        }

        return this with { Revocation = (reason, note, on) };
    }

    /// <summary>Stops automatic extension (R11.2): use ends with fiscal year <paramref name="last"/>.</summary>
    /// <param name="last">The last fiscal year of use.</param>
    /// <returns>The lifecycle with a last fiscal year.</returns>
    /// <exception cref="InvalidOperationException">The participant was never approved, or <paramref name="last"/> precedes the approval's fiscal year.</exception>
    public ParticipantLifecycle EndAtFiscalYear(FiscalYear last)
    {
        if (ApprovedOn is not { } approved)
        {
            throw new InvalidOperationException($"Cannot end the usage period of a participant that is {Describe()}.");
        }

        if (last.StartYear < FiscalYear.Of(approved).StartYear)
        {
            throw new InvalidOperationException($"{last} is before the fiscal year of the approval ({FiscalYear.Of(approved)}).");
        }

        return this with { LastFiscalYear = last };
    }

    /// <summary>Files a termination notice (R12.1); it takes effect from the day after its date.</summary>
    /// <param name="noticeDate">The date written on the notice.</param>
    /// <returns>The lifecycle with the notice.</returns>
    /// <exception cref="InvalidOperationException">The participant was never approved, or a notice was already filed.</exception>
    public ParticipantLifecycle NoticeTermination(DateOnly noticeDate)
    {
        if (ApprovedOn is null || TerminationNoticeDate is not null)
        {
            throw new InvalidOperationException($"Cannot file a termination notice for a participant that is {Describe()}.");
        }

        return this with { TerminationNoticeDate = noticeDate };
    }

    /// <summary>The participant's status on a date.</summary>
    /// <param name="date">The date.</param>
    /// <returns>The status.</returns>
    public ParticipantStatus StatusOn(DateOnly date)
    {
        if (Refusal is not null)
        {
            return ParticipantStatus.Refused;
        }

        if (ApprovedOn is not { } approved || date < approved)
        {
            return ParticipantStatus.Applied;
        }

        if (Revocation is { } revocation && date >= revocation.On)
        {
            return ParticipantStatus.Revoked;
        }

        if (TerminationNoticeDate is { } notice && date >= Termination.EffectiveFrom(notice))
        {
            return ParticipantStatus.Terminated;
        }

        return LastFiscalYear is { } last && date > last.LastDay ? ParticipantStatus.Expired : ParticipantStatus.Active;
    }

    /// <summary>The usage period that covers a date, with the automatic renewals up to it (R11).</summary>
    /// <param name="date">The date.</param>
    /// <returns>The period; null when the participant is not approved by then.</returns>
    public UsagePeriod? PeriodOn(DateOnly date)
    {
        if (ApprovedOn is not { } approved || date < approved || Refusal is not null)
        {
            return null;
        }

        var renewals = Math.Max(0, FiscalYear.Of(date).StartYear - FiscalYear.Of(approved).StartYear);
        if (LastFiscalYear is { } last)
        {
            renewals = Math.Min(renewals, last.StartYear - FiscalYear.Of(approved).StartYear);
        }

        return UsagePeriod.FromApproval(approved, renewals);
    }

    private void RequireUndecided(string action)
    {
        if (ApprovedOn is not null || Refusal is not null)
        {
            throw new InvalidOperationException($"Cannot {action} an application that is already {Describe()}.");
        }
    }

    private static void CheckReason(RefusalReason reason, string note)
    {
        if (!Enum.IsDefined(reason))
        {
            throw new ArgumentException($"The reason must be one of the six of R12.2; got {(int)reason}.", nameof(reason));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(note);
    }

    private string Describe() => Refusal is not null ? "refused"
        : Revocation is not null ? "revoked"
        : ApprovedOn is not null ? "approved"
        : "undecided";
}
