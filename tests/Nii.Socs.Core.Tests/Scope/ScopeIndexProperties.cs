using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Tests.Generators;

namespace Nii.Socs.Core.Tests.Scope;

public class ScopeIndexProperties
{
    [Property(MaxTest = 300)]
    [Trait("Requirement", "R5.1")]
    public Property R5_1_longest_prefix_match_equals_a_brute_force_scan_over_all_prefixes()
    {
        var gen =
            from scope in ScopeGenerators.Scope()
            from addresses in Gen.ArrayOf(ScopeGenerators.AddressFor(scope), 30)
            select (scope, addresses);
        return Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (scope, addresses) = input;
            var index = ScopeIndex.Create(scope);
            var inScope = 0;
            foreach (var (v6, bits) in addresses)
            {
                var containing = scope.Where(a => a.Prefix.Contains(v6, bits)).ToArray();
                var found = index.Lookup(v6, bits);
                if (containing.Length == 0)
                {
                    if (found != -1)
                    {
                        return false.Label($"{IPPrefix.ToAddress(v6, bits)} is in no prefix but matched {index[found]}");
                    }

                    continue;
                }

                inScope++;
                var longest = containing.Max(a => a.Prefix.Length);
                var expectedPrefix = containing.First(a => a.Prefix.Length == longest).Prefix;
                var expectedParticipants = containing.Where(a => a.Prefix == expectedPrefix).Select(a => a.Participant.Value).Distinct().Order(StringComparer.Ordinal).ToArray();
                if (found < 0 || index[found].Prefix != expectedPrefix
                    || !index[found].Participants.Select(p => p.Value).SequenceEqual(expectedParticipants))
                {
                    return false.Label($"{IPPrefix.ToAddress(v6, bits)}: expected {expectedPrefix}, got {(found < 0 ? "none" : index[found].ToString())}");
                }
            }

            return true.Classify(inScope > addresses.Length / 2, "mostly in scope").Classify(inScope == 0, "none in scope");
        });
    }

    [Property(MaxTest = 100)]
    [Trait("Requirement", "R5.1")]
    public Property R5_1_every_registered_prefix_answers_for_its_own_network_address() =>
        Prop.ForAll(ScopeGenerators.Scope().ToArbitrary(), scope =>
        {
            var index = ScopeIndex.Create(scope);
            return scope.All(a =>
            {
                var found = index.Lookup(a.Prefix.IsIPv6, a.Prefix.Bits);
                return found >= 0 && index[found].Prefix.Length >= a.Prefix.Length && index[found].Prefix.Contains(a.Prefix.IsIPv6, a.Prefix.Bits);
            });
        });

    /// <summary>Many short IPv4 prefixes in and around one /16 (and at the ends of the address space): the lookups that
    /// scan or binary-search the packed intervals of a crowded /16, and the /16s answered outright, against a brute force.</summary>
    [Property(MaxTest = 200)]
    [Trait("Requirement", "R5.1")]
    public Property R5_1_lookup_in_crowded_16s_equals_a_brute_force_scan()
    {
        var gen =
            from high in Gen.Elements(0u, 1u, 0x0A01u, 0xC000u, 0xFFFEu, 0xFFFFu)
            from count in Gen.Choose(0, 60)
            from prefixes in Gen.ArrayOf(
                from spill in Gen.Frequency((8, Gen.Constant(0u)), (1, Gen.Constant(1u)))
                from low in Gen.Choose(0, 0xFFFF)
                from length in Gen.Frequency((1, Gen.Choose(8, 16)), (6, Gen.Choose(17, 32)))
                from participant in Gen.Elements(ScopeGenerators.Participants)
                select new ScopeAssignment(new ParticipantId(participant), IPPrefix.FromBits(false, (((high + spill) & 0xFFFF) << 16) | (uint)low, length)),
                count)
            from addresses in Gen.ArrayOf(
                from near in Gen.Choose(-1, 1)
                from low in Gen.Choose(0, 0xFFFF)
                select (uint)((((int)high + near) & 0xFFFF) << 16) | (uint)low,
                80)
            select (prefixes, addresses);
        return Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (scope, addresses) = input;
            var index = ScopeIndex.Create(scope);
            foreach (var address in addresses.Concat(scope.Select(a => (uint)a.Prefix.Bits)).Append(uint.MaxValue).Append(0u))
            {
                var containing = scope.Where(a => a.Prefix.Contains(false, address)).ToArray();
                var found = index.LookupIPv4(address);
                var expected = containing.Length == 0 ? (IPPrefix?)null : containing.MaxBy(a => a.Prefix.Length).Prefix;
                if ((found < 0 ? null : (IPPrefix?)index[found].Prefix) != expected)
                {
                    return false.Label($"{IPPrefix.ToAddress(false, address)}: expected {expected?.ToString() ?? "none"}, got {(found < 0 ? "none" : index[found].ToString())}");
                }
            }

            return true.Classify(scope.Length > 40, "crowded");
        });
    }
}
