using System.Net;
using System.Text;
using System.Runtime.Intrinsics.X86;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Capture.Tests.Generators;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Tests.Detection;

public class RuleMatcherProperties
{
    [Property(MaxTest = 300)]
    [Trait("Requirement", "R4.2")]
    public Property R4_2_prefiltered_matching_equals_a_naive_per_rule_matcher_on_random_payloads() =>
        SameAsNaive(RuleGenerators.Rules(), RuleGenerators.Payload());

    [Property(MaxTest = 12)]
    [Trait("Requirement", "R4.2")]
    public Property R4_2_prefiltered_matching_equals_a_naive_per_rule_matcher_at_1000_rules_on_http_like_payloads() =>
        SameAsNaive(RuleGenerators.Rules(RuleGenerators.HttpRule(), 1000), RuleGenerators.HttpPayload());

    [Property(MaxTest = 200)]
    [Trait("Requirement", "R4.2")]
    public Property R4_2_the_sampled_window_prefilter_equals_a_naive_per_rule_matcher() =>
        SameAsNaive(RuleGenerators.Rules(RuleGenerators.HttpRule(), 40), RuleGenerators.HttpPayload(), searchValuesLimit: 0);

    /// <summary>The AVX2 window filter (eight sampled windows per step) finds exactly what the scalar one and the naive matcher
    /// find: 49–400 rules with long, mixed-case fast patterns (sampling steps 1–10), on payloads of up to ~1.5 KB made of
    /// the patterns' words and random bytes, so the vector loop and its scalar tail both run.</summary>
    [Property(MaxTest = 40)]
    [Trait("Requirement", "R4.2")]
    public Property R4_2_the_vectorised_window_filter_equals_the_scalar_filter_and_a_naive_per_rule_matcher() =>
        WindowFilterSameAsNaive(4, searchValuesLimit: 0);

    /// <summary>As <see cref="R4_2_the_vectorised_window_filter_equals_the_scalar_filter_and_a_naive_per_rule_matcher"/> at the
    /// default limit with fast patterns of 3–13 bytes: up to 16 of the shortest go to the <see cref="System.Buffers.SearchValues{T}"/>
    /// pass, the rest to the window filter with a longer step, and the hits stay those of the naive matcher.</summary>
    [Property(MaxTest = 40)]
    [Trait("Requirement", "R4.2")]
    public Property R4_2_short_fast_patterns_moved_out_of_the_window_filter_still_equal_a_naive_per_rule_matcher() =>
        WindowFilterSameAsNaive(3, RuleMatcher.DefaultSearchValuesLimit);

    private static Property WindowFilterSameAsNaive(int shortest, int searchValuesLimit)
    {
        var words =
            from length in Gen.Choose(shortest, 13)
            from letters in Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./=-_".ToCharArray()), length)
            select new string(letters);
        var gen =
            from pool in Gen.ArrayOf(words, 60)
            from count in Gen.Choose(49, 400)
            from picks in Gen.ArrayOf(Gen.Choose(0, 59), count)
            from noCase in Gen.ArrayOf(Gen.Elements(true, false), count)
            from payloads in Gen.ArrayOf(
                from length in Gen.Choose(0, 120)
                from parts in Gen.ArrayOf(Gen.OneOf(Gen.Elements(pool), Gen.Elements(" ", "\r\n", "GET /", "x"), Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 8).Select(b => Encoding.Latin1.GetString(b))), length)
                from upper in Gen.Elements(false, true)
                select Encoding.Latin1.GetBytes(upper ? string.Concat(parts).ToUpperInvariant() : string.Concat(parts)),
                6)
            select (pool, picks, noCase, payloads);
        return Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var rules = input.picks.Select((w, i) =>
                $"alert tcp any any -> any any (msg:\"w\"; content:\"{input.pool[w]}\";{(input.noCase[i] ? " nocase;" : string.Empty)} sid:{i + 1};)");
            var set = RuleSet.Parse(string.Join('\n', rules), "words.rules", RuleVariables.ForScope(ScopeIndex.Empty));
            if (set.Errors.Count > 0)
            {
                return false.Label($"generated rule rejected: {set.Errors[0]}");
            }

            var vector = new RuleMatcher(set, searchValuesLimit, vectorAnchors: true);
            var scalar = new RuleMatcher(set, searchValuesLimit, vectorAnchors: false);
            var vectorHits = new List<Rule>();
            var scalarHits = new List<Rule>();
            var total = 0;
            foreach (var payload in input.payloads)
            {
                // Payloads are the pool's words, spaces and random bytes; some upper-cased whole, so case folding is tested.
                var frame = FrameBuilder.Tcp(IPAddress.Parse("192.0.2.1"), IPAddress.Parse("198.51.100.1"), 51000, 80, 0x18, payload);
                var header = Dissector.Dissect(LinkType.Raw, frame);
                var content = frame.AsSpan(header.HeaderLength).ToArray();
                vector.Match(header, content, vectorHits);
                scalar.Match(header, content, scalarHits);
                var expected = set.Rules.Where(r => Naive(r, header, content)).Select(r => r.Sid).ToArray();
                if (!expected.SequenceEqual(vectorHits.Select(r => r.Sid)) || !expected.SequenceEqual(scalarHits.Select(r => r.Sid)))
                {
                    return false.Label($"payload '{Encoding.Latin1.GetString(content)}': naive [{string.Join(',', expected)}], vector [{string.Join(',', vectorHits.Select(r => r.Sid))}], scalar [{string.Join(',', scalarHits.Select(r => r.Sid))}]");
                }

                total += expected.Length;
            }

            return (!Avx2.IsSupported || vector.PatternCount <= searchValuesLimit || vector.VectorBlocks > 0).Label("the AVX2 loop ran")
                .Classify(vector.PatternCount > searchValuesLimit, "window filter")
                .Classify(total == 0, "no hits").Classify(total > 0, "some hits");
        });
    }

    /// <summary>The header-group mask from the precomputed tables (protocol, flow conditions, port classes, swapped ports for
    /// <c>&lt;&gt;</c>) is the mask of one <see cref="Rule.MatchesTransport"/> call per group, on random rule headers (port
    /// lists, ranges, negations, open ranges, bounds 0 and 65535) and random TCP, UDP, ICMP and other IPv4/IPv6 packets whose
    /// ports are often the rules' own bounds or their neighbours.</summary>
    [Property(MaxTest = 200)]
    [Trait("Requirement", "R4.2")]
    public Property R4_2_the_group_mask_table_equals_the_per_group_transport_test()
    {
        int[] named = [0, 1, 20, 21, 22, 53, 79, 80, 81, 443, 1023, 1024, 8080, 49151, 51000, 65534, 65535];
        var port = Gen.OneOf(Gen.Elements(named), Gen.Choose(0, 65535));
        var spec = Gen.OneOf(
            Gen.Constant("any"),
            port.Select(p => $"{p}"),
            port.Select(p => $"!{p}"),
            from a in port from b in port select $"{Math.Min(a, b)}:{Math.Max(a, b)}",
            port.Select(p => $"{p}:"),
            port.Select(p => $":{p}"),
            from a in port from b in port select $"[{a},{b}]",
            from a in port from b in port from c in port select $"[{Math.Min(a, b)}:{Math.Max(a, b)},!{c}]");
        var flow = Gen.Elements(string.Empty, "flow:to_server;", "flow:to_client;", "flow:established;", "flow:not_established;",
            "flow:to_server,established;", "flow:to_client,established;", "flow:to_server,not_established;");
        var rule =
            from protocol in Gen.Elements("tcp", "udp", "icmp", "ip")
            from source in spec
            from destination in spec
            from direction in Gen.Elements("->", "<>")
            from f in flow
            select (protocol, source, destination, direction, f);
        var packetPort = Gen.OneOf(Gen.Elements(named), Gen.Elements(named).Select(p => Math.Clamp(p + 1, 0, 65535)), Gen.Choose(0, 65535));
        var packet =
            from kind in Gen.Elements("tcp", "udp", "icmp", "gre", "tcp6", "icmp6")
            from sourcePort in packetPort
            from destinationPort in packetPort
            from flags in Gen.Elements(0x02, 0x12, 0x10, 0x18, 0x00, 0x11)
            select (kind, sourcePort, destinationPort, flags);
        var gen =
            from count in Gen.Choose(1, 64)
            from rules in Gen.ArrayOf(rule, count)
            from packets in Gen.ArrayOf(packet, 40)
            select (rules, packets);
        return Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var text = input.rules.Select((r, i) => $"alert {r.protocol} any {r.source} {r.direction} any {r.destination} (msg:\"g\"; {r.f} content:\"x{i}\"; sid:{i + 1};)");
            var set = RuleSet.Parse(string.Join('\n', text), "ports.rules", RuleVariables.ForScope(ScopeIndex.Empty));
            if (set.Errors.Count > 0)
            {
                return false.Label($"generated rule rejected: {set.Errors[0]}");
            }

            var matcher = new RuleMatcher(set);
            if (!matcher.HasGroupMaskTable)
            {
                return false.Label("no table was built");
            }

            var v4 = (IPAddress.Parse("192.0.2.1"), IPAddress.Parse("198.51.100.1"));
            var v6 = (IPAddress.Parse("2001:db8::1"), IPAddress.Parse("2001:db8::2"));
            foreach (var (kind, sourcePort, destinationPort, flags) in input.packets)
            {
                var frame = kind switch
                {
                    "tcp" => FrameBuilder.Tcp(v4.Item1, v4.Item2, (ushort)sourcePort, (ushort)destinationPort, (byte)flags, [1, 2, 3]),
                    "tcp6" => FrameBuilder.Tcp(v6.Item1, v6.Item2, (ushort)sourcePort, (ushort)destinationPort, (byte)flags, [1, 2, 3]),
                    "udp" => FrameBuilder.Udp(v4.Item1, v4.Item2, (ushort)sourcePort, (ushort)destinationPort, [1, 2, 3]),
                    "icmp" => FrameBuilder.Icmp(v4.Item1, v4.Item2, 8, 0, [1, 2, 3]),
                    "icmp6" => FrameBuilder.Icmp(v6.Item1, v6.Item2, 128, 0, [1, 2, 3]),
                    _ => FrameBuilder.IP(v4.Item1, v4.Item2, 47, [0, 0, 8, 0, 1, 2, 3, 4]),
                };
                var header = Dissector.Dissect(LinkType.Raw, frame);
                var table = matcher.GroupMask(header);
                var calls = matcher.GroupMaskByCalls(header);
                if (table != calls)
                {
                    return false.Label($"{kind} {sourcePort} -> {destinationPort} flags {flags:x2}: table {table:x16}, per group {calls:x16}");
                }
            }

            return true.Classify(matcher.GroupCount > 8, "more than 8 groups");
        });
    }

    private static Property SameAsNaive(Gen<string[]> ruleSets, Gen<byte[]> payloadGen, int searchValuesLimit = RuleMatcher.DefaultSearchValuesLimit)
    {
        var gen =
            from rules in ruleSets
            from payloads in Gen.ArrayOf(payloadGen, 8)
            from ports in Gen.Elements((51000, 80), (80, 51000), (8080, 8080), (1000, 2000))
            from flags in Gen.Elements(0x02, 0x12, 0x10, 0x18)
            select (rules, payloads, ports, flags);
        return Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var set = RuleSet.Parse(string.Join('\n', input.rules), "random.rules", RuleVariables.ForScope(ScopeIndex.Empty));
            if (set.Errors.Count > 0)
            {
                return false.Label($"generated rule rejected: {set.Errors[0]}");
            }

            var matcher = new RuleMatcher(set, searchValuesLimit);
            var hits = new List<Rule>();
            var total = 0;
            foreach (var payload in input.payloads)
            {
                var frame = FrameBuilder.Tcp(IPAddress.Parse("192.0.2.1"), IPAddress.Parse("198.51.100.1"), (ushort)input.ports.Item1, (ushort)input.ports.Item2, (byte)input.flags, payload);
                var header = Dissector.Dissect(LinkType.Raw, frame);
                var content = frame.AsSpan(header.HeaderLength).ToArray();
                matcher.Match(header, content, hits);
                var expected = set.Rules.Where(r => Naive(r, header, content)).Select(r => r.Sid).ToArray();
                var actual = hits.Select(r => r.Sid).ToArray();
                if (!expected.SequenceEqual(actual))
                {
                    return false.Label($"payload '{Encoding.ASCII.GetString(content)}': naive [{string.Join(',', expected)}], engine [{string.Join(',', actual)}]");
                }

                total += actual.Length;
            }

            return true.Classify(total == 0, "no hits").Classify(total > 0, "some hits");
        });
    }

    /// <summary>The reference: every rule checked on its own, every content position tried by brute force.</summary>
    private static bool Naive(Rule rule, in PacketHeader header, byte[] content)
    {
        if (!rule.MatchesHeader(header) || !Contents(rule.Contents, 0, 0, content))
        {
            return false;
        }

        var text = Encoding.Latin1.GetString(content);
        return rule.Pcres.All(p => new Regex(p.Regex.ToString(), p.Regex.Options).IsMatch(text) != p.Negated);
    }

    private static bool Contents(ContentMatch[] contents, int index, int previousEnd, byte[] data)
    {
        if (index == contents.Length)
        {
            return true;
        }

        var c = contents[index];
        long start = c.IsRelative ? previousEnd + c.Distance : c.Offset;
        long end = c.IsRelative ? (c.Within >= 0 ? previousEnd + c.Distance + c.Within : data.Length) : (c.Depth >= 0 ? c.Offset + c.Depth : data.Length);
        start = Math.Clamp(start, 0, data.Length);
        end = Math.Clamp(end, 0, data.Length);
        var positions = new List<int>();
        for (var p = (int)start; p + c.Pattern.Length <= end; p++)
        {
            if (EqualAt(data, p, c.Pattern, c.NoCase))
            {
                positions.Add(p);
            }
        }

        if (c.Negated)
        {
            return positions.Count == 0 && Contents(contents, index + 1, previousEnd, data);
        }

        return positions.Any(p => Contents(contents, index + 1, p + c.Pattern.Length, data));
    }

    private static bool EqualAt(byte[] data, int at, byte[] pattern, bool noCase)
    {
        for (var k = 0; k < pattern.Length; k++)
        {
            var a = (char)data[at + k];
            var b = (char)pattern[k];
            if (noCase ? char.ToLowerInvariant(a) != char.ToLowerInvariant(b) : a != b)
            {
                return false;
            }
        }

        return true;
    }
}
