using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Nii.Socs.Capture.Dissection;

namespace Nii.Socs.Capture.Detection;

/// <summary>
/// The header groups (up to 64) a packet's transport can match, from precomputed tables instead of one
/// <see cref="Rule.MatchesTransport"/> call per group: a mask per protocol number, a mask per combination of the stateless
/// flow conditions (to server, to client, established), and per port a class (the ports between two boundaries named in the
/// rules match the same specs) mapped to the groups whose source spec and whose destination spec admit it; bidirectional
/// groups also try the ports swapped. The answer is the same as the per-group calls (R4.2; property test
/// <c>R4_2_the_group_mask_table_equals_the_per_group_transport_test</c>).
/// </summary>
internal sealed class GroupMaskTable
{
    /// <summary>Above this many port classes (a byte each) the table is not built and the per-group calls stay.</summary>
    private const int MaxClasses = 256;

    private readonly ulong[] _byProtocol;
    private readonly ulong[] _byFlow;
    private readonly bool _anyFlow;
    private readonly byte[] _portClass;
    private readonly ulong[] _sourceByClass;
    private readonly ulong[] _destinationByClass;
    private readonly ulong _bidirectional;
    private readonly ulong _withoutPorts;

    private GroupMaskTable(ulong[] byProtocol, ulong[] byFlow, bool anyFlow, byte[] portClass, ulong[] sourceByClass, ulong[] destinationByClass, ulong bidirectional, ulong withoutPorts)
    {
        _byProtocol = byProtocol;
        _byFlow = byFlow;
        _anyFlow = anyFlow;
        _portClass = portClass;
        _sourceByClass = sourceByClass;
        _destinationByClass = destinationByClass;
        _bidirectional = bidirectional;
        _withoutPorts = withoutPorts;
    }

    /// <summary>The table over the groups' representative rules; null above 64 groups or 256 port classes.</summary>
    public static GroupMaskTable? Create(IReadOnlyList<Rule> groups)
    {
        if (groups.Count > 64)
        {
            return null;
        }

        var boundaries = new SortedSet<int> { 0 };
        foreach (var rule in groups)
        {
            foreach (var spec in (PortMatcher[])[rule.SourcePorts, rule.DestinationPorts])
            {
                foreach (var boundary in spec.Boundaries())
                {
                    boundaries.Add(boundary);
                }
            }
        }

        boundaries.RemoveWhere(b => b is < 0 or > ushort.MaxValue);
        if (boundaries.Count > MaxClasses)
        {
            return null;
        }

        var starts = boundaries.ToArray();
        var portClass = new byte[ushort.MaxValue + 1];
        var sourceByClass = new ulong[starts.Length];
        var destinationByClass = new ulong[starts.Length];
        for (var c = 0; c < starts.Length; c++)
        {
            var end = c + 1 < starts.Length ? starts[c + 1] : ushort.MaxValue + 1;
            portClass.AsSpan(starts[c], end - starts[c]).Fill((byte)c);
            for (var g = 0; g < groups.Count; g++)
            {
                // Every port of a class lies on the same side of every range bound: its first port answers for all.
                sourceByClass[c] |= groups[g].SourcePorts.Matches(true, starts[c]) ? 1UL << g : 0;
                destinationByClass[c] |= groups[g].DestinationPorts.Matches(true, starts[c]) ? 1UL << g : 0;
            }
        }

        var byProtocol = new ulong[256];
        var byFlow = new ulong[8];
        ulong bidirectional = 0;
        ulong withoutPorts = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            var rule = groups[g];
            var bit = 1UL << g;
            for (var p = 0; p < 256; p++)
            {
                var admits = rule.Protocol switch
                {
                    RuleProtocol.Tcp => p == 6,
                    RuleProtocol.Udp => p == 17,
                    RuleProtocol.Icmp => p is 1 or 58,
                    _ => true,
                };
                byProtocol[p] |= admits ? bit : 0;
            }

            for (var f = 0; f < 8; f++)
            {
                byFlow[f] |= Rule.FlowAdmits(rule.Flow, (f & 1) != 0, (f & 2) != 0, (f & 4) != 0) ? bit : 0;
            }

            bidirectional |= rule.Bidirectional ? bit : 0;
            withoutPorts |= rule.SourcePorts.IsAny && rule.DestinationPorts.IsAny ? bit : 0;
        }

        var anyFlow = groups.All(g => g.Flow == FlowFlags.None);
        return new GroupMaskTable(byProtocol, byFlow, anyFlow, portClass, sourceByClass, destinationByClass, bidirectional, withoutPorts);
    }

    /// <summary>The groups whose <see cref="Rule.MatchesTransport"/> holds for the header, one bit each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Mask(in PacketHeader header)
    {
        var mask = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_byProtocol), header.Protocol);
        if (!_anyFlow)
        {
            var flow = (Rule.IsToServer(header) ? 1 : 0) | (Rule.IsToClient(header) ? 2 : 0) | (Rule.IsEstablished(header) ? 4 : 0);
            mask &= _byFlow[flow];
        }

        if (mask == 0)
        {
            return 0;
        }

        if (!header.HasPorts)
        {
            return mask & _withoutPorts;
        }

        // Ports are ushort: the class table has 65,536 entries, so these reads are in bounds.
        ref var classes = ref MemoryMarshal.GetArrayDataReference(_portClass);
        int source = Unsafe.Add(ref classes, header.SourcePort);
        int destination = Unsafe.Add(ref classes, header.DestinationPort);
        var forward = _sourceByClass[source] & _destinationByClass[destination];
        var reverse = _sourceByClass[destination] & _destinationByClass[source] & _bidirectional;
        return mask & (forward | reverse);
    }
}
