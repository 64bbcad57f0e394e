using System.Diagnostics;
using System.Text;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Tests.Detection;

/// <summary>Bounded input: a hostile rule file is refused whole, fast and in little memory, never with a stack overflow.</summary>
public class RuleSetBoundsTests
{
    private static readonly RuleVariables Variables = RuleVariables.ForScope(
        ScopeIndex.Create([new ScopeAssignment(new ParticipantId("u-tokyo"), IPPrefix.Parse("192.0.2.0/24"))]));

    public static TheoryData<string, string> Bombs => new()
    {
        { "brackets", "alert ip " + new string('[', 100_000) + "192.0.2.1" + new string(']', 100_000) + " any -> any any (sid:1;)" },
        { "negations", "alert ip " + new string('!', 100_000) + "192.0.2.1 any -> any any (sid:1;)" },
        { "mixed", "alert ip " + string.Concat(Enumerable.Repeat("[!", 50_000)) + "192.0.2.1" + new string(']', 50_000) + " any -> any any (sid:1;)" },
        { "ports", "alert tcp any " + string.Concat(Enumerable.Repeat("![", 50_000)) + "80" + new string(']', 50_000) + " -> any any (sid:1;)" },
    };

    [Theory]
    [MemberData(nameof(Bombs))]
    [Trait("Requirement", "R4.2")]
    public void A_100000_deep_nesting_is_refused_with_file_and_line_within_seconds_and_little_memory(string kind, string bomb)
    {
        var text = "alert tcp any any -> any any (msg:\"fine\"; content:\"a\"; sid:7;)\n" + bomb + "\n";
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<InvalidDataException>(() => RuleSet.Parse(text, "hostile.rules", Variables));
        clock.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.StartsWith("hostile.rules:2: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("deeper than 32 levels", ex.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{kind}: took {clock.Elapsed}");
        Assert.True(allocated < 200L << 20, $"{kind}: allocated {allocated >> 20} MiB");
    }

    [Fact]
    [Trait("Requirement", "R4.2")]
    public void Nesting_up_to_the_bound_still_parses_and_matches()
    {
        var depth = RuleParser.MaxNesting / 2;
        var address = string.Concat(Enumerable.Repeat("[", depth)) + "192.0.2.0/24" + new string(']', depth);
        var rules = RuleSet.Parse($"alert ip {address} any -> any any (sid:1;)", "deep.rules", Variables);
        Assert.Empty(rules.Errors);
        Assert.Single(rules.Rules);
    }

    [Fact]
    [Trait("Requirement", "R4.2")]
    public void A_rule_or_a_file_over_the_size_bounds_is_refused_whole()
    {
        var longRule = "alert tcp any any -> any any (msg:\"" + new string('x', RuleSet.MaxRuleLength) + "\"; sid:1;)";
        var ex = Assert.Throws<InvalidDataException>(() => RuleSet.Parse("# first\n" + longRule, "long.rules", Variables));
        Assert.StartsWith("long.rules:2: the rule has ", ex.Message, StringComparison.Ordinal);

        using var dir = new TempDirectory();
        var path = dir.File("huge.rules");
        using (var stream = File.Create(path))
        {
            stream.SetLength(RuleSet.MaxFileLength + 1L);
        }

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var tooBig = Assert.Throws<InvalidDataException>(() => RuleSet.Load(path, Variables));
        Assert.Contains("at most 67108864 are accepted", tooBig.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 1 << 20, "the size is checked before reading");
    }

    [Fact]
    [Trait("Requirement", "R4.2")]
    public void An_ordinary_bad_rule_is_still_skipped_not_refused()
    {
        var rules = RuleSet.Parse(
            new StringBuilder()
                .AppendLine("alert tcp any any -> any any (msg:\"ok\"; sid:1;)")
                .AppendLine("alert ip [192.0.2.1 any -> any any (sid:2;)")
                .ToString(),
            "mixed.rules",
            Variables);
        Assert.Single(rules.Rules);
        Assert.Single(rules.Errors);
    }
}
