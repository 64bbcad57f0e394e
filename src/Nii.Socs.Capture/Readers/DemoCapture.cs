using System.Net;
using System.Text;
using Nii.Socs.Capture.Dissection;

namespace Nii.Socs.Capture.Readers;

/// <summary>Writes <c>samples/captures/demo.pcap</c>: the demo's traffic, made with the project's own writer, byte-for-byte reproducible.</summary>
/// <remarks>Scope of the demo (<c>samples/prefixes.txt</c>): u-tokyo 192.0.2.0/24 and 2001:db8:10::/48,
/// kyoto-u 198.51.100.0/25. Attackers use 203.0.113.0/24 and 2001:db8:ff::/48 (documentation ranges).</remarks>
internal static class DemoCapture
{
    public static readonly DateTimeOffset Start = new(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);

    public static void Write(Stream stream)
    {
        using var writer = new PcapWriter(stream, LinkType.Ethernet, leaveOpen: true);
        var t = Start;
        void Frame(byte[] ip, params ushort[] vlans)
        {
            writer.WriteFrame(t, FrameBuilder.Ethernet(ip, vlans));
            t = t.AddMilliseconds(7.25);
        }

        var attacker = IPAddress.Parse("203.0.113.7");
        var web = IPAddress.Parse("192.0.2.10");
        var kyotoWeb = IPAddress.Parse("198.51.100.20");
        var client = IPAddress.Parse("192.0.2.20");
        var badServer = IPAddress.Parse("203.0.113.50");
        var scanner = IPAddress.Parse("203.0.113.99");
        const byte Syn = 0x02, Ack = 0x10, PshAck = 0x18, SynAck = 0x12;

        // A handshake and a directory traversal attempt (sid 1000001).
        Frame(FrameBuilder.Tcp(attacker, web, 51000, 80, Syn, [], optionWords: 3));
        Frame(FrameBuilder.Tcp(web, attacker, 80, 51000, SynAck, [], optionWords: 3));
        Frame(FrameBuilder.Tcp(attacker, web, 51000, 80, Ack, []));
        Frame(FrameBuilder.Tcp(attacker, web, 51000, 80, PshAck, Http("GET /static/../../../../etc/passwd HTTP/1.1")));
        Frame(FrameBuilder.Tcp(web, attacker, 80, 51000, PshAck, Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")));

        // SQL injection (sid 1000002) and web shell probing at kyoto-u (sid 1000003).
        Frame(FrameBuilder.Tcp(attacker, web, 51001, 80, PshAck, Http("GET /search?q=1%27+UNION+ALL+SELECT+password+FROM+users-- HTTP/1.1")));
        Frame(FrameBuilder.Tcp(attacker, kyotoWeb, 51002, 8080, PshAck, Http("GET /uploads/shell.php?cmd=id HTTP/1.1")));

        // The EICAR test file arriving at a u-tokyo client (sid 1000004).
        var eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
        Frame(FrameBuilder.Tcp(badServer, client, 80, 50123, PshAck, Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {eicar.Length}\r\n\r\n{eicar}")));

        // A SYN scan of remote-administration ports (sid 1000005) and a ping sweep (sid 1000006).
        foreach (var port in new ushort[] { 22, 23, 445, 3389 })
        {
            Frame(FrameBuilder.Tcp(scanner, web, 40000, port, Syn, []));
        }

        var windowsPing = Encoding.ASCII.GetBytes("abcdefghijklmnopqrstuvwabcdefghi");
        for (var host = 1; host <= 3; host++)
        {
            Frame(FrameBuilder.Icmp(scanner, IPAddress.Parse($"192.0.2.{host}"), 8, 0, windowsPing));
        }

        // Normal traffic in scope: DNS from a client, on VLAN 100 and in QinQ 10/200.
        Frame(FrameBuilder.Udp(client, IPAddress.Parse("203.0.113.53"), 53000, 53, Encoding.ASCII.GetBytes("\u0012\u0034\u0001\u0000\u0000\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0007example\u0003org\u0000\u0000\u0001\u0000\u0001")), 100);
        Frame(FrameBuilder.Tcp(client, attacker, 50200, 443, Ack, []), 10, 200);

        // Out of scope: dropped before anything is stored (R5.1).
        Frame(FrameBuilder.Udp(IPAddress.Parse("203.0.113.1"), IPAddress.Parse("203.0.113.2"), 1234, 5678, Encoding.ASCII.GetBytes("not ours")));

        // IPv6 with a hop-by-hop header: a traversal attempt at u-tokyo's IPv6 web server.
        var v6Attacker = IPAddress.Parse("2001:db8:ff::66");
        var v6Web = IPAddress.Parse("2001:db8:10::80");
        var segment = FrameBuilder.Tcp(v6Attacker, v6Web, 52000, 80, PshAck, Http("GET /cgi-bin/../../../../etc/shadow HTTP/1.1"));
        Frame(FrameBuilder.IP(v6Attacker, v6Web, 6, segment.AsSpan(40), ipv6Extensions: [FrameBuilder.Extension(0)]));

        // IPv4 fragments: the second has no transport header.
        var datagram = FrameBuilder.Udp(attacker, web, 5353, 5353, Encoding.ASCII.GetBytes("fragmented datagram, 32 bytes..."));
        Frame(FrameBuilder.IP(attacker, web, 17, datagram.AsSpan(20, 24), moreFragments: true));
        Frame(FrameBuilder.IP(attacker, web, 17, datagram.AsSpan(44), fragmentOffset: 24));

        // A malformed frame: TCP cut inside its header.
        var cut = FrameBuilder.Ethernet(FrameBuilder.Tcp(attacker, web, 51003, 80, Ack, []));
        writer.WriteFrame(t, cut.AsSpan(0, 14 + 20 + 10), cut.Length);
    }

    private static byte[] Http(string requestLine) =>
        Encoding.ASCII.GetBytes($"{requestLine}\r\nHost: www.example.ac.jp\r\nUser-Agent: demo\r\nAccept: */*\r\n\r\n");
}
