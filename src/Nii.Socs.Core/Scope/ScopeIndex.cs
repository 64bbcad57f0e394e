using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.CompilerServices;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Scope;

/// <summary>
/// Longest-prefix match over every participant's registered prefixes, IPv4 and IPv6 (R5.1).
/// </summary>
/// <remarks>
/// <para>R5.1: traffic is monitored when its source <b>or</b> destination lies in a participant's
/// prefixes; everything else is dropped before it is stored. The index answers "which registered
/// prefix, and so which participants, does this address belong to".</para>
/// <para>IPv6 is a multibit trie with a 4-bit stride and controlled prefix expansion: a lookup reads
/// at most 32 nodes, whatever the number of prefixes; a /50 is expanded into four slots of the node
/// for bits 49–52, and one /0 answers every address. IPv4 lookups, twice per captured frame, read
/// elementary intervals (at most two per prefix, plus one, each with its longest match), found at
/// creation by one sweep over the sorted prefixes, and a 65,536-entry table of the interval holding
/// each /16's first address, so a lookup is one table read and one result read, with a short search
/// only where a prefix starts or ends inside the /16 (256 KiB per index).</para>
/// <para>Edge case: with 192.0.2.0/24 (u-tokyo) and 192.0.2.128/25 (kyoto-u) registered,
/// 192.0.2.200 answers kyoto-u only, and 192.0.2.5 answers u-tokyo only.</para>
/// <para>The index is immutable and safe to share between threads.</para>
/// </remarks>
public sealed class ScopeIndex
{
    private const int Stride = 4;
    private const int Fanout = 1 << Stride;

    private readonly ScopeMatch[] _matches;
    private readonly Trie _v6;

    // IPv4 answers as elementary intervals (no prefix starts or ends inside one, so the longest match is constant):
    // _v4Block[a >> 16] is the interval holding the first address of a's /16, so a lookup is one read of this
    // 256 KiB table plus, when prefixes start or end inside that /16, a short search among its intervals.
    private readonly int[] _v4Block;
    private readonly uint[] _v4Starts;
    private readonly int[] _v4Results;

    private ScopeIndex(ScopeMatch[] matches, Trie v6, ScopeAssignment[] assignments)
    {
        _matches = matches;
        _v6 = v6;
        Assignments = assignments;
        (_v4Block, _v4Starts, _v4Results) = Intervals(matches);
    }

    /// <summary>An index with no prefixes: nothing is in scope.</summary>
    public static ScopeIndex Empty { get; } = Create([]);

    /// <summary>The number of distinct registered prefixes.</summary>
    public int Count => _matches.Length;

    /// <summary>Every distinct registered prefix with its participants, ordered IPv4 first, then by address and length.</summary>
    public IReadOnlyList<ScopeMatch> Matches => _matches;

    /// <summary>The assignments the index was built from, in the order given.</summary>
    public IReadOnlyList<ScopeAssignment> Assignments { get; }

    /// <summary>The match with a dense index.</summary>
    /// <param name="index">An index from 0 to <see cref="Count"/> − 1, as returned by <see cref="Lookup"/>.</param>
    /// <returns>The match.</returns>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public ScopeMatch this[int index] => _matches[index];

    /// <summary>Builds an index.</summary>
    /// <param name="assignments">The registered prefixes; the same prefix may be registered by several participants.</param>
    /// <returns>The index.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="assignments"/> is null.</exception>
    /// <remarks>R5.1. Building is O(n · 2^stride) in time and memory; a duplicate assignment counts once.</remarks>
    public static ScopeIndex Create(IEnumerable<ScopeAssignment> assignments)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        var list = assignments.ToArray();

        // The assignments in prefix order (Compare), then participant order (ordinal): each distinct prefix is one run,
        // its participants sorted, a duplicate next to its twin. Indices are sorted, not the assignments: a Dictionary or
        // Array.Sort over IPPrefix would be compiled at run time, a sort of int[] is precompiled by ReadyToRun.
        var order = new int[list.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) =>
        {
            var byPrefix = Compare(list[a].Prefix, list[b].Prefix);
            return byPrefix != 0 ? byPrefix : string.CompareOrdinal(list[a].Participant.Value, list[b].Participant.Value);
        });

        var matches = new List<ScopeMatch>();
        var participants = new List<ParticipantId>();
        for (var run = 0; run < order.Length;)
        {
            var prefix = list[order[run]].Prefix;
            var end = run;
            participants.Clear();
            while (end < order.Length && list[order[end]].Prefix == prefix)
            {
                // Participants in ordinal order, each once (a duplicate assignment counts once).
                var participant = list[order[end]].Participant;
                if (participants.Count == 0 || !string.Equals(participants[^1].Value, participant.Value, StringComparison.Ordinal))
                {
                    participants.Add(participant);
                }

                end++;
            }

            matches.Add(new ScopeMatch(matches.Count, prefix, [.. participants]));
            run = end;
        }

        // IPv6 only: IPv4 answers come from the intervals (Intervals). Shorter prefixes first, so a longer
        // prefix's expanded slots overwrite the shorter one's.
        var v6Order = new List<int>();
        for (var i = 0; i < matches.Count; i++)
        {
            if (matches[i].Prefix.IsIPv6)
            {
                v6Order.Add(i);
            }
        }

        var v6Indices = v6Order.ToArray();
        Array.Sort(v6Indices, (a, b) => matches[a].Prefix.Length != matches[b].Prefix.Length ? matches[a].Prefix.Length.CompareTo(matches[b].Prefix.Length) : a.CompareTo(b));
        var v6 = new TrieBuilder();
        foreach (var i in v6Indices)
        {
            v6.Insert(matches[i].Prefix.High, matches[i].Prefix.Low, matches[i].Prefix.Length, i);
        }

        return new ScopeIndex([.. matches], v6.Build(), list);
    }

    /// <summary>Orders prefixes: IPv4 before IPv6, then by network address, then by length.</summary>
    /// <param name="x">The first prefix.</param>
    /// <param name="y">The second prefix.</param>
    /// <returns>Negative, zero or positive, as <see cref="IComparer{T}.Compare"/>.</returns>
    public static int Compare(IPPrefix x, IPPrefix y)
    {
        var family = x.IsIPv6.CompareTo(y.IsIPv6);
        if (family != 0)
        {
            return family;
        }

        var bits = x.High != y.High ? x.High.CompareTo(y.High) : x.Low.CompareTo(y.Low);
        return bits != 0 ? bits : x.Length.CompareTo(y.Length);
    }

    /// <summary>The dense index of the longest registered prefix containing an address, or −1.</summary>
    /// <param name="isIPv6">The address family.</param>
    /// <param name="bits">The address bits (IPv4 in the low 32 bits), as <see cref="IPPrefix.ToBits"/> gives them.</param>
    /// <returns>An index for <see cref="this[int]"/>, or −1 when the address is out of scope.</returns>
    /// <remarks>R5.1. Allocation-free; the packet hot path calls it twice per frame (source and destination).</remarks>
    public int Lookup(bool isIPv6, UInt128 bits) => isIPv6 ? LookupIPv6(bits) : LookupIPv4((uint)(bits & uint.MaxValue));

    /// <summary>The dense index of the longest registered IPv4 prefix containing an address, or −1.</summary>
    /// <param name="address">The IPv4 address as a big-endian integer (192.0.2.1 is 0xC0000201).</param>
    /// <returns>The index, or −1.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int LookupIPv4(uint address)
    {
        var high = (int)(address >> 16);
        var at = _v4Block[high];
        var last = _v4Block[high + 1];
        if (at == last)
        {
            return _v4Results[at];
        }

        // The last interval starting at or before the address, among those of this /16.
        var starts = _v4Starts;
        while (last - at > 8)
        {
            var middle = at + ((last - at + 1) / 2);
            if (starts[middle] <= address)
            {
                at = middle;
            }
            else
            {
                last = middle - 1;
            }
        }

        while (at < last && starts[at + 1] <= address)
        {
            at++;
        }

        return _v4Results[at];
    }

    /// <summary>The IPv4 elementary intervals and the /16 table, from the prefixes in their sorted order.</summary>
    /// <remarks>Two prefixes are either nested or disjoint, and <paramref name="matches"/> is ordered by address, then
    /// length (<see cref="Compare"/>): a sweep over the interval bounds with a stack of the prefixes holding the current
    /// bound gives each bound's longest match (the top of the stack) without building a trie.</remarks>
    private static (int[] Block, uint[] Starts, int[] Results) Intervals(ScopeMatch[] matches)
    {
        var v4 = 0;
        while (v4 < matches.Length && !matches[v4].Prefix.IsIPv6)
        {
            v4++;
        }

        var bounds = new uint[(2 * v4) + 1];
        var count = 0;
        bounds[count++] = 0;
        for (var i = 0; i < v4; i++)
        {
            var (first, last) = Range(matches[i].Prefix);
            bounds[count++] = first;
            if (last != uint.MaxValue)
            {
                bounds[count++] = last + 1;
            }
        }

        Array.Sort(bounds, 0, count);
        var starts = new uint[count];
        var results = new int[count];
        var intervals = 0;
        var stack = new int[Math.Max(v4, 1)];
        var depth = 0;
        var next = 0;
        for (var b = 0; b < count; b++)
        {
            var bound = bounds[b];
            if (b > 0 && bound == bounds[b - 1])
            {
                continue;
            }

            while (next < v4 && (uint)matches[next].Prefix.Low <= bound)
            {
                var first = (uint)matches[next].Prefix.Low;
                while (depth > 0 && Range(matches[stack[depth - 1]].Prefix).Last < first)
                {
                    depth--;
                }

                stack[depth++] = next++;
            }

            while (depth > 0 && Range(matches[stack[depth - 1]].Prefix).Last < bound)
            {
                depth--;
            }

            var result = depth > 0 ? stack[depth - 1] : -1;
            if (intervals > 0 && results[intervals - 1] == result)
            {
                continue; // same answer as the interval before: one interval
            }

            starts[intervals] = bound;
            results[intervals++] = result;
        }

        var block = new int[(1 << 16) + 1];
        var at = 0;
        for (var high = 0; high <= 1 << 16; high++)
        {
            var first = high == 1 << 16 ? uint.MaxValue : (uint)high << 16;
            while (at + 1 < intervals && starts[at + 1] <= first)
            {
                at++;
            }

            block[high] = at;
        }

        return (block, starts[..intervals], results[..intervals]);
    }

    /// <summary>The first and last address of an IPv4 prefix.</summary>
    private static (uint First, uint Last) Range(IPPrefix prefix)
    {
        var first = (uint)prefix.Low;
        return (first, first | (uint)((1UL << (32 - prefix.Length)) - 1));
    }

    /// <summary>The dense index of the longest registered IPv6 prefix containing an address, or −1.</summary>
    /// <param name="address">The IPv6 address as a 128-bit integer.</param>
    /// <returns>The index, or −1.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int LookupIPv6(UInt128 address)
    {
        var slots = _v6.Slots;
        var best = _v6.Default;
        var node = 0;
        var high = (ulong)(address >> 64);
        var low = (ulong)(address & ulong.MaxValue);
        for (var level = 0; level < 128 / Stride; level++)
        {
            var word = level < 16 ? high : low;
            var shift = 64 - Stride - ((level % 16) * Stride);
            var slot = 2 * ((node * Fanout) + (int)((word >> shift) & (Fanout - 1)));
            var match = slots[slot + 1];
            if (match != 0)
            {
                best = match;
            }

            node = slots[slot];
            if (node == 0)
            {
                break;
            }
        }

        return best - 1;
    }

    /// <summary>Finds the longest registered prefix containing an address.</summary>
    /// <param name="address">The address.</param>
    /// <param name="match">The match when the address is in scope; null otherwise.</param>
    /// <returns>Whether the address is in scope.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    public bool TryMatch(IPAddress address, [NotNullWhen(true)] out ScopeMatch? match)
    {
        ArgumentNullException.ThrowIfNull(address);
        var (isIPv6, bits) = IPPrefix.ToBits(address);
        var index = Lookup(isIPv6, bits);
        match = index >= 0 ? _matches[index] : null;
        return match is not null;
    }

    /// <summary>A trie: per slot, the child node (0 for none) and the match index + 1 (0 for none), side by side so one lookup level touches one cache line.</summary>
    private sealed record Trie(int[] Slots, int Default);

    private sealed class TrieBuilder
    {
        private readonly List<int> _child = [.. new int[Fanout]];
        private readonly List<int> _match = [.. new int[Fanout]];
        private int _default;

        /// <summary>Inserts a 128-bit prefix given as two 64-bit halves.</summary>
        public void Insert(ulong high, ulong low, int length, int index)
        {
            if (length == 0)
            {
                _default = index + 1;
                return;
            }

            var node = 0;
            var last = (length - 1) / Stride;
            for (var level = 0; level < last; level++)
            {
                var slot = (node * Fanout) + Nibble(high, low, level);
                if (_child[slot] == 0)
                {
                    _child[slot] = _child.Count / Fanout;
                    _child.AddRange(new int[Fanout]);
                    _match.AddRange(new int[Fanout]);
                }

                node = _child[slot];
            }

            var fixedBits = length - (last * Stride);
            var first = Nibble(high, low, last) & ~((1 << (Stride - fixedBits)) - 1);
            var count = 1 << (Stride - fixedBits);
            for (var k = 0; k < count; k++)
            {
                _match[(node * Fanout) + first + k] = index + 1;
            }
        }

        public Trie Build()
        {
            var slots = new int[_child.Count * 2];
            for (var i = 0; i < _child.Count; i++)
            {
                slots[2 * i] = _child[i];
                slots[(2 * i) + 1] = _match[i];
            }

            return new Trie(slots, _default);
        }

        /// <summary>The 4-bit nibble at a level, counted from the top of the 128 bits.</summary>
        private static int Nibble(ulong high, ulong low, int level)
        {
            var word = level < 64 / Stride ? high : low;
            var shift = 64 - Stride - ((level % (64 / Stride)) * Stride);
            return (int)((word >> shift) & (Fanout - 1));
        }
    }
}
