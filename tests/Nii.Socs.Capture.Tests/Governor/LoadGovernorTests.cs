using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Tests.Governor;

public class LoadGovernorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);

    private static ScopeIndex Scope() => ScopeIndex.Create(
    [
        new(new ParticipantId("u-tokyo"), IPPrefix.Parse("192.0.2.0/24")),
        new(new ParticipantId("kyoto-u"), IPPrefix.Parse("198.51.100.0/25")),
        new(new ParticipantId("osaka-u"), IPPrefix.Parse("198.51.100.0/25")),
        new(new ParticipantId("tohoku-u"), IPPrefix.Parse("2001:db8:10::/48")),
    ]);

    [Fact]
    [Trait("Requirement", "R5.2")]
    public void A_sustained_high_queue_excludes_the_busiest_prefix_first_and_a_low_queue_ends_it()
    {
        var scope = Scope();
        var time = new FakeTimeProvider(T0);
        var governor = new LoadGovernor(scope, new LoadGovernorOptions { QueueCapacity = 100, Sustain = TimeSpan.FromSeconds(1) }, time);
        var kyoto = scope.Lookup(false, 0xC6336414); // 198.51.100.20
        var tokyo = scope.Lookup(false, 0xC000020A); // 192.0.2.10
        governor.Account(tokyo, 1000);
        governor.Account(kyoto, 5000);

        Assert.False(governor.Observe(90));            // high, but not yet for a second
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(governor.Observe(90));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(governor.Observe(90));             // kyoto-u/osaka-u's prefix carried most traffic
        Assert.True(governor.IsExcluded(kyoto));
        Assert.False(governor.IsExcluded(tokyo));
        Assert.Equal(["kyoto-u", "osaka-u"], governor.Exclusions.Select(e => e.Participant.Value));
        Assert.All(governor.Exclusions, e => Assert.Equal((T0.AddSeconds(1), (DateTimeOffset?)null), (e.From, e.To)));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(governor.Observe(85));              // still high a second later: the next busiest goes
        Assert.True(governor.IsExcluded(tokyo));

        time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(governor.Observe(60));             // between the marks: nothing changes
        Assert.Equal(2, governor.ExcludedCount);
        Assert.True(governor.Observe(50));              // at the low-water mark: every exclusion ends
        Assert.Equal(0, governor.ExcludedCount);
        Assert.All(governor.Exclusions, e => Assert.Equal(T0.AddSeconds(5), e.To));
        Assert.Equal(3, governor.Exclusions.Count);
        Assert.Contains("192.0.2.0/24", governor.Exclusions[2].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R5.2")]
    public void Ties_go_to_the_prefix_that_sorts_first_so_the_choice_is_deterministic()
    {
        var scope = Scope();
        var time = new FakeTimeProvider(T0);
        var governor = new LoadGovernor(scope, new LoadGovernorOptions { QueueCapacity = 10, Sustain = TimeSpan.Zero }, time);
        for (var i = 0; i < scope.Count; i++)
        {
            governor.Account(i, 100);
        }

        Assert.True(governor.Observe(10));
        Assert.Equal("192.0.2.0/24", governor.Exclusions.Single().Prefixes.Single().ToString());
    }

    [Fact]
    public void Settings_out_of_range_are_refused_with_their_name()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new LoadGovernor(Scope(), new LoadGovernorOptions { LowWaterMark = 0.9 }, TimeProvider.System));
        Assert.Contains("LowWaterMark", error.Message, StringComparison.Ordinal);
    }
}
