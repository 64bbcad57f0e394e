using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Detections;

namespace Nii.Socs.Capture.Eve;

/// <summary>Reads Suricata EVE JSON line by line and yields its <c>alert</c> events (a second source of detections, R4.2).</summary>
/// <remarks>
/// <para>One JSON object per line, as Suricata's <c>eve-log</c> writes. Other event types
/// (<c>flow</c>, <c>stats</c>, <c>dns</c>, …) are counted and skipped; a line that is not an alert
/// Nii.Socs can use is recorded in <see cref="Errors"/> with its line number and reading goes on.</para>
/// <para>R2.1: see <see cref="EveAlert"/> for what stays clear; <c>payload</c>, <c>packet</c>,
/// <c>payload_printable</c>, HTTP bodies and file data are always content.</para>
/// <para>Bounded input: a line longer than the reader's maximum (<see cref="DefaultMaxLineLength"/> characters unless
/// given) is skipped, counted in <see cref="LongLines"/> and recorded as an error; it is never held whole, so a 250 MB
/// line costs no more memory than a 1 MiB one.</para>
/// </remarks>
public sealed partial class EveReader
{
    /// <summary>The most errors kept in <see cref="Errors"/>: 1,000.</summary>
    public const int MaxErrorsKept = 1000;

    /// <summary>The default longest line read, in characters: 1 Mi (Suricata's alerts with payload are a few KiB).</summary>
    public const int DefaultMaxLineLength = 1 << 20;

    private static readonly HashSet<string> s_clearMembers = new(StringComparer.Ordinal)
    {
        "timestamp", "flow_id", "pcap_cnt", "in_iface", "event_type", "src_ip", "src_port", "dest_ip",
        "dest_port", "proto", "alert", "vlan", "host", "direction", "pkt_src", "ip_v", "tx_id", "packet_info",
    };

    private readonly TextReader _reader;
    private readonly List<(long Line, string Reason)> _errors = [];
    private readonly int _maxLineLength;
    private readonly char[] _buffer = new char[16 * 1024];
    private readonly System.Text.StringBuilder _line = new();
    private int _position;
    private int _length;

    /// <summary>Reads from a text reader (a file or a stream); the reader is not disposed.</summary>
    /// <param name="reader">The EVE text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> is null.</exception>
    public EveReader(TextReader reader)
        : this(reader, DefaultMaxLineLength)
    {
    }

    /// <summary>Reads from a text reader with a bound on the line length; the reader is not disposed.</summary>
    /// <param name="reader">The EVE text.</param>
    /// <param name="maxLineLength">The longest line read, in characters; longer lines are skipped and counted.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLineLength"/> is below 1.</exception>
    public EveReader(TextReader reader, int maxLineLength)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineLength, 1);
        _reader = reader;
        _maxLineLength = maxLineLength;
    }

    /// <summary>The number of lines skipped because they were longer than the bound.</summary>
    public long LongLines { get; private set; }

    /// <summary>The number of lines read so far.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The number of well-formed events that were not alerts.</summary>
    public long NonAlertEvents { get; private set; }

    /// <summary>Lines that could not be used: line number and reason (at most <see cref="MaxErrorsKept"/>).</summary>
    public IReadOnlyList<(long Line, string Reason)> Errors => _errors;

    /// <summary>The number of bad lines, including those beyond <see cref="MaxErrorsKept"/>.</summary>
    public long ErrorCount { get; private set; }

    /// <summary>Reads up to the next alert.</summary>
    /// <param name="alert">The alert; null at the end.</param>
    /// <returns>Whether an alert was read.</returns>
    public bool TryReadAlert([NotNullWhen(true)] out EveAlert? alert)
    {
        string? line;
        while ((line = ReadLine(out var tooLong)) is not null)
        {
            LineNumber++;
            if (tooLong)
            {
                LongLines++;
                ErrorCount++;
                if (_errors.Count < MaxErrorsKept)
                {
                    _errors.Add((LineNumber, $"line longer than {_maxLineLength} characters; skipped"));
                }

                continue;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (TryParse(line, out alert, out var reason))
            {
                return true;
            }

            if (reason is null)
            {
                NonAlertEvents++;
            }
            else
            {
                ErrorCount++;
                if (_errors.Count < MaxErrorsKept)
                {
                    _errors.Add((LineNumber, reason));
                }
            }
        }

        alert = null;
        return false;
    }

    /// <summary>The next line without its end (LF or CRLF), or null at the end; a line over the bound is consumed, not kept.</summary>
    private string? ReadLine(out bool tooLong)
    {
        tooLong = false;
        _line.Clear();
        var any = false;
        while (true)
        {
            if (_position == _length)
            {
                _length = _reader.Read(_buffer, 0, _buffer.Length);
                _position = 0;
                if (_length == 0)
                {
                    return any ? Finish(ref tooLong) : null;
                }
            }

            any = true;
            var span = _buffer.AsSpan(_position, _length - _position);
            var end = span.IndexOf('\n');
            var chunk = end < 0 ? span : span[..end];
            if (!tooLong)
            {
                // One more character is allowed for the CR of a CRLF ending.
                if (_line.Length + chunk.Length > _maxLineLength + 1)
                {
                    tooLong = true;
                    _line.Clear();
                }
                else
                {
                    _line.Append(chunk);
                }
            }

            _position += chunk.Length;
            if (end >= 0)
            {
                _position++;
                return Finish(ref tooLong);
            }
        }
    }

    private string Finish(ref bool tooLong)
    {
        if (!tooLong && _line.Length > 0 && _line[^1] == '\r')
        {
            _line.Length--;
        }

        // One over without a CR is still too long.
        tooLong |= _line.Length > _maxLineLength;
        return tooLong ? string.Empty : _line.ToString();
    }

    /// <summary>Parses one EVE line.</summary>
    /// <param name="line">The JSON text.</param>
    /// <param name="alert">The alert when the line is a usable alert.</param>
    /// <param name="reason">Why the line is unusable; null when it is simply another event type.</param>
    /// <returns>Whether the line is an alert.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="line"/> is null.</exception>
    public static bool TryParse(string line, [NotNullWhen(true)] out EveAlert? alert, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(line);
        alert = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            reason = $"not JSON: {ex.Message}";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                reason = "not a JSON object";
                return false;
            }

            if (!root.TryGetProperty("event_type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                reason = "no event_type";
                return false;
            }

            if (type.GetString() != "alert")
            {
                reason = null;
                return false;
            }

            reason = Build(root, out alert);
            return alert is not null;
        }
    }

    private static string? Build(JsonElement root, out EveAlert? alert)
    {
        alert = null;
        if (!TryString(root, "timestamp", out var timeText) || !TryTimestamp(timeText, out var timestamp))
        {
            return "no timestamp, or not ISO 8601";
        }

        if (!TryString(root, "src_ip", out var sourceText) || !IPAddress.TryParse(sourceText, out var source)
            || !TryString(root, "dest_ip", out var destinationText) || !IPAddress.TryParse(destinationText, out var destination))
        {
            return "src_ip or dest_ip missing or not an address";
        }

        if (!TryProtocol(root, out var protocol))
        {
            return "proto missing or unknown";
        }

        if (!root.TryGetProperty("alert", out var alertElement) || alertElement.ValueKind != JsonValueKind.Object
            || !TryNumber(alertElement, "signature_id", out var sid) || sid <= 0)
        {
            return "alert.signature_id missing";
        }

        var rev = TryNumber(alertElement, "rev", out var r) && r is > 0 and <= int.MaxValue ? (int)r : 1;
        var severity = TryNumber(alertElement, "severity", out var s) ? (int)Math.Clamp(s, 1, 255) : 3;
        TryString(alertElement, "signature", out var signature);
        TryString(alertElement, "category", out var category);

        var header = ReadOnlyMemory<byte>.Empty;
        if (TryString(root, "packet", out var packetText))
        {
            try
            {
                var packet = Convert.FromBase64String(packetText);
                var linkType = root.TryGetProperty("packet_info", out var info) && info.ValueKind == JsonValueKind.Object
                    && TryNumber(info, "linktype", out var l) && l is >= 0 and <= 0xFFFF ? (LinkType)(int)l : LinkType.Ethernet;
                var dissected = Dissector.Dissect(linkType, packet);
                if (dissected.IsIP)
                {
                    header = packet.AsMemory(0, dissected.HeaderLength).ToArray();
                }
            }
            catch (FormatException)
            {
                return "packet is not base64";
            }
        }

        alert = new EveAlert
        {
            Timestamp = timestamp,
            Source = source,
            Destination = destination,
            Protocol = protocol,
            SourcePort = Port(root, "src_port"),
            DestinationPort = Port(root, "dest_port"),
            Rule = new RuleRef(sid, rev, signature ?? string.Empty, string.IsNullOrEmpty(category) ? null : category, severity),
            Content = ContentOf(root),
            HeaderBytes = header,
        };
        return null;
    }

    private static byte[] ContentOf(JsonElement root)
    {
        var any = false;
        foreach (var member in root.EnumerateObject())
        {
            if (!s_clearMembers.Contains(member.Name))
            {
                any = true;
                break;
            }
        }

        if (!any)
        {
            return [];
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var member in root.EnumerateObject())
            {
                if (!s_clearMembers.Contains(member.Name))
                {
                    member.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static bool TryString(JsonElement element, string name, [NotNullWhen(true)] out string? value)
    {
        value = element.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.String ? property.GetString() : null;
        return value is not null;
    }

    private static bool TryTimestamp(string text, out DateTimeOffset timestamp)
    {
        // Suricata writes +0000 without a colon; .NET wants +00:00.
        var normalised = OffsetWithoutColon().Replace(text, "$1:$2");
        return DateTimeOffset.TryParse(normalised, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out timestamp);
    }

    private static bool TryProtocol(JsonElement root, out byte protocol)
    {
        protocol = 0;
        if (!root.TryGetProperty("proto", out var element))
        {
            return false;
        }

        if (element.ValueKind == JsonValueKind.Number)
        {
            return element.TryGetByte(out protocol);
        }


        var text = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        switch (text?.ToUpperInvariant())
        {
            case "TCP":
                protocol = 6;
                return true;
            case "UDP":
                protocol = 17;
                return true;
            case "ICMP":
                protocol = 1;
                return true;
            case "IPV6-ICMP" or "ICMPV6":
                protocol = 58;
                return true;
            case "SCTP":
                protocol = 132;
                return true;
            default:
                return byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out protocol);
        }
    }

    private static ushort? Port(JsonElement root, string name) =>
        TryNumber(root, name, out var port) && port is >= 0 and <= 65535 ? (ushort)port : null;

    /// <summary>Reads an integer member; false (never an exception) when it is absent, not a number, or not an integer.</summary>
    private static bool TryNumber(JsonElement element, string name, out long value)
    {
        value = 0;
        return element.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.Number && property.TryGetInt64(out value);
    }

    [GeneratedRegex(@"([+-]\d{2})(\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex OffsetWithoutColon();
}
