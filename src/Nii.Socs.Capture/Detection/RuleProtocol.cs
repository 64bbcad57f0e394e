namespace Nii.Socs.Capture.Detection;

/// <summary>The protocol keyword of a rule header.</summary>
public enum RuleProtocol
{
    /// <summary>Any IP packet.</summary>
    IP = 0,

    /// <summary>TCP (protocol 6).</summary>
    Tcp,

    /// <summary>UDP (protocol 17).</summary>
    Udp,

    /// <summary>ICMP or ICMPv6 (protocols 1 and 58), as Suricata's <c>icmp</c>.</summary>
    Icmp,
}
