using System.Globalization;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Participants.Procedures;

/// <summary>One step of a participant's procedure history, as the participant and staff see it.</summary>
/// <param name="At">When it was recorded (UTC).</param>
/// <param name="What">What happened, one line.</param>
internal sealed record ProcedureStep(DateTimeOffset At, string What);

/// <summary>A participant's procedure history read from the registry's events (R3, R5.2, R7.3, R11, R12): what the portal and <c>participants show</c> list.</summary>
/// <remarks>Exclusions are attributed to a participant when they overlap any prefix it has ever registered.</remarks>
internal static class ProcedureHistory
{
    /// <summary>The steps concerning one participant, in log order.</summary>
    /// <param name="events">The registry's events in log order.</param>
    /// <param name="participant">The participant.</param>
    /// <returns>The steps.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> is null.</exception>
    public static IReadOnlyList<ProcedureStep> Of(IEnumerable<RegistryEvent> events, ParticipantId participant)
    {
        ArgumentNullException.ThrowIfNull(events);
        var applications = new HashSet<string>(StringComparer.Ordinal);
        var prefixes = new List<IPPrefix>();
        var exclusions = new HashSet<string>(StringComparer.Ordinal);
        var steps = new List<ProcedureStep>();
        foreach (var e in events)
        {
            var what = e switch
            {
                ApplicationSubmitted s when s.Participant == participant && applications.Add(s.ApplicationId) && Track(prefixes, s.Prefixes) =>
                    $"application {s.ApplicationId} received: {string.Join(", ", s.Prefixes)}",
                ApplicationApproved a when applications.Contains(a.ApplicationId) => $"application {a.ApplicationId} approved on {Iso(a.ApprovalDate)}; period {UsagePeriod.FromApproval(a.ApprovalDate)} (R11.1)",
                ApplicationRefused r when applications.Contains(r.ApplicationId) => $"application {r.ApplicationId} refused: {r.Reason} (R12.2)",
                PrefixesChanged p when p.Participant == participant && Track(prefixes, p.Prefixes) => $"prefixes changed: {string.Join(", ", p.Prefixes)}",
                ContactsChanged c when c.Participant == participant => $"contacts changed: {string.Join(", ", c.Contacts)}",
                OperatorsChanged o when o.Participant == participant => $"operators changed: {string.Join(", ", o.Operators.Select(x => x.Mail))}",
                CertificateIssued i when i.Participant == participant => $"certificate issued to {i.OperatorEmail}",
                CertificateRevoked v when v.Participant == participant => $"certificate revoked: {v.Reason}",
                AgreementMade m when m.Participant == participant => string.Create(CultureInfo.InvariantCulture, $"retention agreement: {m.Months} month(s) from {Iso(m.EffectiveFrom)}{(m.Reference is { } reference ? $" ({reference})" : string.Empty)} (R7.3)"),
                ApprovalRevoked v when v.Participant == participant => string.Create(CultureInfo.InvariantCulture, $"approval revoked from {Iso(v.On)}: ({(int)v.Reason}) {v.Note} (R12.2)"),
                ExtensionDeclined d when d.Participant == participant => $"not extended past {d.LastFiscalYear} (ends {Iso(d.LastFiscalYear.LastDay)}): {d.Reason} (R11.2)",
                ParticipantTerminated t when t.Participant == participant => $"termination notice dated {Iso(t.EffectiveFrom.AddDays(-1))}: use ends from {Iso(t.EffectiveFrom)} (R12.1)",
                ExclusionStarted x when x.Prefixes.Any(p => prefixes.Any(own => own.Overlaps(p))) && exclusions.Add(x.ExclusionId) => $"exclusion {x.ExclusionId} of {string.Join(", ", x.Prefixes)} started: {x.Reason} (R5.2)",
                ExclusionEnded x when exclusions.Contains(x.ExclusionId) => $"exclusion {x.ExclusionId} ended (R5.2)",
                _ => null,
            };
            if (what is not null)
            {
                steps.Add(new ProcedureStep(e.At, what));
            }
        }

        return steps;
    }

    private static bool Track(List<IPPrefix> prefixes, System.Collections.Immutable.ImmutableArray<IPPrefix> more)
    {
        prefixes.AddRange(more.IsDefault ? [] : more);
        return true;
    }

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
