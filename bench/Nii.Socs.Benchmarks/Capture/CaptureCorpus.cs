using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Benchmarks.Capture;

/// <summary>
/// A realistic capture made by the benchmark itself, from one seed: many flows (one per 5 frames), 10 % of them
/// IPv6, IMIX frame sizes (64 / 590 / 1,514 bytes in the ratio 7:4:1), HTTP (50 %), TLS (35 %) and DNS (15 %)
/// payloads, ~90 % of flows with one end in scope, 10,000 prefixes (95 % IPv4 /16–/28, 5 % IPv6 /20–/32) for 800
/// participants, and rules: the demo rules plus generated HTTP/TLS/DNS rules whose contents mix common tokens
/// (<c>GET </c>, <c>HTTP/1.1</c>, <c>Host:</c>) with a rare one. About 0.2 % of HTTP requests carry a rule's rare
/// token, so scans find detections.
/// </summary>
/// <remarks>Transport checksums are left zero (nothing here verifies them); the IPv4 header checksum is right.</remarks>
internal sealed class CaptureCorpus
{
    private static readonly string[] CommonWords =
    [
        "index", "images", "static", "api", "v1", "v2", "login", "search", "news", "about", "assets", "css", "js",
        "download", "user", "account", "cart", "product", "category", "help", "contact", "blog", "feed", "page",
    ];

    private readonly Random _random;

    public CaptureCorpus(int seed, int prefixCount)
    {
        _random = new Random(seed);
        Prefixes = MakePrefixes(prefixCount);
        Scope = ScopeIndex.Create(Prefixes);
        RareWords = Enumerable.Range(0, 12_000).Select(_ => Word(_random.Next(7, 13))).Distinct().ToArray();
    }

    public ScopeAssignment[] Prefixes { get; }

    public ScopeIndex Scope { get; }

    /// <summary>Words that occur only where a rule's token was planted.</summary>
    public string[] RareWords { get; }

    public string PrefixFile() =>
        string.Join('\n', Prefixes.Select(p => $"{p.Participant.Value} {p.Prefix}")) + "\n";

    /// <summary><paramref name="count"/> generated rules (sids from 2,000,001): HTTP to servers, TLS and DNS.</summary>
    public string Rules(int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var sid = 2_000_001 + i;
            var word = RareWords[i % RareWords.Length];
            switch (i % 10)
            {
                case < 6:
                    // HTTP: common tokens next to the rare one (the longest content is sometimes a common token).
                    text.Append(CultureInfo.InvariantCulture, $"alert tcp $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (msg:\"GEN WEB {word}\"; flow:to_server,established; content:\"GET \"; depth:4; content:\"/{word}\"; nocase; distance:0; content:\"HTTP/1.1\"; distance:0; content:\"Host:\"; distance:0;");
                    if (i % 7 == 0)
                    {
                        text.Append(" pcre:\"/(cmd|exec)=[a-z0-9]+/i\";");
                    }

                    text.Append(CultureInfo.InvariantCulture, $" classtype:web-application-attack; sid:{sid}; rev:1;)\n");
                    break;
                case < 8:
                    text.Append(CultureInfo.InvariantCulture, $"alert tcp any any -> $HOME_NET 443 (msg:\"GEN TLS SNI {word}\"; flow:to_server,established; content:\"|16 03 01|\"; depth:3; content:\"{word}.example\"; nocase; classtype:trojan-activity; sid:{sid}; rev:1;)\n");
                    break;
                case 8:
                    text.Append(CultureInfo.InvariantCulture, $"alert udp any any -> any 53 (msg:\"GEN DNS {word}\"; content:\"|{word.Length:X2}|{word}\"; nocase; classtype:bad-unknown; sid:{sid}; rev:1;)\n");
                    break;
                default:
                    text.Append(CultureInfo.InvariantCulture, $"alert tcp $HOME_NET $HTTP_PORTS -> any any (msg:\"GEN WEB response {word}\"; flow:to_client,established; content:\"HTTP/1.1 200\"; depth:12; content:\"{word}\"; classtype:trojan-activity; sid:{sid}; rev:1;)\n");
                    break;
            }
        }

        return text.ToString();
    }

    /// <summary>Writes a pcap of about <paramref name="size"/> bytes, and the same first quarter to <paramref name="quarterPath"/>.</summary>
    public (long Frames, long QuarterFrames) Write(string path, string quarterPath, long size, int plantedRules)
    {
        var flows = MakeFlows((int)Math.Clamp(size / 360 / 5, 1000, 2_000_000));
        var requests = HttpPool(true, plantedRules);
        var responses = HttpPool(false, plantedRules);
        var tls = new byte[256][];
        for (var i = 0; i < tls.Length; i++)
        {
            tls[i] = new byte[1460];
            _random.NextBytes(tls[i]);
            tls[i][0] = 0x17;
            tls[i][1] = 0x03;
            tls[i][2] = 0x03;
        }

        var dnsNames = Enumerable.Range(0, 4096).Select(i => i % 500 == 0 && plantedRules > 0
            ? RareWords[((i / 500) * 10 + 8) % Math.Max(plantedRules, 1)] + ".example"
            : $"{CommonWords[_random.Next(CommonWords.Length)]}{_random.Next(1000)}.{Word(6)}.jp").ToArray();
        var frame = new byte[1514];
        using var stream = new BufferedStream(File.Create(path), 1 << 20);
        using var quarter = new BufferedStream(File.Create(quarterPath), 1 << 20);
        Header(stream);
        Header(quarter);
        long written = 24;
        long frames = 0;
        long quarterFrames = 0;
        var seconds = 1_796_000_000L; // 2026-11-30, in Unix seconds
        while (written < size)
        {
            var flow = flows[_random.Next(flows.Length)];
            var toServer = _random.Next(2) == 0;
            var draw = _random.Next(12);
            var length = draw < 7 ? 64 : draw < 11 ? 590 : 1514;
            var payload = ReadOnlySpan<byte>.Empty;
            var headerLength = 14 + (flow.V6 ? 40 : 20) + (flow.Kind == Kind.Dns ? 8 : 20);
            if (flow.Kind == Kind.Dns)
            {
                var dns = Dns(dnsNames[_random.Next(dnsNames.Length)], toServer);
                payload = dns;
            }
            else if (length > headerLength)
            {
                var room = length - headerLength;
                payload = flow.Kind switch
                {
                    Kind.Http => (toServer ? requests : responses)[_random.Next(requests.Length)].AsSpan(0, Math.Min(room, 1460)),
                    _ => tls[_random.Next(tls.Length)].AsSpan(0, Math.Min(room, 1460)),
                };
            }

            var total = Build(frame, flow, toServer, payload);
            var microseconds = frames * 7;
            var record = frame.AsSpan(0, total);
            Record(stream, seconds + (microseconds / 1_000_000), (uint)(microseconds % 1_000_000), record);
            written += 16 + total;
            if (written < size / 4)
            {
                Record(quarter, seconds + (microseconds / 1_000_000), (uint)(microseconds % 1_000_000), record);
                quarterFrames++;
            }

            frames++;
        }

        return (frames, quarterFrames);
    }

    /// <summary>HTTP payloads as the capture carries them: requests to port 80 and responses, IMIX-sized (590 / 1,514-byte frames).</summary>
    public List<(bool ToServer, byte[] Content)> HttpPackets(int count, int plantedRules)
    {
        var requests = HttpPool(true, plantedRules);
        var responses = HttpPool(false, plantedRules);
        var result = new List<(bool, byte[])>(count);
        for (var i = 0; i < count; i++)
        {
            var toServer = _random.Next(2) == 0;
            var length = _random.Next(5) == 0 ? 1460 : 536;
            result.Add((toServer, (toServer ? requests : responses)[_random.Next(requests.Length)].AsSpan(0, length).ToArray()));
        }

        return result;
    }

    private static void Header(Stream stream)
    {
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        stream.Write(header);
    }

    private static void Record(Stream stream, long seconds, uint micro, ReadOnlySpan<byte> frame)
    {
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], micro);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)frame.Length);
        stream.Write(header);
        stream.Write(frame);
    }

    private static int Build(byte[] frame, Flow flow, bool toServer, ReadOnlySpan<byte> payload)
    {
        var span = frame.AsSpan();
        span[..12].Fill(0x02);
        BinaryPrimitives.WriteUInt16BigEndian(span[12..], flow.V6 ? (ushort)0x86DD : (ushort)0x0800);
        var ip = span[14..];
        var transportLength = (flow.Kind == Kind.Dns ? 8 : 20) + payload.Length;
        var (source, destination) = toServer ? (flow.Client, flow.Server) : (flow.Server, flow.Client);
        var (sourcePort, destinationPort) = toServer ? (flow.ClientPort, flow.ServerPort) : (flow.ServerPort, flow.ClientPort);
        int ipLength;
        if (flow.V6)
        {
            ip[..40].Clear();
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)transportLength);
            ip[6] = flow.Kind == Kind.Dns ? (byte)17 : (byte)6;
            ip[7] = 64;
            BinaryPrimitives.WriteUInt128BigEndian(ip[8..], source);
            BinaryPrimitives.WriteUInt128BigEndian(ip[24..], destination);
            ipLength = 40;
        }
        else
        {
            ip[..20].Clear();
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + transportLength));
            ip[8] = 64;
            ip[9] = flow.Kind == Kind.Dns ? (byte)17 : (byte)6;
            BinaryPrimitives.WriteUInt32BigEndian(ip[12..], (uint)source);
            BinaryPrimitives.WriteUInt32BigEndian(ip[16..], (uint)destination);
            uint sum = 0;
            for (var i = 0; i < 20; i += 2)
            {
                sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
            }

            sum = (sum & 0xFFFF) + (sum >> 16);
            sum = (sum & 0xFFFF) + (sum >> 16);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
            ipLength = 20;
        }

        var transport = ip[ipLength..];
        BinaryPrimitives.WriteUInt16BigEndian(transport, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(transport[2..], destinationPort);
        int headerLength;
        if (flow.Kind == Kind.Dns)
        {
            BinaryPrimitives.WriteUInt16BigEndian(transport[4..], (ushort)transportLength);
            BinaryPrimitives.WriteUInt16BigEndian(transport[6..], 0);
            headerLength = 8;
        }
        else
        {
            transport[4..20].Clear();
            BinaryPrimitives.WriteUInt32BigEndian(transport[4..], 1000);
            BinaryPrimitives.WriteUInt32BigEndian(transport[8..], 2000);
            transport[12] = 5 << 4;
            transport[13] = payload.Length > 0 ? (byte)0x18 : (byte)0x10;
            BinaryPrimitives.WriteUInt16BigEndian(transport[14..], 64240);
            headerLength = 20;
        }

        payload.CopyTo(transport[headerLength..]);
        var total = 14 + ipLength + headerLength + payload.Length;
        if (total < 60)
        {
            span[total..60].Clear(); // Ethernet padding to the minimum frame
            total = 60;
        }

        return total;
    }

    private byte[] Dns(string name, bool query)
    {
        var bytes = new List<byte>(64);
        bytes.AddRange([(byte)_random.Next(256), (byte)_random.Next(256), query ? (byte)0x01 : (byte)0x81, 0x00, 0, 1, 0, query ? (byte)0 : (byte)1, 0, 0, 0, 0]);
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.AddRange([0, 0, 1, 0, 1]);
        if (!query)
        {
            bytes.AddRange([0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 192, 0, 2, (byte)_random.Next(256)]);
        }

        return [.. bytes];
    }

    private byte[][] HttpPool(bool requests, int plantedRules)
    {
        var pool = new byte[4096][];
        for (var i = 0; i < pool.Length; i++)
        {
            var text = new StringBuilder(1500);
            if (requests)
            {
                // Every 512th request carries the rare token of an HTTP rule (rule index % 10 < 6).
                var planted = i % 512 == 0 && plantedRules > 0;
                var path = planted
                    ? $"/{RareWords[(i / 512 * 10) % Math.Max(plantedRules, 1) / 10 * 10]}.php?cmd=id"
                    : $"/{CommonWords[_random.Next(CommonWords.Length)]}/{CommonWords[_random.Next(CommonWords.Length)]}{_random.Next(10_000)}.html";
                text.Append(CultureInfo.InvariantCulture, $"GET {path} HTTP/1.1\r\nHost: www.{Word(8)}.ac.jp\r\n");
                text.Append("User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n");
                text.Append("Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: ja,en-US;q=0.7\r\n");
                text.Append(CultureInfo.InvariantCulture, $"Cookie: session={Word(24)}; theme=dark\r\nConnection: keep-alive\r\n\r\n");
            }
            else
            {
                text.Append("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nServer: nginx\r\nCache-Control: max-age=600\r\n\r\n");
                text.Append("<!DOCTYPE html><html><head><title>");
            }

            while (text.Length < 1460)
            {
                text.Append(CommonWords[_random.Next(CommonWords.Length)]).Append(_random.Next(4) == 0 ? "</p><p>" : " ");
            }

            pool[i] = Encoding.ASCII.GetBytes(text.ToString(0, 1460));
        }

        return pool;
    }

    private Flow[] MakeFlows(int count)
    {
        var flows = new Flow[count];
        for (var i = 0; i < count; i++)
        {
            var v6 = _random.Next(10) == 0;
            var draw = _random.Next(20);
            var kind = draw < 10 ? Kind.Http : draw < 17 ? Kind.Tls : Kind.Dns;
            var inScope = _random.Next(10) != 0;
            var serverInside = _random.Next(2) == 0;
            var inside = inScope ? Inside(v6) : Outside(v6);
            var outside = Outside(v6);
            var (server, client) = serverInside ? (inside, outside) : (outside, inside);
            var serverPort = kind switch
            {
                Kind.Http => (ushort)(_random.Next(5) == 0 ? 8080 : 80),
                Kind.Tls => (ushort)443,
                _ => (ushort)53,
            };
            flows[i] = new Flow(v6, kind, client, server, (ushort)_random.Next(1024, 65536), serverPort);
        }

        return flows;
    }

    private UInt128 Inside(bool v6)
    {
        while (true)
        {
            var prefix = Prefixes[_random.Next(Prefixes.Length)].Prefix;
            if (prefix.IsIPv6 != v6)
            {
                continue;
            }

            var width = v6 ? 128 : 32;
            var hostBits = width - prefix.Length;
            UInt128 host = ((UInt128)(ulong)_random.NextInt64() << 64) | (ulong)_random.NextInt64();
            host &= hostBits >= 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
            return prefix.Bits | host;
        }
    }

    private UInt128 Outside(bool v6)
    {
        while (true)
        {
            UInt128 bits = v6
                ? ((UInt128)(0x2A00_0000_0000_0000UL | ((ulong)_random.NextInt64() & 0x00FF_FFFF_FFFF_FFFFUL)) << 64) | (ulong)_random.NextInt64()
                : (uint)_random.Next(0x0100_0000, int.MaxValue);
            if (Scope.Lookup(v6, bits) < 0)
            {
                return bits;
            }
        }
    }

    private ScopeAssignment[] MakePrefixes(int count)
    {
        var participants = Enumerable.Range(0, 800).Select(i => new ParticipantId($"p{i:D4}")).ToArray();
        var result = new ScopeAssignment[count];
        for (var i = 0; i < count; i++)
        {
            IPPrefix prefix;
            if (i % 20 == 19)
            {
                // IPv6 /20–/32 inside 2400::/8 (the benchmark's BPF peer compares the first 32 bits).
                var length = _random.Next(20, 33);
                var top = 0x2400_0000u | ((uint)_random.Next() & 0x00FF_FFFF);
                prefix = IPPrefix.FromBits(true, (UInt128)(top & (uint)(0xFFFF_FFFFUL << (32 - length))) << 96, length);
            }
            else
            {
                var length = _random.Next(16, 29);
                var bits = (uint)_random.Next(0x0100_0000, 0x7F00_0000) | ((uint)_random.Next(0, 2) << 31);
                prefix = IPPrefix.FromBits(false, bits & (uint)(0xFFFF_FFFFUL << (32 - length)), length);
            }

            result[i] = new ScopeAssignment(participants[i % participants.Length], prefix);
        }

        return result;
    }

    private string Word(int length) =>
        new([.. Enumerable.Range(0, length).Select(_ => (char)('a' + _random.Next(26)))]);

    private enum Kind
    {
        Http,
        Tls,
        Dns,
    }

    private sealed record Flow(bool V6, Kind Kind, UInt128 Client, UInt128 Server, ushort ClientPort, ushort ServerPort);
}
