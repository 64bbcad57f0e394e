using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Capture.Tests.Generators;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Tests.Governor;

/// <summary>Several detection workers find what one finds, in the same (frame) order, and a full queue loses nothing.</summary>
public class PipelineWorkerProperties
{
    private const string ScopeText = "u-tokyo 192.0.2.0/24\nkyoto-u 2001:db8::/32\nkyoto-u 192.0.2.128/25\n";

    private static readonly string[] InScopeV4 = ["192.0.2.1", "192.0.2.77", "192.0.2.200"];
    private static readonly string[] OutOfScopeV4 = ["198.51.100.1", "203.0.113.9"];
    private static readonly string[] InScopeV6 = ["2001:db8::1", "2001:db8:5::9"];
    private static readonly string[] OutOfScopeV6 = ["2001:db9::1", "fe80::1"];
    private static readonly ushort[] Ports = [80, 8080, 443, 53, 51000, 1234];
    private static readonly byte[] Flags = [0x02, 0x12, 0x10, 0x18, 0x11];

    /// <summary>Generated captures (1–40 flows, 1–600 frames, IPv4 and IPv6, TCP and UDP, in and out of scope, some IPv4
    /// fragments) and HTTP-like rules: the pipeline with 1, 2 and 4 workers, at queue capacities from 2 frames (a round of one
    /// frame, the reader waiting at nearly every frame) to 4,096, gives exactly the detections of a plain loop over the
    /// frames (dissect, scope, one matcher), in frame order, with the same summary.</summary>
    [Property(MaxTest = 40)]
    [Trait("Requirement", "R4.2")]
    public Property R4_2_one_two_and_four_detection_workers_find_the_same_detections_in_frame_order()
    {
        var flow =
            from v6 in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
            from a in Gen.Elements<string>(v6 ? [.. InScopeV6, .. OutOfScopeV6] : [.. InScopeV4, .. OutOfScopeV4])
            from b in Gen.Elements<string>(v6 ? [.. InScopeV6, .. OutOfScopeV6] : [.. InScopeV4, .. OutOfScopeV4])
            from udp in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
            from clientPort in Gen.Elements(Ports)
            from serverPort in Gen.Elements(Ports)
            select (A: IPAddress.Parse(a), B: IPAddress.Parse(b), Udp: udp, ClientPort: clientPort, ServerPort: serverPort);
        var gen =
            from flowCount in Gen.Choose(1, 40)
            from flows in Gen.ArrayOf(flow, flowCount)
            from count in Gen.Choose(1, 600)
            from frames in Gen.ArrayOf(
                from f in Gen.Choose(0, flows.Length - 1)
                from reply in Gen.Elements(false, true)
                from flags in Gen.Elements(Flags)
                from fragment in Gen.Frequency((12, Gen.Constant(0)), (1, Gen.Choose(1, 2)))
                from payload in RuleGenerators.HttpPayload()
                select Frame(flows[f], reply, flags, fragment, payload),
                count)
            from ruleCount in Gen.Choose(1, 40)
            from rules in RuleGenerators.Rules(RuleGenerators.HttpRule(), ruleCount)
            from capacity in Gen.Elements(2, 3, 16, 64, 4096)
            select (frames, rules, capacity);
        return Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var scope = ScopeIndex.Create(ScopeFile.Parse(ScopeText, out _));
            var set = RuleSet.Parse(string.Join('\n', input.rules), "gen.rules", RuleVariables.ForScope(scope));
            var capture = Capture(input.frames);
            var expected = Reference(scope, set, input.frames);
            foreach (var workers in new[] { 1, 2, 4 })
            {
                var (found, summary) = Run(scope, set, capture, workers, input.capacity);
                if (!expected.SequenceEqual(found))
                {
                    return false.Label($"{workers} workers, capacity {input.capacity}: {found.Count} detections, expected {expected.Count}: " +
                        $"[{string.Join(' ', found.Take(12))}] vs [{string.Join(' ', expected.Take(12))}]");
                }

                if (summary.Detections != expected.Count || summary.FramesRead != input.frames.Length || summary.InScope + summary.OutOfScope != input.frames.Length
                    || summary.DetectionsBySid.Values.Sum() != expected.Count || summary.DroppedQueueFull != 0 || summary.Excluded != 0)
                {
                    return false.Label($"{workers} workers: summary {summary.FramesRead}/{summary.InScope}/{summary.Detections}");
                }
            }

            return true.Label($"{expected.Count} detections");
        });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [Trait("Requirement", "R5.2")]
    public async Task A_full_queue_makes_the_reader_wait_and_loses_nothing_with_any_number_of_workers(int workers)
    {
        // Every frame matches; the first detection stalls emission while the workers and the reader fill every round.
        var scope = ScopeIndex.Create(ScopeFile.Parse(ScopeText, out _));
        var rules = RuleSet.Parse("alert ip any any -> any any (sid:1;)", "all.rules", RuleVariables.ForScope(scope));
        var frames = Enumerable.Range(0, 500).Select(i => Frame((IPAddress.Parse(i % 2 == 0 ? "192.0.2.1" : "2001:db8::1"), IPAddress.Parse(i % 2 == 0 ? "198.51.100.1" : "2001:db9::1"), false, (ushort)(1000 + (i % 37)), 80), i % 3 == 0, 0x18, 0, Encoding.ASCII.GetBytes($"frame {i}"))).ToArray();
        var pipeline = new CapturePipeline(scope, rules, new LoadGovernorOptions { QueueCapacity = 8, DropWhenFull = true }, new FakeTimeProvider()) { Workers = workers };
        var seen = new List<long>();
        using var reader = Open(Capture(frames));
        var summary = await pipeline.RunAsync(reader, d =>
        {
            if (seen.Count == 0)
            {
                Thread.Sleep(300);
            }

            seen.Add(d.Frame);
        });

        Assert.Equal(500, summary.InScope);
        Assert.Equal(0, summary.DroppedQueueFull);
        Assert.Equal(500, summary.Detections);
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), seen);
    }

    /// <summary>At the default capacity a file's reader that found every round in use sleeps until half are free, and a
    /// worker with nothing to do sleeps until a few rounds are queued for it (or the reader waits or ends): stalls on either
    /// side lose nothing and keep frame order.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [Trait("Requirement", "R4.2")]
    public async Task At_the_default_capacity_batched_wake_ups_lose_nothing_and_keep_frame_order(int workers)
    {
        var scope = ScopeIndex.Create(ScopeFile.Parse(ScopeText, out _));
        var rules = RuleSet.Parse("alert ip any any -> any any (sid:1;)", "all.rules", RuleVariables.ForScope(scope));
        const int count = 12_000;
        var frames = Enumerable.Range(0, count).Select(i => Frame((IPAddress.Parse("192.0.2.1"), IPAddress.Parse("198.51.100.1"), i % 5 == 0, (ushort)(1000 + (i % 61)), 80), i % 2 == 0, 0x18, 0, [(byte)i])).ToArray();
        var pipeline = new CapturePipeline(scope, rules, new LoadGovernorOptions(), new FakeTimeProvider()) { Workers = workers };
        var seen = new List<long>(count);
        using var reader = Open(Capture(frames));
        var summary = await pipeline.RunAsync(reader, d =>
        {
            // Stalls now and then: the reader fills every round and waits; then the workers catch up and wait in turn.
            if (seen.Count % 4000 == 0)
            {
                Thread.Sleep(100);
            }

            seen.Add(d.Frame);
        });

        Assert.Equal(count, summary.InScope);
        Assert.Equal(count, summary.Detections);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), seen);
    }

    [Fact]
    [Trait("Requirement", "R4.2")]
    public async Task A_failing_detection_callback_ends_the_run_with_its_exception_and_leaves_no_thread_waiting()
    {
        var scope = ScopeIndex.Create(ScopeFile.Parse(ScopeText, out _));
        var rules = RuleSet.Parse("alert ip any any -> any any (sid:1;)", "all.rules", RuleVariables.ForScope(scope));
        var frames = Enumerable.Range(0, 2000).Select(i => Frame((IPAddress.Parse("192.0.2.1"), IPAddress.Parse("198.51.100.1"), false, (ushort)(1000 + (i % 50)), 80), false, 0x18, 0, [1, 2, 3])).ToArray();
        var pipeline = new CapturePipeline(scope, rules, new LoadGovernorOptions { QueueCapacity = 16 }, new FakeTimeProvider()) { Workers = 2 };
        using var reader = Open(Capture(frames));
        var calls = 0;
        var run = pipeline.RunAsync(reader, _ =>
        {
            if (++calls == 100)
            {
                throw new InvalidOperationException("store unavailable");
            }
        });

        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.Same(run, finished);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        Assert.Equal("store unavailable", error.Message);
        Assert.Equal(100, calls);
    }

    [Fact]
    [Trait("Requirement", "R4.2")]
    public void The_flow_hash_sends_both_directions_and_every_fragment_of_a_flow_to_one_worker()
    {
        var a = IPAddress.Parse("192.0.2.1");
        var b = IPAddress.Parse("198.51.100.7");
        var spread = new HashSet<int>();
        for (ushort port = 1000; port < 1400; port++)
        {
            var there = Dissector.Dissect(LinkType.Raw, FrameBuilder.Tcp(a, b, port, 443, 0x18, [1]));
            var back = Dissector.Dissect(LinkType.Raw, FrameBuilder.Tcp(b, a, 443, port, 0x10, [2]));
            Assert.Equal(CapturePipeline.WorkerOf(there, 4), CapturePipeline.WorkerOf(back, 4));
            spread.Add(CapturePipeline.WorkerOf(there, 4));
        }

        // 400 flows of one host pair use every worker.
        Assert.Equal(4, spread.Count);

        var tcp = FrameBuilder.Tcp(a, b, 51000, 80, 0x18, new byte[40]).AsSpan(20).ToArray();
        var first = Dissector.Dissect(LinkType.Raw, FrameBuilder.IP(a, b, 6, tcp, moreFragments: true));
        var later = Dissector.Dissect(LinkType.Raw, FrameBuilder.IP(b, a, 6, tcp.AsSpan(0, 16), fragmentOffset: 24));
        Assert.True(first.HasPorts && later.IsFragment);
        Assert.Equal(CapturePipeline.WorkerOf(first, 4), CapturePipeline.WorkerOf(later, 4));
    }

    private static byte[] Frame((IPAddress A, IPAddress B, bool Udp, ushort ClientPort, ushort ServerPort) flow, bool reply, byte flags, int fragment, byte[] payload)
    {
        var (source, destination) = reply ? (flow.B, flow.A) : (flow.A, flow.B);
        var (sourcePort, destinationPort) = reply ? (flow.ServerPort, flow.ClientPort) : (flow.ClientPort, flow.ServerPort);
        var packet = flow.Udp
            ? FrameBuilder.Udp(source, destination, sourcePort, destinationPort, payload)
            : FrameBuilder.Tcp(source, destination, sourcePort, destinationPort, flags, payload);
        if (fragment == 0 || source.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return FrameBuilder.Ethernet(packet);
        }

        // An IPv4 fragment of the same flow: the first one (with ports, more to come) or a later one (no transport header).
        var transport = packet.AsSpan(20).ToArray();
        return FrameBuilder.Ethernet(fragment == 1
            ? FrameBuilder.IP(source, destination, flow.Udp ? (byte)17 : (byte)6, transport, moreFragments: true)
            : FrameBuilder.IP(source, destination, flow.Udp ? (byte)17 : (byte)6, transport, fragmentOffset: 8));
    }

    private static byte[] Capture(byte[][] frames)
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, LinkType.Ethernet, leaveOpen: true))
        {
            var time = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
            foreach (var frame in frames)
            {
                writer.WriteFrame(time, frame);
                time = time.AddMilliseconds(1);
            }
        }

        return stream.ToArray();
    }

    private static CaptureReader Open(byte[] capture) =>
        CaptureReader.TryOpen(new MemoryStream(capture), out var reader, out var failure) ? reader : throw new InvalidDataException(failure.ToString());

    /// <summary>What the pipeline must find: every frame in turn, dissected, scoped and matched by one matcher.</summary>
    private static List<string> Reference(ScopeIndex scope, RuleSet rules, byte[][] frames)
    {
        var matcher = new RuleMatcher(rules);
        var hits = new List<Rule>();
        var found = new List<string>();
        for (var i = 0; i < frames.Length; i++)
        {
            var header = Dissector.Dissect(LinkType.Ethernet, frames[i]);
            if (!header.IsIP || (scope.Lookup(header.IsIPv6, header.SourceBits) < 0 && scope.Lookup(header.IsIPv6, header.DestinationBits) < 0))
            {
                continue;
            }

            matcher.Match(header, frames[i].AsSpan(header.HeaderLength), hits);
            found.AddRange(hits.Select(r => $"{i + 1}:{r.Sid}:{frames[i].Length - header.HeaderLength}"));
        }

        return found;
    }

    private static (List<string> Found, CaptureSummary Summary) Run(ScopeIndex scope, RuleSet rules, byte[] capture, int workers, int capacity)
    {
        var pipeline = new CapturePipeline(scope, rules, new LoadGovernorOptions { QueueCapacity = capacity }, new FakeTimeProvider()) { Workers = workers };
        var found = new List<string>();
        using var reader = Open(capture);
        var summary = pipeline.RunAsync(reader, d => found.Add($"{d.Frame}:{d.Rule.Sid}:{d.Content.Length}")).GetAwaiter().GetResult();
        return (found, summary);
    }
}
