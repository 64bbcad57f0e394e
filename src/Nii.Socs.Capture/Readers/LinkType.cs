namespace Nii.Socs.Capture.Readers;

/// <summary>The link-layer header type of a capture (the tcpdump.org LINKTYPE_ registry).</summary>
/// <remarks>Only the types below are dissected (R2.1); a frame of any other type is reported as
/// <c>unsupported-link-type</c> and has no clear header beyond the capture record.</remarks>
public enum LinkType
{
    /// <summary>BSD loopback: a 4-byte address family in the writer's byte order (LINKTYPE_NULL, 0).</summary>
    Null = 0,

    /// <summary>Ethernet II, with 802.1Q/802.1ad VLAN tags (LINKTYPE_ETHERNET, 1).</summary>
    Ethernet = 1,

    /// <summary>Raw IP on platforms whose DLT_RAW is 12; treated as <see cref="Raw"/>.</summary>
    RawDlt12 = 12,

    /// <summary>Raw IP on platforms whose DLT_RAW is 14; treated as <see cref="Raw"/>.</summary>
    RawDlt14 = 14,

    /// <summary>Raw IPv4 or IPv6, told apart by the version nibble (LINKTYPE_RAW, 101).</summary>
    Raw = 101,

    /// <summary>OpenBSD loopback: a 4-byte address family in network byte order (LINKTYPE_LOOP, 108).</summary>
    Loop = 108,

    /// <summary>Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113).</summary>
    LinuxSll = 113,

    /// <summary>Raw IPv4 only (LINKTYPE_IPV4, 228).</summary>
    IPv4 = 228,

    /// <summary>Raw IPv6 only (LINKTYPE_IPV6, 229).</summary>
    IPv6 = 229,

    /// <summary>Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276).</summary>
    LinuxSll2 = 276,
}
