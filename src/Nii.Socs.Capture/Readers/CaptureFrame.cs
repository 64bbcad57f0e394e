namespace Nii.Socs.Capture.Readers;

/// <summary>One captured frame: a span over the reader's pooled buffer, valid until the next read.</summary>
/// <remarks>
/// R2.1: the frame is not yet split into header and content; <see cref="Dissection.Dissector"/>
/// does that without copying. Copy <see cref="Data"/> if it must outlive the next
/// <see cref="CaptureReader.TryReadFrame"/>.
/// </remarks>
public readonly ref struct CaptureFrame
{
    /// <summary>Creates a frame.</summary>
    /// <param name="linkType">The link type of the frame's interface.</param>
    /// <param name="timestamp">When the frame was captured (UTC).</param>
    /// <param name="wireLength">The frame's length on the wire (at least the captured length).</param>
    /// <param name="interfaceId">The pcapng interface id; 0 for pcap and live capture.</param>
    /// <param name="data">The captured bytes.</param>
    public CaptureFrame(LinkType linkType, DateTimeOffset timestamp, int wireLength, int interfaceId, ReadOnlySpan<byte> data)
    {
        LinkType = linkType;
        Timestamp = timestamp;
        WireLength = Math.Max(wireLength, data.Length);
        InterfaceId = interfaceId;
        Data = data;
    }

    /// <summary>The link type of the frame's interface.</summary>
    public LinkType LinkType { get; }

    /// <summary>When the frame was captured (UTC), to 100 ns.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The frame's length on the wire; never below <see cref="CapturedLength"/>.</summary>
    public int WireLength { get; }

    /// <summary>The pcapng interface id (0 for pcap and live capture).</summary>
    public int InterfaceId { get; }

    /// <summary>The captured bytes.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>The number of captured bytes.</summary>
    public int CapturedLength => Data.Length;
}
