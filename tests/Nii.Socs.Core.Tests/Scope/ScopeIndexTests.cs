using System.Net;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Tests.Scope;

public class ScopeIndexTests
{
    private static ScopeAssignment A(string participant, string prefix) => new(new ParticipantId(participant), IPPrefix.Parse(prefix));

    [Fact]
    public void The_longer_prefix_answers_inside_it_and_the_shorter_outside()
    {
        var index = ScopeIndex.Create([A("u-tokyo", "192.0.2.0/24"), A("kyoto-u", "192.0.2.128/25")]);
        Assert.True(index.TryMatch(IPAddress.Parse("192.0.2.200"), out var inner));
        Assert.Equal("kyoto-u", Assert.Single(inner.Participants).Value);
        Assert.True(index.TryMatch(IPAddress.Parse("192.0.2.5"), out var outer));
        Assert.Equal("u-tokyo", Assert.Single(outer.Participants).Value);
        Assert.False(index.TryMatch(IPAddress.Parse("192.0.3.1"), out _));
    }

    [Fact]
    [Trait("Requirement", "R5.1")]
    public void Nested_IPv4_prefixes_sharing_a_first_or_last_address_answer_the_innermost_at_every_edge()
    {
        // The IPv4 intervals come from one sweep over the sorted prefixes: nested prefixes that start at the same
        // address, a prefix ending at 255.255.255.255, a /32 and a /0 around them all.
        var index = ScopeIndex.Create([
            A("all", "0.0.0.0/0"), A("a", "10.0.0.0/8"), A("b", "10.0.0.0/16"), A("c", "10.0.0.0/24"), A("d", "10.0.0.255/32"),
            A("e", "10.255.0.0/16"), A("f", "255.255.255.0/24"), A("g", "255.255.255.255/32")]);
        var expected = new Dictionary<string, string>
        {
            ["9.255.255.255"] = "all", ["10.0.0.0"] = "c", ["10.0.0.254"] = "c", ["10.0.0.255"] = "d", ["10.0.1.0"] = "b",
            ["10.0.255.255"] = "b", ["10.1.0.0"] = "a", ["10.254.255.255"] = "a", ["10.255.0.0"] = "e", ["10.255.255.255"] = "e",
            ["11.0.0.0"] = "all", ["255.255.254.255"] = "all", ["255.255.255.0"] = "f", ["255.255.255.254"] = "f", ["255.255.255.255"] = "g",
        };
        foreach (var (address, participant) in expected)
        {
            Assert.True(index.TryMatch(IPAddress.Parse(address), out var match), address);
            Assert.Equal(participant, Assert.Single(match.Participants).Value);
        }
    }

    [Fact]
    public void A_prefix_registered_by_two_participants_concerns_both()
    {
        var index = ScopeIndex.Create([A("u-tokyo", "2001:db8:10::/48"), A("kyoto-u", "2001:db8:10::/48"), A("u-tokyo", "2001:db8:10::/48")]);
        Assert.Equal(1, index.Count);
        Assert.True(index.TryMatch(IPAddress.Parse("2001:db8:10::1"), out var match));
        Assert.Equal(["kyoto-u", "u-tokyo"], match.Participants.Select(p => p.Value));
    }

    [Fact]
    public void Families_do_not_mix_and_zero_length_prefixes_cover_their_family_only()
    {
        var index = ScopeIndex.Create([A("u-tokyo", "0.0.0.0/0")]);
        Assert.True(index.TryMatch(IPAddress.Parse("203.0.113.9"), out _));
        Assert.False(index.TryMatch(IPAddress.Parse("::ffff:203.0.113.9"), out _));
        Assert.False(index.TryMatch(IPAddress.Parse("2001:db8::1"), out _));
    }

    [Fact]
    public void Odd_lengths_expand_into_the_right_slots()
    {
        var index = ScopeIndex.Create([A("u-tokyo", "10.0.0.0/13"), A("kyoto-u", "10.6.0.0/15")]);
        Assert.Equal("u-tokyo", Match(index, "10.5.1.1"));
        Assert.Equal("kyoto-u", Match(index, "10.7.255.255"));
        Assert.Equal("kyoto-u", Match(index, "10.6.0.0"));
        Assert.Null(Match(index, "10.8.0.0"));
    }

    [Fact]
    public void An_empty_scope_matches_nothing()
    {
        Assert.Equal(-1, ScopeIndex.Empty.Lookup(false, 0xC0000201));
        Assert.Equal(-1, ScopeIndex.Empty.LookupIPv6(UInt128.MaxValue));
    }

    private static string? Match(ScopeIndex index, string address) =>
        index.TryMatch(IPAddress.Parse(address), out var match) ? match.Participants[0].Value : null;
}
