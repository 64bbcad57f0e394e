using System.Buffers;
using System.Text;
using Nii.Socs.Capture.Dissection;

namespace Nii.Socs.Capture.Detection;

/// <summary>Matches a packet against every rule at once through a multi-pattern prefilter (R4.2, R4.3).</summary>
/// <remarks>
/// <para>Rules are grouped by what their header says of the transport (protocol, ports, direction,
/// flow): a packet only considers the groups its header can match, so a response from port 80 never
/// looks for the patterns of rules about requests to port 80. Each rule contributes one "fast
/// pattern": its <c>fast_pattern</c> content, else its rarest positive content by a static byte
/// frequency table (<see cref="FastPatternRarity"/>), so common tokens such as <c>HTTP/1.1</c> or
/// <c>Host:</c> do not make a rule a candidate on every packet. The fast patterns of the applicable
/// groups are found in one vectorised pass (<see cref="SearchValues{T}"/> of strings, case-insensitive,
/// over the content widened to Latin-1 characters); only rules whose fast pattern occurs, plus the
/// rules with no positive content, are verified in full, in load order.</para>
/// <para>A matcher keeps scratch state: use one per thread. A matching <c>pass</c> rule suppresses
/// every other hit of the packet.</para>
/// </remarks>
public sealed class RuleMatcher
{
    private readonly Rule[] _rules;
    private readonly Group[] _groups;
    private readonly Dictionary<string, Prefilter> _prefilters = new(StringComparer.Ordinal);
    private readonly int[] _ruleStamps;
    private readonly List<int> _applicable = [];
    private readonly List<int> _candidates = [];
    private readonly StringBuilder _key = new();
    private readonly MatchScratch _scratch = new();
    private readonly int _patternCount;
    private char[] _text = new char[2048];
    private int _stamp;

    /// <summary>Builds the prefilter over a rule set.</summary>
    /// <param name="rules">The rules.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rules"/> is null.</exception>
    public RuleMatcher(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules.Rules];
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<string>();
        for (var r = 0; r < _rules.Length; r++)
        {
            var key = _rules[r].TransportKey;
            if (!groups.TryGetValue(key, out var members))
            {
                members = [];
                groups.Add(key, members);
                order.Add(key);
            }

            members.Add(r);
        }

        _groups = [.. order.Select(k => new Group(_rules[groups[k][0]], [.. groups[k]]))];
        _patternCount = _rules.Where(r => r.FastPattern is { Pattern.Length: > 0 }).Select(r => Convert.ToHexString(r.FastPattern!.Folded)).Distinct().Count();
        _ruleStamps = new int[_rules.Length];
    }

    /// <summary>The rules, in load order.</summary>
    public IReadOnlyList<Rule> Rules => _rules;

    /// <summary>The number of pcre evaluations that hit their timeout (each counted as no match).</summary>
    public long PcreTimeouts => _scratch.PcreTimeouts;

    /// <summary>The number of distinct fast patterns in the prefilter.</summary>
    public int PatternCount => _patternCount;

    /// <summary>The number of header groups (rules with the same protocol, ports, direction and flow).</summary>
    internal int GroupCount => _groups.Length;

    /// <summary>Rules verified in full so far (candidates of the prefilter), for the benchmark.</summary>
    internal long Verified { get; private set; }

    /// <summary>Finds the rules a packet matches.</summary>
    /// <param name="header">The packet's dissected header.</param>
    /// <param name="content">The packet's content (<c>frame[header.HeaderLength..]</c>).</param>
    /// <param name="hits">Cleared, then filled with the matching rules in load order.</param>
    /// <returns>The number of hits.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="hits"/> is null.</exception>
    /// <remarks>R4.2, R4.3. Allocation-free unless a candidate rule has a <c>pcre</c> (or a new combination of header groups is seen).</remarks>
    public int Match(in PacketHeader header, ReadOnlySpan<byte> content, List<Rule> hits)
    {
        ArgumentNullException.ThrowIfNull(hits);
        hits.Clear();
        if (!header.IsIP || _rules.Length == 0)
        {
            return 0;
        }

        _applicable.Clear();
        for (var g = 0; g < _groups.Length; g++)
        {
            if (_groups[g].Representative.MatchesTransport(header))
            {
                _applicable.Add(g);
            }
        }

        if (_applicable.Count == 0)
        {
            return 0;
        }

        var prefilter = PrefilterFor(_applicable);
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_ruleStamps);
            _stamp = 1;
        }

        _candidates.Clear();
        if (prefilter.Values is not null && content.Length >= prefilter.ShortestPattern)
        {
            Scan(prefilter, content);
        }

        if (_candidates.Count == 0 && prefilter.Always.Length == 0)
        {
            return 0;
        }

        _candidates.AddRange(prefilter.Always);
        _candidates.Sort();
        Verified += _candidates.Count;
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

    private void Scan(Prefilter prefilter, ReadOnlySpan<byte> content)
    {
        if (_text.Length < content.Length)
        {
            _text = new char[Math.Max(content.Length, _text.Length * 2)];
        }

        // Latin-1 maps each byte to the char of the same value: positions in the text are positions in the content.
        var text = _text.AsSpan(0, Encoding.Latin1.GetChars(content, _text));
        var values = prefilter.Values!;
        var at = 0;
        while (at < text.Length)
        {
            var found = text[at..].IndexOfAny(values);
            if (found < 0)
            {
                break;
            }

            var position = at + found;
            Confirm(prefilter, content, position);
            at = position + 1;
        }
    }

    /// <summary>Adds the rules of every fast pattern that starts at <paramref name="position"/> (ASCII letters folded).</summary>
    private void Confirm(Prefilter prefilter, ReadOnlySpan<byte> content, int position)
    {
        var first = ContentMatch.Fold(content[position]);
        var second = position + 1 < content.Length ? ContentMatch.Fold(content[position + 1]) : -1;
        foreach (var p in prefilter.ByFirstByte[first])
        {
            var pattern = prefilter.Patterns[p];
            if (pattern.Length > 1 && pattern[1] != second)
            {
                continue;
            }

            if (position + pattern.Length > content.Length || !FoldedEquals(content.Slice(position, pattern.Length), pattern))
            {
                continue;
            }

            foreach (var rule in prefilter.RulesOfPattern[p])
            {
                if (_ruleStamps[rule] != _stamp)
                {
                    _ruleStamps[rule] = _stamp;
                    _candidates.Add(rule);
                }
            }
        }
    }

    private static bool FoldedEquals(ReadOnlySpan<byte> text, byte[] folded)
    {
        for (var i = 0; i < folded.Length; i++)
        {
            if (ContentMatch.Fold(text[i]) != folded[i])
            {
                return false;
            }
        }

        return true;
    }

    private Prefilter PrefilterFor(List<int> applicable)
    {
        _key.Clear();
        foreach (var g in applicable)
        {
            _key.Append(g).Append(',');
        }

        // One lookup per packet; the key is built in a reused builder and only materialised for a new combination.
        var lookup = _prefilters.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> buffer = _key.Length <= 256 ? stackalloc char[_key.Length] : new char[_key.Length];
        _key.CopyTo(0, buffer, _key.Length);
        if (lookup.TryGetValue(buffer, out var prefilter))
        {
            return prefilter;
        }

        prefilter = new Prefilter(_rules, applicable.SelectMany(g => _groups[g].Rules).Order().ToArray());
        _prefilters.Add(_key.ToString(), prefilter);
        return prefilter;
    }

    private sealed record Group(Rule Representative, int[] Rules);

    /// <summary>The fast patterns of one combination of header groups, searched in one pass.</summary>
    private sealed class Prefilter
    {
        public Prefilter(Rule[] rules, int[] members)
        {
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            var patterns = new List<byte[]>();
            var rulesOf = new List<List<int>>();
            var always = new List<int>();
            foreach (var r in members)
            {
                var fast = rules[r].FastPattern;
                if (fast is null || fast.Pattern.Length == 0)
                {
                    always.Add(r);
                    continue;
                }

                var folded = fast.Folded;
                var key = Encoding.Latin1.GetString(folded);
                if (!ids.TryGetValue(key, out var id))
                {
                    id = patterns.Count;
                    ids.Add(key, id);
                    patterns.Add(folded);
                    rulesOf.Add([]);
                }

                rulesOf[id].Add(r);
            }

            Patterns = [.. patterns];
            RulesOfPattern = [.. rulesOf.Select(l => l.ToArray())];
            Always = [.. always];
            ShortestPattern = patterns.Count == 0 ? int.MaxValue : patterns.Min(p => p.Length);
            Values = patterns.Count == 0 ? null : SearchValues.Create([.. ids.Keys], StringComparison.OrdinalIgnoreCase);
            var byFirst = new List<int>[256];
            for (var p = 0; p < patterns.Count; p++)
            {
                (byFirst[patterns[p][0]] ??= []).Add(p);
            }

            ByFirstByte = [.. byFirst.Select(l => l?.ToArray() ?? [])];
        }

        public byte[][] Patterns { get; }

        public int[][] RulesOfPattern { get; }

        public int[] Always { get; }

        public int ShortestPattern { get; }

        public SearchValues<string>? Values { get; }

        public int[][] ByFirstByte { get; }
    }
}
