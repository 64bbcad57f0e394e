using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Core.Detections;

namespace Nii.Socs.Capture.Detection;

/// <summary>One loaded detection rule (R4.2, R4.3): its identity, its header and its options.</summary>
/// <remarks>
/// <para>Rules come from <see cref="RuleSet.Parse"/>; the subset of the Suricata/Snort language they
/// accept is documented in <c>docs/capture.md</c>. A rule matches a packet when its protocol,
/// addresses, ports (in either orientation for <c>&lt;&gt;</c>), <c>flow</c>, every <c>content</c>
/// in order and every <c>pcre</c> agree.</para>
/// <para>Edge case: <c>content:"GET"; content:"/etc/passwd"; distance:0; within:40;</c> matches
/// <c>GET /../../etc/passwd</c> but not a request whose <c>/etc/passwd</c> starts 41 bytes after <c>GET</c>.</para>
/// </remarks>
public sealed class Rule
{
    internal Rule()
    {
    }

    /// <summary>The signature id.</summary>
    public long Sid { get; internal init; }

    /// <summary>The revision; the default is 1.</summary>
    public int Rev { get; internal init; } = 1;

    /// <summary>The <c>msg</c>; empty when the rule has none.</summary>
    public string Message { get; internal init; } = string.Empty;

    /// <summary>The <c>classtype</c>; null when the rule has none.</summary>
    public string? ClassType { get; internal init; }

    /// <summary>The priority (1 highest); from <c>priority</c>, else the classtype's, else 3.</summary>
    public int Priority { get; internal init; } = 3;

    /// <summary>The action.</summary>
    public RuleAction Action { get; internal init; }

    /// <summary>The protocol keyword.</summary>
    public RuleProtocol Protocol { get; internal init; }

    /// <summary>The <c>reference</c> options, as written (<c>url,example.org/advisory</c>).</summary>
    public IReadOnlyList<string> References { get; internal init; } = [];

    /// <summary>The file the rule came from.</summary>
    public string File { get; internal init; } = string.Empty;

    /// <summary>The 1-based line the rule starts on.</summary>
    public int Line { get; internal init; }

    /// <summary>The rule as written.</summary>
    public string Text { get; internal init; } = string.Empty;

    internal AddressMatcher Source { get; init; } = AnyAddress.Instance;

    internal AddressMatcher Destination { get; init; } = AnyAddress.Instance;

    internal PortMatcher SourcePorts { get; init; } = PortMatcher.Any;

    internal PortMatcher DestinationPorts { get; init; } = PortMatcher.Any;

    internal bool Bidirectional { get; init; }

    internal ContentMatch[] Contents { get; init; } = [];

    internal PcreMatch[] Pcres { get; init; } = [];

    internal FlowFlags Flow { get; init; }

    /// <summary>The content the prefilter indexes; null when the rule must be checked on every packet.</summary>
    internal ContentMatch? FastPattern { get; init; }

    /// <summary>The rule as an analyst sees it next to a detection.</summary>
    /// <returns>The reference.</returns>
    public RuleRef ToRuleRef() => new(Sid, Rev, Message, ClassType, Priority);

    /// <summary>The sid and message, such as <c>1000001 "SOCS directory traversal"</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Sid} \"{Message}\"";

    /// <summary>Equal for rules whose protocol, ports, direction and flow are the same: one header group of the prefilter.</summary>
    internal string TransportKey => field ??= $"{Protocol}|{SourcePorts.Key}|{DestinationPorts.Key}|{Bidirectional}|{Flow}";

    /// <summary>The part of <see cref="MatchesHeader"/> that ignores addresses: the same for every rule of a header group.
    /// True whenever <see cref="MatchesHeader"/> is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool MatchesTransport(in PacketHeader header)
    {
        switch (Protocol)
        {
            case RuleProtocol.Tcp when header.Protocol != 6:
            case RuleProtocol.Udp when header.Protocol != 17:
            case RuleProtocol.Icmp when header.Protocol is not (1 or 58):
                return false;
        }

        if (Flow != FlowFlags.None && !FlowMatches(header))
        {
            return false;
        }

        if (SourcePorts.Matches(header.HasPorts, header.SourcePort) && DestinationPorts.Matches(header.HasPorts, header.DestinationPort))
        {
            return true;
        }

        return Bidirectional
            && SourcePorts.Matches(header.HasPorts, header.DestinationPort) && DestinationPorts.Matches(header.HasPorts, header.SourcePort);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool MatchesHeader(in PacketHeader header)
    {
        if (!header.IsIP)
        {
            return false;
        }

        switch (Protocol)
        {
            case RuleProtocol.Tcp when header.Protocol != 6:
            case RuleProtocol.Udp when header.Protocol != 17:
            case RuleProtocol.Icmp when header.Protocol is not (1 or 58):
                return false;
        }

        if (Flow != FlowFlags.None && !FlowMatches(header))
        {
            return false;
        }

        var v6 = header.IsIPv6;
        if (Source.Matches(v6, header.SourceBits) && Destination.Matches(v6, header.DestinationBits)
            && SourcePorts.Matches(header.HasPorts, header.SourcePort) && DestinationPorts.Matches(header.HasPorts, header.DestinationPort))
        {
            return true;
        }

        return Bidirectional
            && Source.Matches(v6, header.DestinationBits) && Destination.Matches(v6, header.SourceBits)
            && SourcePorts.Matches(header.HasPorts, header.DestinationPort) && DestinationPorts.Matches(header.HasPorts, header.SourcePort);
    }

    internal bool MatchesContent(ReadOnlySpan<byte> content, MatchScratch scratch)
    {
        if (Contents.Length > 0)
        {
            scratch.Reset(Contents.Length, content.Length);
            if (!MatchFrom(0, 0, content, scratch))
            {
                return false;
            }
        }

        foreach (var pcre in Pcres)
        {
            bool found;
            try
            {
                scratch.Latin1 ??= Encoding.Latin1.GetString(content);
                found = pcre.Regex.IsMatch(scratch.Latin1);
            }
            catch (RegexMatchTimeoutException)
            {
                scratch.PcreTimeouts++;
                return false;
            }

            if (found == pcre.Negated)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Stateless direction (docs/capture.md): a SYN goes to the server, a SYN-ACK to the client; otherwise the lower port is the server's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsToServer(in PacketHeader header)
    {
        if (header.IsTcp && (header.TcpFlags & 0x02) != 0)
        {
            return (header.TcpFlags & 0x10) == 0;
        }

        return !header.HasPorts || header.DestinationPort <= header.SourcePort;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsToClient(in PacketHeader header)
    {
        if (header.IsTcp && (header.TcpFlags & 0x02) != 0)
        {
            return (header.TcpFlags & 0x10) != 0;
        }

        return !header.HasPorts || header.DestinationPort >= header.SourcePort;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsEstablished(in PacketHeader header) =>
        header.Protocol != 6 || (header.IsTcp && (header.TcpFlags & 0x10) != 0 && (header.TcpFlags & 0x02) == 0);

    private bool FlowMatches(in PacketHeader header) =>
        FlowAdmits(Flow, IsToServer(header), IsToClient(header), IsEstablished(header));

    /// <summary>Whether the <c>flow</c> keywords hold for a packet with these stateless conditions.</summary>
    internal static bool FlowAdmits(FlowFlags flow, bool toServer, bool toClient, bool established) =>
        ((flow & FlowFlags.ToServer) == 0 || toServer)
        && ((flow & FlowFlags.ToClient) == 0 || toClient)
        && ((flow & FlowFlags.Established) == 0 || established)
        && ((flow & FlowFlags.NotEstablished) == 0 || !established);

    private bool MatchFrom(int index, int previousEnd, ReadOnlySpan<byte> data, MatchScratch scratch)
    {
        if (index == Contents.Length)
        {
            return true;
        }

        var content = Contents[index];
        var (start, end) = content.Window(previousEnd, data.Length);
        if (content.Negated)
        {
            return content.Find(data, start, end) < 0 && MatchFrom(index + 1, previousEnd, data, scratch);
        }

        if (scratch.HasFailed(index, previousEnd))
        {
            return false;
        }

        var at = content.Find(data, start, end);
        while (at >= 0)
        {
            if (MatchFrom(index + 1, at + content.Pattern.Length, data, scratch))
            {
                return true;
            }

            // Later contents that ignore where this one ended fail the same way for every occurrence.
            if (!DependsOnPrevious(index + 1))
            {
                break;
            }

            at = content.Find(data, at + 1, end);
        }

        scratch.MarkFailed(index, previousEnd);
        return false;
    }

    private bool DependsOnPrevious(int index)
    {
        for (var i = index; i < Contents.Length; i++)
        {
            if (Contents[i].IsRelative)
            {
                return true;
            }

            if (!Contents[i].Negated)
            {
                return false;
            }
        }

        return false;
    }
}

/// <summary>The <c>flow</c> keywords a stateless sensor evaluates.</summary>
[Flags]
internal enum FlowFlags
{
    None = 0,
    ToServer = 1,
    ToClient = 2,
    Established = 4,
    NotEstablished = 8,
}

/// <summary>A <c>pcre</c> option: a .NET regex over the payload read as Latin-1 (one char per byte), with a timeout.</summary>
internal sealed record PcreMatch(Regex Regex, bool Negated);

/// <summary>Per-thread scratch for one packet's verification: the Latin-1 view for pcre and the content memo.</summary>
internal sealed class MatchScratch
{
    private byte[] _memo = new byte[256];
    private int _width;

    public string? Latin1 { get; set; }

    public long PcreTimeouts { get; set; }

    public void StartPacket() => Latin1 = null;

    public void Reset(int contents, int length)
    {
        _width = length + 1;
        var size = contents * _width;
        if (_memo.Length < size)
        {
            _memo = new byte[Math.Max(size, _memo.Length * 2)];
        }
        else
        {
            _memo.AsSpan(0, size).Clear();
        }
    }

    public bool HasFailed(int index, int previousEnd) => _memo[(index * _width) + previousEnd] != 0;

    public void MarkFailed(int index, int previousEnd) => _memo[(index * _width) + previousEnd] = 1;
}
