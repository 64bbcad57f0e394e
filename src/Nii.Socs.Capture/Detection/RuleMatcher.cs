using Nii.Socs.Capture.Dissection;

namespace Nii.Socs.Capture.Detection;

/// <summary>Matches a packet against every rule at once through a multi-pattern prefilter (R4.2, R4.3).</summary>
/// <remarks>
/// <para>Each rule contributes one "fast pattern" (its <c>fast_pattern</c> content, else its longest
/// positive content) to one Aho–Corasick automaton. A packet's content is scanned once; only the
/// rules whose fast pattern occurs, plus the few rules with no positive content, are verified in
/// full. So the cost grows with the traffic and the number of candidate rules, not with rules ×
/// packets: in <c>bench/</c>, 1,000 rules cost a small multiple of 10 rules.</para>
/// <para>A matcher keeps scratch state: use one per thread. A matching <c>pass</c> rule suppresses
/// every other hit of the packet.</para>
/// </remarks>
public sealed class RuleMatcher
{
    private readonly Rule[] _rules;
    private readonly AhoCorasick _automaton;
    private readonly int[][] _rulesOfPattern;
    private readonly int[] _alwaysChecked;
    private readonly int[] _patternStamps;
    private readonly int[] _ruleStamps;
    private readonly List<int> _patterns = [];
    private readonly List<int> _candidates = [];
    private readonly MatchScratch _scratch = new();
    private int _stamp;

    /// <summary>Builds the prefilter over a rule set.</summary>
    /// <param name="rules">The rules.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rules"/> is null.</exception>
    public RuleMatcher(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules.Rules];
        var patternIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var patterns = new List<byte[]>();
        var rulesOf = new List<List<int>>();
        var always = new List<int>();
        for (var r = 0; r < _rules.Length; r++)
        {
            var fast = _rules[r].FastPattern;
            if (fast is null)
            {
                always.Add(r);
                continue;
            }

            var folded = fast.Folded;
            var key = Convert.ToHexString(folded);
            if (!patternIds.TryGetValue(key, out var id))
            {
                id = patterns.Count;
                patternIds.Add(key, id);
                patterns.Add(folded);
                rulesOf.Add([]);
            }

            rulesOf[id].Add(r);
        }

        _automaton = new AhoCorasick(patterns);
        _rulesOfPattern = rulesOf.Select(l => l.ToArray()).ToArray();
        _alwaysChecked = [.. always];
        _patternStamps = new int[patterns.Count];
        _ruleStamps = new int[_rules.Length];
    }

    /// <summary>The rules, in load order.</summary>
    public IReadOnlyList<Rule> Rules => _rules;

    /// <summary>The number of pcre evaluations that hit their timeout (each counted as no match).</summary>
    public long PcreTimeouts => _scratch.PcreTimeouts;

    /// <summary>The number of distinct fast patterns in the prefilter.</summary>
    public int PatternCount => _patternStamps.Length;

    /// <summary>Finds the rules a packet matches.</summary>
    /// <param name="header">The packet's dissected header.</param>
    /// <param name="content">The packet's content (<c>frame[header.HeaderLength..]</c>).</param>
    /// <param name="hits">Cleared, then filled with the matching rules in load order.</param>
    /// <returns>The number of hits.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="hits"/> is null.</exception>
    /// <remarks>R4.2, R4.3. Allocation-free unless a candidate rule has a <c>pcre</c>.</remarks>
    public int Match(in PacketHeader header, ReadOnlySpan<byte> content, List<Rule> hits)
    {
        ArgumentNullException.ThrowIfNull(hits);
        hits.Clear();
        if (!header.IsIP)
        {
            return 0;
        }

        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_patternStamps);
            Array.Clear(_ruleStamps);
            _stamp = 1;
        }

        _patterns.Clear();
        _candidates.Clear();
        if (_patternStamps.Length > 0)
        {
            _automaton.Scan(content, _patternStamps, _stamp, _patterns);
        }

        foreach (var pattern in _patterns)
        {
            foreach (var rule in _rulesOfPattern[pattern])
            {
                if (_ruleStamps[rule] != _stamp)
                {
                    _ruleStamps[rule] = _stamp;
                    _candidates.Add(rule);
                }
            }
        }

        _candidates.AddRange(_alwaysChecked);
        _candidates.Sort();
        _scratch.StartPacket();
        var passed = false;
        foreach (var index in _candidates)
        {
            var rule = _rules[index];
            if (rule.MatchesHeader(header) && rule.MatchesContent(content, _scratch))
            {
                if (rule.Action == RuleAction.Pass)
                {
                    passed = true;
                    break;
                }

                hits.Add(rule);
            }
        }

        if (passed)
        {
            hits.Clear();
        }

        return hits.Count;
    }
}
