using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
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
}
