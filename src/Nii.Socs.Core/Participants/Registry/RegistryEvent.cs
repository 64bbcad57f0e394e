using System.Collections.Immutable;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Participants.Registry;

/// <summary>One fact of the participant registry; the registry's state is a pure fold of these (DESIGN §5).</summary>
/// <remarks>
/// A closed family: every event is a sealed record below. Events are facts already decided; validation (R3, R12)
/// happens before an event is appended. The fold (<see cref="RegistryState.Apply"/>) ignores an event that names
/// something unknown, so a replayed log always folds.
/// <para>Edge case: approving an application twice changes nothing the second time.</para>
/// </remarks>
internal abstract record RegistryEvent
{
    private protected RegistryEvent(DateTimeOffset at) => At = at;

    /// <summary>When the fact was recorded (UTC).</summary>
    public DateTimeOffset At { get; }
}

/// <summary>An application was submitted (R3.1–R3.3).</summary>
/// <param name="At">When.</param>
/// <param name="ApplicationId">The application's id.</param>
/// <param name="Participant">The participant id it asks for.</param>
/// <param name="Name">The institution's name.</param>
/// <param name="Prefixes">Monitored prefixes (R3.1).</param>
/// <param name="Contacts">Notification mail addresses (R3.2).</param>
/// <param name="Operators">Portal operators (R3.3).</param>
internal sealed record ApplicationSubmitted(DateTimeOffset At, string ApplicationId, ParticipantId Participant, string Name, ImmutableArray<IPPrefix> Prefixes, ImmutableArray<string> Contacts, ImmutableArray<OperatorContact> Operators) : RegistryEvent(At);

/// <summary>A pending application was approved: its participant becomes active with its contents (R11.1).</summary>
/// <param name="At">When.</param>
/// <param name="ApplicationId">The application.</param>
internal sealed record ApplicationApproved(DateTimeOffset At, string ApplicationId) : RegistryEvent(At)
{
    /// <summary>The approval date that starts the usage period (R11.1); null means the JST date of <see cref="RegistryEvent.At"/>.</summary>
    public DateOnly? On { get; init; }

    /// <summary>The approval date: <see cref="On"/>, or the JST date of <see cref="RegistryEvent.At"/>.</summary>
    public DateOnly ApprovalDate => On ?? Time.Jst.DateOf(At);
}

/// <summary>A pending application was refused, with the reason (R12.2).</summary>
/// <param name="At">When.</param>
/// <param name="ApplicationId">The application.</param>
/// <param name="Reason">The stated reason.</param>
internal sealed record ApplicationRefused(DateTimeOffset At, string ApplicationId, string Reason) : RegistryEvent(At)
{
    /// <summary>Which of the six reasons of R12.2 the decision names; null in events recorded before the reasons were coded.</summary>
    public RefusalReason? Ground { get; init; }
}

/// <summary>A participant's monitored prefixes were replaced (R3.1).</summary>
/// <param name="At">When.</param>
/// <param name="Participant">The participant.</param>
/// <param name="Prefixes">The new prefixes.</param>
internal sealed record PrefixesChanged(DateTimeOffset At, ParticipantId Participant, ImmutableArray<IPPrefix> Prefixes) : RegistryEvent(At);

/// <summary>A participant's notification addresses were replaced (R3.2).</summary>
/// <param name="At">When.</param>
/// <param name="Participant">The participant.</param>
/// <param name="Contacts">The new addresses.</param>
internal sealed record ContactsChanged(DateTimeOffset At, ParticipantId Participant, ImmutableArray<string> Contacts) : RegistryEvent(At);

/// <summary>A participant's portal operators were replaced (R3.3).</summary>
/// <param name="At">When.</param>
/// <param name="Participant">The participant.</param>
/// <param name="Operators">The new operators.</param>
internal sealed record OperatorsChanged(DateTimeOffset At, ParticipantId Participant, ImmutableArray<OperatorContact> Operators) : RegistryEvent(At);

/// <summary>A client certificate was issued to an operator of a participant (R6.3, R8.1).</summary>
/// <param name="At">When.</param>
/// <param name="Participant">The participant.</param>
/// <param name="Thumbprint">The certificate's SHA-256 thumbprint, hex.</param>
/// <param name="OperatorEmail">The operator it was issued to.</param>
internal sealed record CertificateIssued(DateTimeOffset At, ParticipantId Participant, string Thumbprint, string OperatorEmail) : RegistryEvent(At);

/// <summary>A client certificate was revoked, e.g. on reported compromise (R6.2).</summary>
/// <param name="At">When.</param>
/// <param name="Participant">The participant.</param>
/// <param name="Thumbprint">The certificate's thumbprint.</param>
/// <param name="Reason">Why.</param>
internal sealed record CertificateRevoked(DateTimeOffset At, ParticipantId Participant, string Thumbprint, string Reason) : RegistryEvent(At);

/// <summary>A retention agreement was made (R7.3).</summary>
/// <param name="At">When.</param>
/// <param name="Participant">The participant.</param>
/// <param name="Months">Months kept after the acquisition month.</param>
/// <param name="EffectiveFrom">The JST date from which acquired detections fall under it.</param>
internal sealed record AgreementMade(DateTimeOffset At, ParticipantId Participant, int Months, DateOnly EffectiveFrom) : RegistryEvent(At)
{
    /// <summary>The reference of the written agreement (R7.3), such as a contract number; null when none was recorded.</summary>
    public string? Reference { get; init; }
}

/// <summary>Monitored prefixes were excluded temporarily under load (R5.2).</summary>
/// <param name="At">When.</param>
/// <param name="ExclusionId">The exclusion's id.</param>
/// <param name="Prefixes">The excluded prefixes.</param>
/// <param name="Until">The planned end; null when open-ended.</param>
/// <param name="Reason">Why.</param>
internal sealed record ExclusionStarted(DateTimeOffset At, string ExclusionId, ImmutableArray<IPPrefix> Prefixes, DateTimeOffset? Until, string Reason) : RegistryEvent(At);

/// <summary>An exclusion ended (R5.2).</summary>
/// <param name="At">When.</param>
/// <param name="ExclusionId">The exclusion.</param>
internal sealed record ExclusionEnded(DateTimeOffset At, string ExclusionId) : RegistryEvent(At);

/// <summary>A participant's use ends from a date (R12.1: the day after the date on the notice).</summary>
/// <param name="At">When.</param>
/// <param name="Participant">The participant.</param>
/// <param name="EffectiveFrom">The first JST date on which it is no longer a participant.</param>
internal sealed record ParticipantTerminated(DateTimeOffset At, ParticipantId Participant, DateOnly EffectiveFrom) : RegistryEvent(At);

/// <summary>An approval was revoked with one of the reasons of R12.2, in effect from a date.</summary>
/// <param name="At">When.</param>
/// <param name="Participant">The participant.</param>
/// <param name="Reason">Which of the six reasons.</param>
/// <param name="Note">What the decision says about it.</param>
/// <param name="On">The first JST date the revocation is in effect.</param>
internal sealed record ApprovalRevoked(DateTimeOffset At, ParticipantId Participant, RefusalReason Reason, string Note, DateOnly On) : RegistryEvent(At);

/// <summary>The organization decided not to extend a participant's use past a fiscal year (R11.2).</summary>
/// <param name="At">When.</param>
/// <param name="Participant">The participant.</param>
/// <param name="LastFiscalYear">The last fiscal year of use.</param>
/// <param name="Reason">Why continuation is not appropriate.</param>
internal sealed record ExtensionDeclined(DateTimeOffset At, ParticipantId Participant, Time.FiscalYear LastFiscalYear, string Reason) : RegistryEvent(At);
