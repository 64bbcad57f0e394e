using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Tests.Participants;

public class ApplicationValidatorProperties
{
    private static Gen<IPPrefix> V4 =>
        from bits in Gen.Choose(int.MinValue, int.MaxValue)
        from length in Gen.Choose(8, 32)
        select IPPrefix.FromBits(false, (uint)bits, length);

    [Property]
    [Trait("Requirement", "R3.1")]
    public Property R3_1_a_valid_application_never_overlaps_another_participant() =>
        Prop.ForAll(Arb.From(Gen.ListOf(V4)), Arb.From(Gen.ListOf(V4)), (mine, theirs) =>
        {
            var application = new Application
            {
                InstitutionName = "U",
                Prefixes = [.. mine.Select(p => p.ToString())],
                ContactMails = ["a@example.ac.jp"],
                Operators = [new OperatorContact("A", "a@example.ac.jp", null, true)],
            };
            var others = new Dictionary<ParticipantId, IReadOnlyList<IPPrefix>> { [new ParticipantId("other")] = [.. theirs] };
            var result = ApplicationValidator.Validate(application, others);
            var anyOverlap = mine.Any(a => theirs.Any(b => a.Overlaps(b)))
                || mine.Select((a, i) => mine.Skip(i + 1).Any(b => a.Overlaps(b))).Any(x => x);
            var plausible = mine.All(p => ApplicationValidator.Implausible(p) is null);
            return (result.IsValid == (!anyOverlap && mine.Count > 0 && plausible))
                .Classify(!plausible, "implausible prefix")
                .Classify(anyOverlap, "overlapping")
                .Classify(mine.Count == 0, "no prefixes");
        });

    [Property]
    [Trait("Requirement", "R3.1")]
    public Property R3_1_no_prefix_shorter_than_the_minimum_or_in_a_reserved_range_is_accepted() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 32)), Arb.From(Gen.Choose(int.MinValue, int.MaxValue)), (length, bits) =>
        {
            var prefix = IPPrefix.FromBits(false, (uint)bits, length);
            var result = ApplicationValidator.Validate(
                new Application { InstitutionName = "U", Prefixes = [prefix.ToString()], ContactMails = ["a@example.ac.jp"], Operators = [new OperatorContact("A", "a@example.ac.jp", null, true)] },
                new Dictionary<ParticipantId, IReadOnlyList<IPPrefix>>());
            var octets = prefix.NetworkAddress.GetAddressBytes();
            // 169.254.0.0/16 (link-local) is reserved: a prefix is refused when it lies inside it or holds it
            // (169.126.0.0/15 does neither; an earlier model counted every 169.x shorter than /16).
            var linkLocal = IPPrefix.Parse("169.254.0.0/16");
            var reserved = octets[0] is 0 or 127 || octets[0] >= 224
                || linkLocal.Contains(prefix.NetworkAddress) || prefix.Contains(linkLocal.NetworkAddress);
            return result.IsValid == (length >= ApplicationValidator.MinimumIPv4PrefixLength && !reserved);
        });

    [Property]
    [Trait("Requirement", "R3.1")]
    public Property R3_1_prefix_text_round_trips_to_its_normal_form() =>
        Prop.ForAll(Arb.From(V4), prefix =>
            IPPrefix.Parse(prefix.ToString()) == prefix && prefix.Contains(prefix.NetworkAddress));
}
