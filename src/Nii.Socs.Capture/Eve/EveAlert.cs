using System.Net;
using Nii.Socs.Core.Detections;

namespace Nii.Socs.Capture.Eve;

/// <summary>One Suricata EVE <c>alert</c> event, split into clear header fields and content (R2.1).</summary>
/// <remarks>
/// <para>Clear: timestamp, addresses, ports, protocol and the alert's rule fields (sid, rev,
/// signature, category, severity). Everything else the event carries about the communication —
/// <c>payload</c>, <c>packet</c>, <c>payload_printable</c>, <c>http</c> (with bodies), <c>files</c>,
/// <c>app_proto</c> and other application-layer members — is content: <see cref="Content"/> holds
/// them as one UTF-8 JSON object, to be sealed.</para>
/// <para>When the event has a <c>packet</c>, its dissected clear header becomes
/// <see cref="HeaderBytes"/>; otherwise the header bytes are empty.</para>
/// </remarks>
public sealed class EveAlert
{
    internal EveAlert()
    {
    }

    /// <summary>When Suricata saw the packet (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The source address.</summary>
    public required IPAddress Source { get; init; }

    /// <summary>The destination address.</summary>
    public required IPAddress Destination { get; init; }

    /// <summary>The IANA protocol number.</summary>
    public required byte Protocol { get; init; }

    /// <summary>The source port; null when the event has none.</summary>
    public ushort? SourcePort { get; init; }

    /// <summary>The destination port; null when the event has none.</summary>
    public ushort? DestinationPort { get; init; }

    /// <summary>The alert's rule.</summary>
    public required RuleRef Rule { get; init; }

    /// <summary>The content: a UTF-8 JSON object of every member that is not clear; empty when there is none.</summary>
    public required ReadOnlyMemory<byte> Content { get; init; }

    /// <summary>The clear header bytes of the event's <c>packet</c>; empty when it has none.</summary>
    public ReadOnlyMemory<byte> HeaderBytes { get; init; } = ReadOnlyMemory<byte>.Empty;

    /// <summary>The clear detection header (R2.1).</summary>
    /// <returns>The header; content length is the length of <see cref="Content"/>.</returns>
    public DetectionHeader ToDetectionHeader() => new()
    {
        ObservedAt = Timestamp,
        Source = Source,
        Destination = Destination,
        Protocol = Protocol,
        SourcePort = SourcePort,
        DestinationPort = DestinationPort,
        CapturedLength = HeaderBytes.Length + Content.Length,
        WireLength = HeaderBytes.Length + Content.Length,
        ContentLength = Content.Length,
        HeaderBytes = HeaderBytes,
    };
}
