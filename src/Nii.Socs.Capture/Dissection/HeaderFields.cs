using Nii.Socs.Capture.Readers;

namespace Nii.Socs.Capture.Dissection;

/// <summary>The mutable fields the dissector fills; wrapped read-only by <see cref="PacketHeader"/>.</summary>
internal struct HeaderFields
{
    public LinkType LinkType;
    public Malformation Malformation;
    public int LinkHeaderLength;
    public int NetworkOffset;
    public int IPVersion;
    public UInt128 Source;
    public UInt128 Destination;
    public byte Protocol;
    public int TransportOffset;
    public int HeaderLength;
    public bool HasPorts;
    public ushort SourcePort;
    public ushort DestinationPort;
    public byte TcpFlags;
    public byte IcmpType;
    public byte IcmpCode;
    public byte HopLimit;
    public bool IsFragment;
    public int FragmentOffset;
    public bool MoreFragments;
    public uint FragmentId;
    public int VlanCount;
    public int ExtensionHeaderCount;
}
