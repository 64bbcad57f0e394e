using System.Buffers.Binary;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Benchmarks.Capture;

/// <summary>
/// The fair peer's filter: a classic BPF program, built instruction by instruction (no pcap_compile), that accepts an
/// Ethernet frame whose IPv4 or IPv6 source or destination lies in one of the scope's prefixes, by binary search over
/// the merged address ranges — the same test as <see cref="ScopeIndex"/>, in libpcap's interpreter.
/// </summary>
/// <remarks>
/// <para>One search tree per address family and direction (5 instructions per range; BPF jumps only forward, so
/// the source's tree cannot be reused for the destination). Conditional jumps only reach the next instructions;
/// everything farther is a <c>ja</c> (32-bit offset). IPv6 prefixes must be /32 or shorter: the program compares the
/// first 32 bits of an IPv6 address (the benchmark's prefixes are).</para>
/// <para>Opcodes from the classic BPF instruction set (bpf.h): ld/ldh absolute, ja,
/// jeq/jgt/jge with a constant, ret.</para>
/// </remarks>
internal static class RangeBpf
{
    private const ushort LoadHalf = 0x28;
    private const ushort LoadWord = 0x20;
    private const ushort JumpAlways = 0x05;
    private const ushort JumpEqual = 0x15;
    private const ushort JumpGreater = 0x25;
    private const ushort JumpGreaterOrEqual = 0x35;
    private const ushort Return = 0x06;
    private const uint Accept = 262_144;

    /// <summary>The merged ranges of the first 32 bits of each family's prefixes.</summary>
    public static (List<(uint Low, uint High)> V4, List<(uint Low, uint High)> V6) Ranges(IEnumerable<ScopeAssignment> prefixes)
    {
        var v4 = new List<(uint, uint)>();
        var v6 = new List<(uint, uint)>();
        foreach (var p in prefixes)
        {
            var prefix = p.Prefix;
            if (prefix.IsIPv6)
            {
                if (prefix.Length > 32)
                {
                    throw new ArgumentException($"{prefix}: the BPF peer handles IPv6 prefixes up to /32.", nameof(prefixes));
                }

                var top = (uint)(prefix.Bits >> 96);
                v6.Add((top, top | (uint)((1UL << (32 - prefix.Length)) - 1)));
            }
            else
            {
                var bits = (uint)prefix.Bits;
                v4.Add((bits, bits | (uint)((1UL << (32 - prefix.Length)) - 1)));
            }
        }

        return (Merge(v4), Merge(v6));
    }

    /// <summary>The program as 8-byte little-endian instructions (code, jt, jf, k).</summary>
    public static byte[] Build(IEnumerable<ScopeAssignment> prefixes, out int instructionCount)
    {
        var (v4, v6) = Ranges(prefixes);
        var program = new Program();
        var v4Start = program.NewLabel();
        var v6Start = program.NewLabel();
        program.Emit(LoadHalf, 12);
        program.Emit(JumpEqual, 0x0800, 0, 1);
        program.Jump(v4Start);
        program.Emit(JumpEqual, 0x86DD, 0, 1);
        program.Jump(v6Start);
        program.Emit(Return, 0);
        Family(program, v4Start, v4, sourceOffset: 14 + 12, destinationOffset: 14 + 16);
        Family(program, v6Start, v6, sourceOffset: 14 + 8, destinationOffset: 14 + 24);
        instructionCount = program.Count;
        return program.Encode();
    }

    private static void Family(Program program, int start, List<(uint Low, uint High)> ranges, int sourceOffset, int destinationOffset)
    {
        // BPF jumps only forward: the source tree misses into the destination's load, which is followed by its own tree.
        var destination = program.NewLabel();
        var reject = program.NewLabel();
        program.Place(start);
        program.Emit(LoadWord, (uint)sourceOffset);
        Node(program, ranges, 0, ranges.Count, destination);
        program.Place(destination);
        program.Emit(LoadWord, (uint)destinationOffset);
        Node(program, ranges, 0, ranges.Count, reject);
        program.Place(reject);
        program.Emit(Return, 0);
    }

    /// <summary>Emits the subtree for ranges[from..to) at the current position.</summary>
    private static void Node(Program program, List<(uint Low, uint High)> ranges, int from, int to, int miss)
    {
        if (from == to)
        {
            program.Jump(miss);
            return;
        }

        var middle = (from + to) / 2;
        var left = from == middle ? miss : program.NewLabel();
        var right = middle + 1 == to ? miss : program.NewLabel();
        program.Emit(JumpGreaterOrEqual, ranges[middle].Low, 1, 0);
        program.Jump(left);
        program.Emit(JumpGreater, ranges[middle].High, 1, 0);
        program.Emit(Return, Accept);
        program.Jump(right);
        if (left != miss)
        {
            program.Place(left);
            Node(program, ranges, from, middle, miss);
        }

        if (right != miss)
        {
            program.Place(right);
            Node(program, ranges, middle + 1, to, miss);
        }
    }

    private static List<(uint Low, uint High)> Merge(List<(uint Low, uint High)> ranges)
    {
        ranges.Sort();
        var merged = new List<(uint Low, uint High)>();
        foreach (var (low, high) in ranges)
        {
            if (merged.Count > 0 && (ulong)low <= (ulong)merged[^1].High + 1)
            {
                merged[^1] = (merged[^1].Low, Math.Max(merged[^1].High, high));
            }
            else
            {
                merged.Add((low, high));
            }
        }

        return merged;
    }

    private sealed class Program
    {
        private readonly List<(ushort Code, byte True, byte False, uint K, int Label)> _code = [];
        private readonly List<int> _labels = [];

        public int Count => _code.Count;

        public int NewLabel()
        {
            _labels.Add(-1);
            return _labels.Count - 1;
        }

        public void Place(int label) => _labels[label] = _code.Count;

        public void Emit(ushort code, uint k, byte jumpTrue = 0, byte jumpFalse = 0) => _code.Add((code, jumpTrue, jumpFalse, k, -1));

        public void Jump(int label) => _code.Add((JumpAlways, 0, 0, 0, label));

        public byte[] Encode()
        {
            var bytes = new byte[_code.Count * 8];
            for (var pc = 0; pc < _code.Count; pc++)
            {
                var (code, jumpTrue, jumpFalse, k, label) = _code[pc];
                if (label >= 0)
                {
                    var target = _labels[label];
                    if (target <= pc)
                    {
                        throw new InvalidOperationException("BPF jumps only forward.");
                    }

                    k = (uint)(target - pc - 1);
                }

                var at = bytes.AsSpan(pc * 8);
                BinaryPrimitives.WriteUInt16LittleEndian(at, code);
                at[2] = jumpTrue;
                at[3] = jumpFalse;
                BinaryPrimitives.WriteUInt32LittleEndian(at[4..], k);
            }

            return bytes;
        }
    }
}
