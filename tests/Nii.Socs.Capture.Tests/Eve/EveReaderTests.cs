using System.Net;
using System.Text;
using System.Text.Json;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Eve;
using Nii.Socs.Capture.Readers;

namespace Nii.Socs.Capture.Tests.Eve;

public class EveReaderTests
{
    private static readonly string Payload = Convert.ToBase64String(Encoding.ASCII.GetBytes("GET /../../etc/passwd HTTP/1.1\r\n\r\n"));

    private static string Alert(string extra = "") =>
        "{\"timestamp\":\"2026-12-01T05:00:00.123456+0900\",\"flow_id\":1,\"event_type\":\"alert\",\"src_ip\":\"203.0.113.7\",\"src_port\":51000,"
        + "\"dest_ip\":\"192.0.2.10\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2001219,\"rev\":20,"
        + "\"signature\":\"ET SCAN Potential SSH Scan\",\"category\":\"Attempted Information Leak\",\"severity\":2}" + extra + "}";

    [Fact]
    [Trait("Requirement", "R2.1")]
    public void An_alert_keeps_the_five_tuple_and_rule_in_clear_and_everything_else_as_content()
    {
        var line = Alert($",\"app_proto\":\"http\",\"http\":{{\"hostname\":\"www.example.ac.jp\",\"url\":\"/../../etc/passwd\",\"http_request_body\":\"c2VjcmV0\"}},\"payload\":\"{Payload}\",\"payload_printable\":\"GET /../../etc/passwd\",\"files\":[{{\"filename\":\"/etc/passwd\"}}]");
        Assert.True(EveReader.TryParse(line, out var alert, out var reason), reason);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero).AddTicks(1234560), alert.Timestamp);
        Assert.Equal((IPAddress.Parse("203.0.113.7"), IPAddress.Parse("192.0.2.10"), (byte)6, (ushort?)51000, (ushort?)80), (alert.Source, alert.Destination, alert.Protocol, alert.SourcePort, alert.DestinationPort));
        Assert.Equal((2001219L, 20, 2, "Attempted Information Leak"), (alert.Rule.Sid, alert.Rule.Rev, alert.Rule.Priority, alert.Rule.ClassType));
        using var content = JsonDocument.Parse(alert.Content);
        Assert.Equal(["app_proto", "http", "payload", "payload_printable", "files"], content.RootElement.EnumerateObject().Select(p => p.Name));
        var header = alert.ToDetectionHeader();
        Assert.Equal(0, header.HeaderBytes.Length);
        var clear = Encoding.UTF8.GetString(header.ToCanonicalBytes());
        Assert.DoesNotContain("passwd", clear, StringComparison.Ordinal);
        Assert.DoesNotContain("passwd", alert.Rule.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R2.1")]
    public void A_packet_member_gives_clear_header_bytes_and_stays_content()
    {
        var frame = FrameBuilder.Ethernet(FrameBuilder.Tcp(IPAddress.Parse("203.0.113.7"), IPAddress.Parse("192.0.2.10"), 51000, 80, 0x18, Encoding.ASCII.GetBytes("secret body")));
        var line = Alert($",\"packet\":\"{Convert.ToBase64String(frame)}\",\"packet_info\":{{\"linktype\":1}}");
        Assert.True(EveReader.TryParse(line, out var alert, out _));
        Assert.Equal(frame.AsSpan(0, 54).ToArray(), alert.HeaderBytes.ToArray());
        Assert.Contains("packet", Encoding.UTF8.GetString(alert.Content.Span), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", Encoding.ASCII.GetString(alert.HeaderBytes.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void Other_events_are_skipped_and_bad_lines_reported_with_their_line_number()
    {
        var text = string.Join('\n',
            "{\"timestamp\":\"2026-12-01T05:00:00+0900\",\"event_type\":\"flow\"}",
            "not json",
            Alert(),
            "",
            "{\"event_type\":\"alert\",\"timestamp\":\"2026-12-01T05:00:00+0900\",\"src_ip\":\"x\",\"dest_ip\":\"192.0.2.1\",\"proto\":\"UDP\",\"alert\":{\"signature_id\":1}}",
            Alert().Replace("\"TCP\"", "\"IPv6-ICMP\"", StringComparison.Ordinal));
        var reader = new EveReader(new StringReader(text));
        var protocols = new List<byte>();
        while (reader.TryReadAlert(out var alert))
        {
            protocols.Add(alert.Protocol);
        }

        Assert.Equal([(byte)6, 58], protocols);
        Assert.Equal(1, reader.NonAlertEvents);
        Assert.Equal([2L, 5], reader.Errors.Select(e => e.Line));
        Assert.StartsWith("not JSON", reader.Errors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R4.2")]
    public void A_line_over_the_bound_is_skipped_and_counted_without_being_held_whole()
    {
        // 64 MiB of one line between two alerts, streamed: the reader must never hold it.
        var huge = new string('x', 64 << 20);
        var text = Alert() + "\n{\"event_type\":\"alert\",\"payload\":\"" + huge + "\"}\r\n" + Alert() + "\r\n";
        using var input = new StringReader(text);
        var reader = new EveReader(input);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var alerts = 0;
        while (reader.TryReadAlert(out _))
        {
            alerts++;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(2, alerts);
        Assert.Equal(1, reader.LongLines);
        Assert.Equal(3, reader.LineNumber);
        Assert.Equal([2L], reader.Errors.Select(e => e.Line));
        Assert.Contains("longer than 1048576 characters", reader.Errors[0].Reason, StringComparison.Ordinal);
        Assert.True(allocated < 16 << 20, $"allocated {allocated >> 20} MiB for a 64 MiB line");
    }

    [Theory]
    [InlineData(10, "0123456789", false)]
    [InlineData(10, "0123456789\r", false)]
    [InlineData(10, "0123456789a", true)]
    [InlineData(10, "01234567890\r", true)]
    [Trait("Requirement", "R4.2")]
    public void The_bound_counts_characters_without_the_line_end(int bound, string line, bool skipped)
    {
        using var input = new StringReader(line + "\n" + line);
        var reader = new EveReader(input, bound);
        Assert.False(reader.TryReadAlert(out _));
        Assert.Equal(2, reader.LineNumber);
        Assert.Equal(skipped ? 2 : 0, reader.LongLines);
        Assert.Equal(2, reader.ErrorCount);
    }
}
