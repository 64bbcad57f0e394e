using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Participants;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Portal;

public sealed class PortalQueriesProperties
{
    private static readonly string[] s_areas = ["consent", "portal", "detections", "keys", "certificates", "mail", "participant", "consent-id", "grant-id"];

    private static Gen<string> ParticipantText =>
        from stem in Gen.Elements("u-tokyo", "kyoto-u", "a", "nii", "tohoku")
        from suffix in Gen.Elements(string.Empty, "-2", "-x", "2")
        select stem + suffix;

    [Property]
    [Trait("Requirement", "R6.4")]
    public Property R6_4_a_participant_sees_its_own_history_entries_and_never_another_ones()
    {
        var gen =
            from owner in ParticipantText
            from viewer in ParticipantText
            from area in Gen.Elements(s_areas)
            from byOperator in Gen.Elements(true, false)
            from tail in Gen.Elements("2026-11", "0190aa", "login", "x/y")
            select (owner, viewer, area, byOperator, tail);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (owner, viewer, area, byOperator, tail) = t;
            var entry = OperationEntry.Create(
                1,
                DateTimeOffset.UnixEpoch,
                byOperator ? $"operator:{owner}/someone@example.ac.jp" : "system:pipeline",
                "x.y",
                byOperator ? $"portal/{owner}/{tail}" : area switch
                {
                    // The consent service names a request or grant, not the participant: its id decides.
                    "consent-id" => $"consent/{owner}.request",
                    "grant-id" => $"grant/{owner}.grant",
                    _ => $"{area}/{owner}/{tail}",
                },
                string.Empty,
                OperationEntry.GenesisHash);
            var viewersIds = new HashSet<string>(StringComparer.Ordinal) { viewer + ".request", viewer + ".grant" };
            var concerns = PortalQueries.Concerns(entry, new ParticipantId(viewer), viewersIds);
            return (concerns == (owner == viewer))
                .Label($"{entry.Actor} {entry.Subject} seen by {viewer}: {concerns}")
                .Classify(owner == viewer, "own")
                .Classify(owner != viewer && (owner.StartsWith(viewer, StringComparison.Ordinal) || viewer.StartsWith(owner, StringComparison.Ordinal)), "prefix-named other");
        });
    }
}
