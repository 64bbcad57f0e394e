namespace Nii.Socs.Capture.Dissection;

/// <summary>Why a frame could not be dissected to its transport payload (R2.1).</summary>
/// <remarks>
/// R2.1: a malformed frame still splits cleanly: the header is what was parsed before the fault,
/// and everything after it is content, so unparsed bytes are never put in clear. A TCP segment
/// whose data offset says 4 (16 bytes, below the minimum 20) is <see cref="BadTcpDataOffset"/>:
/// its IP header is clear and its 20+ TCP bytes are content.
/// </remarks>
public enum Malformation
{
    /// <summary>The frame dissected fully.</summary>
    None = 0,

    /// <summary>The frame is shorter than its link-layer header.</summary>
    TruncatedLinkHeader,

    /// <summary>The capture's link type is not one this package dissects.</summary>
    UnsupportedLinkType,

    /// <summary>The link layer carries something other than IPv4 or IPv6 (ARP, LLDP, …).</summary>
    NotIP,

    /// <summary>The IP version nibble disagrees with the link layer, or is neither 4 nor 6.</summary>
    BadIPVersion,

    /// <summary>The frame ends inside the IPv4 header.</summary>
    TruncatedIPv4Header,

    /// <summary>The IPv4 header length field is below 5 words.</summary>
    BadIPv4HeaderLength,

    /// <summary>The IPv4 total length is below the header length.</summary>
    BadIPv4TotalLength,

    /// <summary>The frame ends inside the fixed IPv6 header.</summary>
    TruncatedIPv6Header,

    /// <summary>The frame ends inside an IPv6 extension header.</summary>
    TruncatedExtensionHeader,

    /// <summary>More IPv6 extension headers than any real packet carries (a hostile chain).</summary>
    ExtensionChainTooLong,

    /// <summary>The frame ends inside the TCP header or its options.</summary>
    TruncatedTcpHeader,

    /// <summary>The TCP data offset is below 5 words.</summary>
    BadTcpDataOffset,

    /// <summary>The frame ends inside the UDP header.</summary>
    TruncatedUdpHeader,

    /// <summary>The UDP length field is below 8.</summary>
    BadUdpLength,

    /// <summary>The frame ends inside the ICMP or ICMPv6 header.</summary>
    TruncatedIcmpHeader,
}
