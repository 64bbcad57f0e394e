using System.Buffers;
using System.Collections.Concurrent;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
/// over the content widened to Latin-1 characters; above 48 patterns, a Bloom filter of sampled 4-byte windows probed
/// eight windows at a time with AVX2); only rules whose fast pattern occurs, plus the
/// rules with no positive content, are verified in full, in load order.</para>
/// <para>A matcher keeps scratch state: use one per thread. A matching <c>pass</c> rule suppresses
/// every other hit of the packet.</para>
/// </remarks>
public sealed class RuleMatcher
{
    /// <summary>Up to this many fast patterns per header-group combination, one <see cref="SearchValues{T}"/> pass.</summary>
    internal const int DefaultSearchValuesLimit = 48;

    /// <summary>The per-worker cache of header-group combinations has 2^this slots (a mask of 0 never reaches it).</summary>
    private const int MaskCacheBits = 5;

    private readonly Rule[] _rules;
    private readonly Group[] _groups;
    // Prefilters are immutable once built: the matchers of one pipeline (one per detection worker) share them.
    private readonly ConcurrentDictionary<string, Prefilter> _prefilters;
    private readonly ConcurrentDictionary<ulong, Prefilter> _prefiltersByMask;
    private readonly GroupMaskTable? _groupMasks;
    private readonly ulong[] _cachedMasks = new ulong[1 << MaskCacheBits];
    private readonly Prefilter?[] _cachedPrefilters = new Prefilter?[1 << MaskCacheBits];
    private readonly int[] _ruleStamps;
    private readonly List<int> _applicable = [];
    private readonly List<int> _candidates = [];
    private readonly StringBuilder _key = new();
    private readonly MatchScratch _scratch = new();
    private readonly int _patternCount;
    private readonly int _searchValuesLimit;
    private readonly bool _vectorAnchors;
    private char[] _text = new char[2048];
    private int _stamp;

    /// <summary>Builds the prefilter over a rule set.</summary>
    /// <param name="rules">The rules.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rules"/> is null.</exception>
    public RuleMatcher(RuleSet rules)
        : this(rules, DefaultSearchValuesLimit)
    {
    }

    /// <summary>Builds the prefilter, choosing the window bitmap above <paramref name="searchValuesLimit"/> patterns (tests pass 0).</summary>
    /// <param name="rules">The rules.</param>
    /// <param name="searchValuesLimit">Above this many fast patterns, the sampled window bitmap.</param>
    /// <param name="vectorAnchors">Whether the window bitmap is probed eight windows at a time with AVX2 where the CPU has it
    /// (false: one window at a time, for the benchmark's and the tests' comparison).</param>
    internal RuleMatcher(RuleSet rules, int searchValuesLimit, bool vectorAnchors = true)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _searchValuesLimit = searchValuesLimit;
        _vectorAnchors = vectorAnchors && Avx2.IsSupported;
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
        _prefilters = new(StringComparer.Ordinal);
        _prefiltersByMask = new();
        _groupMasks = GroupMaskTable.Create([.. _groups.Select(g => g.Representative)]);
    }

    /// <summary>A matcher over the same rules that shares <paramref name="sibling"/>'s groups and built prefilters (they are
    /// immutable) and has scratch state of its own: one per detection worker.</summary>
    /// <param name="sibling">The matcher to share with.</param>
    internal RuleMatcher(RuleMatcher sibling)
    {
        ArgumentNullException.ThrowIfNull(sibling);
        _searchValuesLimit = sibling._searchValuesLimit;
        _vectorAnchors = sibling._vectorAnchors;
        _rules = sibling._rules;
        _groups = sibling._groups;
        _patternCount = sibling._patternCount;
        _prefilters = sibling._prefilters;
        _prefiltersByMask = sibling._prefiltersByMask;
        _groupMasks = sibling._groupMasks;
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

    /// <summary>Eight-window blocks the AVX2 filter has probed so far, for the tests.</summary>
    internal long VectorBlocks { get; private set; }

    /// <summary>Rules verified in full so far (candidates of the prefilter), for the benchmark.</summary>
    internal long Verified { get; private set; }

    /// <summary>Finds the rules a packet matches.</summary>
    /// <param name="header">The packet's dissected header.</param>
    /// <param name="content">The packet's content (<c>frame[header.HeaderLength..]</c>).</param>
    /// <param name="hits">Cleared, then filled with the matching rules in load order.</param>
    /// <returns>The number of hits.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="hits"/> is null.</exception>
    /// <remarks>R4.2, R4.3. Allocation-free unless a candidate rule has a <c>pcre</c> (or a new combination of header groups is seen).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Match(in PacketHeader header, ReadOnlySpan<byte> content, List<Rule> hits)
    {
        ArgumentNullException.ThrowIfNull(hits);
        hits.Clear();
        if (!header.IsIP || _rules.Length == 0)
        {
            return 0;
        }

        var prefilter = _groups.Length <= 64 ? PrefilterByMask(header) : PrefilterByList(header);
        if (prefilter is null)
        {
            return 0;
        }

        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_ruleStamps);
            _stamp = 1;
        }

        _candidates.Clear();
        if (content.Length >= prefilter.ShortestPattern)
        {
            if (prefilter.Values is not null)
            {
                Scan(prefilter, content);
            }

            if (prefilter.Anchors is not null)
            {
                if (_vectorAnchors)
                {
                    ScanAnchorsAvx2(prefilter, content);
                }
                else
                {
                    ScanAnchors(prefilter, content, 0);
                }
            }
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>
    /// The many-pattern pass: every <see cref="Prefilter.Step"/>-th 4-byte window of the content, from <paramref name="from"/>,
    /// is looked up in a bitmap of the 4-byte windows that start within the first <see cref="Prefilter.Step"/> bytes of each
    /// pattern, so every occurrence of a pattern is seen at one sampled window; the cost per byte does not grow with the
    /// pattern count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanAnchors(Prefilter prefilter, ReadOnlySpan<byte> content, int from)
    {
        // The loop reads windows and bitmap words through references: every window lies within the content (at ≤ length − 4)
        // and every word index within the bitmap (the hash's top bits, as many as the bitmap has words), so the bounds
        // checks are left out.
        ref var bitmap = ref MemoryMarshal.GetArrayDataReference(prefilter.Anchors!);
        ref var text = ref MemoryMarshal.GetReference(content);
        var step = prefilter.Step;
        var shift = prefilter.WordShift;
        var last = content.Length - 4;
        for (var at = from; at <= last; at += step)
        {
            var window = Prefilter.Window(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref text, at)));
            var hash = Prefilter.Hash(window);
            var bits = Prefilter.Bits(hash);
            if ((Unsafe.Add(ref bitmap, (int)(hash >> shift)) & bits) == bits)
            {
                ConfirmAnchor(prefilter, content, at, window);
            }
        }
    }

    /// <summary>
    /// <see cref="ScanAnchors"/> eight sampled windows at a time (AVX2): the windows are gathered from the content, hashed in
    /// 32-bit lanes by the same function as the scalar pass, their bitmap words gathered and tested together; only the
    /// windows whose three bits are set (a pattern's window, or a false hit of the filter) are confirmed one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void ScanAnchorsAvx2(Prefilter prefilter, ReadOnlySpan<byte> content)
    {
        var step = prefilter.Step;
        var last = content.Length - 4;
        var at = 0;
        if (last >= 7 * step)
        {
            var offsets = Vector256.Create(0, step, 2 * step, 3 * step, 4 * step, 5 * step, 6 * step, 7 * step);
            var fold = Vector256.Create(Prefilter.FoldMask);
            var multiplier = Vector256.Create(Prefilter.Multiplier);
            var mixer = Vector256.Create(Prefilter.Mixer);
            var one = Vector256.Create(1u);
            var low5 = Vector256.Create(31u);
            var shift = prefilter.WordShift;
            fixed (byte* text = content)
            fixed (uint* bitmap = prefilter.Anchors!)
            {
                VectorBlocks += ((last - (7 * step)) / (8 * step)) + 1;

                // Every gathered window lies within the content: the last lane reads bytes at + 7·step … at + 7·step + 3 ≤ length − 1.
                for (; at + (7 * step) <= last; at += 8 * step)
                {
                    var windows = Avx2.GatherVector256((uint*)text, offsets + Vector256.Create(at), 1) | fold;
                    var hash = windows * multiplier;
                    hash = (hash ^ Vector256.ShiftRightLogical(hash, 15)) * mixer;
                    var words = Avx2.GatherVector256(bitmap, Vector256.ShiftRightLogical(hash, shift).AsInt32(), 4);
                    var bits = Avx2.ShiftLeftLogicalVariable(one, hash & low5)
                        | Avx2.ShiftLeftLogicalVariable(one, Vector256.ShiftRightLogical(hash, 5) & low5)
                        | Avx2.ShiftLeftLogicalVariable(one, Vector256.ShiftRightLogical(hash, 10) & low5);
                    var set = Vector256.Equals(words & bits, bits).ExtractMostSignificantBits();
                    while (set != 0)
                    {
                        var lane = System.Numerics.BitOperations.TrailingZeroCount(set);
                        set &= set - 1;
                        var position = at + (lane * step);
                        ConfirmAnchor(prefilter, content, position, Prefilter.Window(BinaryPrimitives.ReadUInt32LittleEndian(content[position..])));
                    }
                }
            }
        }

        ScanAnchors(prefilter, content, at);
    }

    /// <summary>A sampled window passed the bitmap: adds the rules of the patterns that have this window and occur around it.</summary>
    private void ConfirmAnchor(Prefilter prefilter, ReadOnlySpan<byte> content, int at, uint window)
    {
        if (!prefilter.AnchorEntries!.TryGetValue(window, out var entries))
        {
            return;
        }

        foreach (var (pattern, offset) in entries)
        {
            var position = at - offset;
            var folded = prefilter.Patterns[pattern];
            if (position >= 0 && position + folded.Length <= content.Length && FoldedEquals(content.Slice(position, folded.Length), folded))
            {
                AddRulesOf(prefilter, pattern);
            }
        }
    }

    private void AddRulesOf(Prefilter prefilter, int pattern)
    {
        foreach (var rule in prefilter.RulesOfPattern[pattern])
        {
            if (_ruleStamps[rule] != _stamp)
            {
                _ruleStamps[rule] = _stamp;
                _candidates.Add(rule);
            }
        }
    }

    /// <summary>Adds the rules of every fast pattern that starts at <paramref name="position"/> (ASCII letters folded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

            AddRulesOf(prefilter, p);
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

    /// <summary>The prefilter of the header groups a packet can match, cached by their bit mask (up to 64 groups); null when none applies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Prefilter? PrefilterByMask(in PacketHeader header)
    {
        var mask = GroupMask(header);
        if (mask == 0)
        {
            return null;
        }

        // A small direct-mapped cache of this worker's recent combinations (no hashing of a dictionary, no interlocked
        // reads); behind it the prefilters every worker has built.
        var slot = (int)(unchecked(mask * 0x9E3779B97F4A7C15UL) >> (64 - MaskCacheBits));
        if (_cachedMasks[slot] == mask)
        {
            return _cachedPrefilters[slot];
        }

        if (!_prefiltersByMask.TryGetValue(mask, out var prefilter))
        {
            // Two workers meeting a new combination at once may both build it; one is kept (both are equal).
            _applicable.Clear();
            for (var g = 0; g < _groups.Length; g++)
            {
                if ((mask & (1UL << g)) != 0)
                {
                    _applicable.Add(g);
                }
            }

            prefilter = _prefiltersByMask.GetOrAdd(mask, PrefilterFor(_applicable));
        }

        _cachedMasks[slot] = mask;
        _cachedPrefilters[slot] = prefilter;
        return prefilter;
    }

    /// <summary>Whether the header-group mask comes from <see cref="GroupMaskTable"/> (up to 64 groups and 256 port classes), for the tests.</summary>
    internal bool HasGroupMaskTable => _groupMasks is not null;

    /// <summary>The header groups (up to 64) whose transport test holds, from the table where there is one.</summary>
    internal ulong GroupMask(in PacketHeader header) => _groupMasks is not null ? _groupMasks.Mask(header) : GroupMaskByCalls(header);

    /// <summary>The header groups (up to 64) whose transport test holds, one <see cref="Rule.MatchesTransport"/> call per group.</summary>
    internal ulong GroupMaskByCalls(in PacketHeader header)
    {
        var mask = 0UL;
        for (var g = 0; g < _groups.Length && g < 64; g++)
        {
            if (_groups[g].Representative.MatchesTransport(header))
            {
                mask |= 1UL << g;
            }
        }

        return mask;
    }

    /// <summary>As <see cref="PrefilterByMask"/>, for more than 64 header groups: cached by the list of group numbers.</summary>
    private Prefilter? PrefilterByList(in PacketHeader header)
    {
        _applicable.Clear();
        for (var g = 0; g < _groups.Length; g++)
        {
            if (_groups[g].Representative.MatchesTransport(header))
            {
                _applicable.Add(g);
            }
        }

        return _applicable.Count == 0 ? null : PrefilterFor(_applicable);
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

        prefilter = new Prefilter(_rules, applicable.SelectMany(g => _groups[g].Rules).Order().ToArray(), _searchValuesLimit);
        return _prefilters.GetOrAdd(_key.ToString(), prefilter);
    }

    private sealed record Group(Rule Representative, int[] Rules);

    /// <summary>The fast patterns of one combination of header groups, searched in one pass.</summary>
    /// <remarks>Up to <see cref="DefaultSearchValuesLimit"/> patterns: one <see cref="SearchValues{T}"/> pass (vectorised for few
    /// patterns). More: patterns of 4 bytes or more through the sampled 4-byte window bitmap (<see cref="ScanAnchorsAvx2"/>,
    /// eight windows at a time; <see cref="ScanAnchors"/> where the CPU lacks AVX2), shorter ones through <see cref="SearchValues{T}"/>.</remarks>
    private sealed class Prefilter
    {
        public const uint FoldMask = 0x20202020;
        public const uint Multiplier = 0x9E3779B1;
        public const uint Mixer = 0x85EBCA77;
        private const int MinWordBits = 13;
        private const int MaxWordBits = 16;
        private const int MaxStep = 13;

        /// <summary>At most this many short patterns move from the window bitmap to the <see cref="SearchValues{T}"/> pass.</summary>
        private const int MaxShortPatterns = 16;
        private const int MaxSplitStep = 2;

        public Prefilter(Rule[] rules, int[] members, int searchValuesLimit)
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
            var keys = ids.Keys.ToArray();
            if (patterns.Count <= searchValuesLimit)
            {
                Values = patterns.Count == 0 ? null : SearchValues.Create(keys, StringComparison.OrdinalIgnoreCase);
            }
            else if (patterns.All(p => p.Length < 4))
            {
                Values = SearchValues.Create(keys, StringComparison.OrdinalIgnoreCase);
            }
            else
            {
                // The sampling step is the shortest bitmap pattern's length − 3: a few short patterns (".php?", "union")
                // among long ones would make every second window a gather. Up to MaxShortPatterns of the shortest go to
                // SearchValues instead (which patterns under 4 bytes need anyway), as long as that lengthens the step.
                // Only where the step would be 1 or 2: the SearchValues pass widens every payload to chars, which cost more
                // than a step of 3 or more saves (capture --part rules, HTTP traffic, two alternating runs each, 2 December:
                // 100 rules 0.30 µs/packet without the split against 0.37–0.44 with it, 1,000 rules 0.37–0.39 against
                // 0.40–0.52); the command benchmark's rules (".php?", "union": a step of 2) still split.
                var threshold = 4;
                var shortBudget = Math.Max(patterns.Count(p => p.Length < 4), Math.Min(searchValuesLimit, MaxShortPatterns));
                var splits = Math.Min(patterns.Where(p => p.Length >= 4).Min(p => p.Length), MaxStep) - 3 <= MaxSplitStep;
                while (splits && threshold < MaxStep && patterns.Count(p => p.Length < threshold + 1) <= shortBudget && patterns.Any(p => p.Length >= threshold + 1))
                {
                    threshold++;
                }

                var shortOnes = keys.Where(k => k.Length < threshold).ToArray();
                Values = shortOnes.Length == 0 ? null : SearchValues.Create(shortOnes, StringComparison.OrdinalIgnoreCase);
                var shortestLong = patterns.Where(p => p.Length >= threshold).Min(p => p.Length);
                Step = Math.Min(shortestLong, MaxStep) - 4 + 1;
                var entries = new Dictionary<uint, List<(int, int)>>();
                for (var p = 0; p < patterns.Count; p++)
                {
                    if (patterns[p].Length < threshold)
                    {
                        continue;
                    }

                    // Every window starting in the first Step bytes: an occurrence is always sampled at one of them.
                    for (var offset = 0; offset < Step; offset++)
                    {
                        var window = Window(BinaryPrimitives.ReadUInt32LittleEndian(patterns[p].AsSpan(offset)));
                        if (!entries.TryGetValue(window, out var list))
                        {
                            entries.Add(window, list = []);
                        }

                        list.Add((p, offset));
                    }
                }

                // About 32 bits per distinct window (three set: ~9% of the bits, well under 1% false hits), 32 KiB to 256 KiB.
                // Each false hit costs a dictionary lookup that misses the cache at 10,000 rules; in the rules benchmark a
                // 64 KiB bitmap at 16 bits per window cost more than this 128 KiB one, and a 32 KiB one (fits L1) more still.
                var wordBits = Math.Clamp((int)Math.Ceiling(Math.Log2(Math.Max(entries.Count, 1))), MinWordBits, MaxWordBits);
                WordShift = 32 - wordBits;
                Anchors = new uint[1 << wordBits];
                foreach (var window in entries.Keys)
                {
                    var hash = Hash(window);
                    Anchors[hash >> WordShift] |= Bits(hash);
                }

                AnchorEntries = entries.ToDictionary(e => e.Key, e => e.Value.ToArray());
            }

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

        /// <summary>The bitmap of hashed 4-byte windows (ASCII letters folded by OR-ing 0x20 into every byte): a blocked Bloom
        /// filter, three bits per window in one 32-bit word, about 32 bits per window (32–256 KiB); null below the limit.</summary>
        public uint[]? Anchors { get; }

        /// <summary>The shift that leaves a hash's top bits, as many as index the bitmap's words.</summary>
        public int WordShift { get; }

        public Dictionary<uint, (int Pattern, int Offset)[]>? AnchorEntries { get; }

        /// <summary>The distance between sampled windows: (shortest long pattern, at most 13) − 3.</summary>
        public int Step { get; } = 1;

        /// <summary>A content window as the bitmap knows it: four bytes little-endian, 0x20 OR-ed into each (ASCII letters folded).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Window(uint raw) => (BitConverter.IsLittleEndian ? raw : BinaryPrimitives.ReverseEndianness(raw)) | FoldMask;

        /// <summary>A 32-bit hash of a window (multiply, xor-shift, multiply), the same in the scalar and the AVX2 pass: its top
        /// bits choose the bitmap word, its low fifteen bits three bits in it.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Hash(uint window)
        {
            var hash = unchecked(window * Multiplier);
            return unchecked((hash ^ (hash >> 15)) * Mixer);
        }

        /// <summary>The window's three bits in its word (a blocked Bloom filter with three hashes: fewer false hits than one or
        /// two bits, still one read). The word index takes at most the top 16 bits, these the low 15.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Bits(uint hash) => (1u << (int)(hash & 31)) | (1u << (int)((hash >> 5) & 31)) | (1u << (int)((hash >> 10) & 31));
    }
}
