using System.Net;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Benchmarks.Capture;

/// <summary>Rule matching in-process on the capture's HTTP traffic: the prefilter against a per-rule matcher (every rule's header and content test on every packet), 10 to 10,000 rules.</summary>
internal static partial class CaptureBench
{
    private static void RuleBench(CaptureCorpus corpus)
    {
        const int Repetitions = 5;
        var scope = ScopeIndex.Create([new ScopeAssignment(new ParticipantId("bench"), IPPrefix.Parse("192.0.2.0/24"))]);
        var toServer = HeaderOf(true);
        var toClient = HeaderOf(false);
        var packets = corpus.HttpPackets(20_000, 10_000);
        var bytes = packets.Sum(p => (long)p.Content.Length);
        Console.WriteLine();
        Console.WriteLine($"== rule matching on HTTP traffic (R4.2, R4.3): {packets.Count:N0} packets of 536/1,460 bytes, half requests to port 80, half responses; median (min–max) of {Repetitions} alternating repetitions, thread CPU time ==");
        var perPacket = new Dictionary<int, double>();
        var samplesOf = new Dictionary<int, List<double>>();
        foreach (var count in new[] { 10, 100, 1000, 10_000 })
        {
            var set = RuleSet.Parse(corpus.Rules(count), "bench.rules", RuleVariables.ForScope(scope));
            if (set.Errors.Count > 0)
            {
                throw new InvalidOperationException(set.Errors[0].ToString());
            }

            var matcher = new RuleMatcher(set);
            var scalar = new RuleMatcher(set, RuleMatcher.DefaultSearchValuesLimit, vectorAnchors: false);
            var hits = new List<Rule>();
            var sample = packets.Take(Math.Clamp(2_000_000 / count, 100, packets.Count)).ToList();
            long Ours(List<(bool ToServer, byte[] Content)> list) => Run(matcher, list);
            long Run(RuleMatcher m, List<(bool ToServer, byte[] Content)> list)
            {
                long found = 0;
                foreach (var (server, content) in list)
                {
                    found += m.Match(server ? toServer : toClient, content, hits);
                }

                return found;
            }

            long Reference()
            {
                long found = 0;
                var scratch = new MatchScratch();
                foreach (var (server, content) in sample)
                {
                    scratch.StartPacket();
                    var header = server ? toServer : toClient;
                    foreach (var rule in set.Rules)
                    {
                        if (rule.MatchesHeader(header) && rule.MatchesContent(content, scratch))
                        {
                            found++;
                        }
                    }
                }

                return found;
            }

            var sampleHits = Ours(sample);
            var referenceHits = Reference();

            // Warm-up until the JIT has settled: the runtime recompiles hot methods (tier 1) on a background thread only
            // after they have run for a while, so the first passes of the smallest rule set ran partly in unoptimised
            // code and the 10-rule figure swung 0.2–2 µs/packet. Three passes, a pause for the background compiler, one more.
            for (var w = 0; w < 3; w++)
            {
                Ours(packets);
                Run(scalar, packets);
            }

            Task.Delay(300).Wait();
            Ours(packets);
            var scalarHits = Run(scalar, packets);
            var ours = new List<double>();
            var scalarTimes = new List<double>();
            var reference = new List<double>();
            long total = 0;
            var verifiedBefore = matcher.Verified;
            for (var r = 0; r < Repetitions; r++)
            {
                var started = ThreadClock.Seconds();
                total = Ours(packets);
                ours.Add((ThreadClock.Seconds() - started) / packets.Count);
                started = ThreadClock.Seconds();
                Reference();
                reference.Add((ThreadClock.Seconds() - started) / sample.Count);
                started = ThreadClock.Seconds();
                Run(scalar, packets);
                scalarTimes.Add((ThreadClock.Seconds() - started) / packets.Count);
            }

            var verified = (matcher.Verified - verifiedBefore) / (double)(Repetitions * packets.Count);

            var ratios = ours.Zip(reference, (o, n) => n / o);
            var oursStats = CommandBench.Stats(ours.Select(s => s * 1e6));
            perPacket[count] = oursStats.Median;
            samplesOf[count] = ours;
            Console.WriteLine($"{count,6:N0} rules: prefilter {CommandBench.Format(oursStats, "0.000")} µs/packet ({bytes / (oursStats.Median / 1e6 * packets.Count) / 1e6:N0} MB/s), " +
                $"per-rule {CommandBench.Format(CommandBench.Stats(reference.Select(s => s * 1e6)), "0.0")} µs/packet, ratio {CommandBench.Format(CommandBench.Stats(ratios), "0.0")}; " +
                $"{total:N0} hits, {verified:0.00} rules verified per packet, {matcher.GroupCount} header groups; same hits on {sample.Count:N0} packets: {(sampleHits == referenceHits ? "yes" : $"NO ({sampleHits} vs {referenceHits})")}");
            Console.WriteLine($"{string.Empty,6}  scalar window filter (one window at a time) {CommandBench.Format(CommandBench.Stats(scalarTimes.Select(s => s * 1e6)), "0.000")} µs/packet; " +
                $"AVX2 speed-up per round {CommandBench.Format(CommandBench.Stats(scalarTimes.Zip(ours, (s, o) => s / o)), "0.00")}; same hits: {(scalarHits == total ? "yes" : $"NO ({scalarHits} vs {total})")}");
        }

        // The growth: the ratio of the medians, and per repetition index (the i-th 10,000-rule pass over the i-th 10-rule one) for a spread.
        string Growth(int many) =>
            $"{perPacket[many] / perPacket[10]:N2} (per repetition {CommandBench.Format(CommandBench.Stats(samplesOf[many].Zip(samplesOf[10], (m, f) => m / f)), "0.00")})";
        Console.WriteLine($"prefilter cost per packet, 10,000 rules / 10 rules: {Growth(10_000)}; 1,000 / 10: {Growth(1000)}");
        MixBench(corpus, Repetitions);
    }

    /// <summary>
    /// What <c>socs capture scan</c>'s workers spend on rules per in-scope frame: the 100 rules of the command benchmark (demo
    /// rules and generated ones) over the in-scope frames of a 64 MB capture of the same traffic mix (HTTP, TLS, DNS, IMIX
    /// sizes, 10 % IPv6), dissected beforehand, one matcher on one thread; thread CPU time.
    /// </summary>
    private static void MixBench(CaptureCorpus corpus, int repetitions)
    {
        const int RuleCount = 100;
        var directory = Directory.CreateTempSubdirectory("socs-rules-mix-");
        try
        {
            var demo = File.ReadAllText(Path.Combine(RepositoryRoot(), "samples", "rules", "demo.rules"));
            var demoCount = demo.Split('\n').Count(l => l.StartsWith("alert", StringComparison.Ordinal));
            var planted = Math.Max(RuleCount - demoCount, 0);
            var set = RuleSet.Parse(demo + corpus.Rules(planted), "bench.rules", RuleVariables.ForScope(corpus.Scope));
            if (set.Errors.Count > 0)
            {
                throw new InvalidOperationException(set.Errors[0].ToString());
            }

            var capture = Path.Combine(directory.FullName, "mix.pcap");
            corpus.Write(capture, Path.Combine(directory.FullName, "quarter.pcap"), 64_000_000, planted);
            var frames = new List<(PacketHeader Header, byte[] Content)>();
            using (var reader = CaptureReader.OpenFile(capture))
            {
                while (reader.TryReadFrame(out var frame))
                {
                    var header = Dissector.Dissect(frame.LinkType, frame.Data);
                    if (!header.IsIP || (corpus.Scope.Lookup(header.IsIPv6, header.SourceBits) < 0 && corpus.Scope.Lookup(header.IsIPv6, header.DestinationBits) < 0))
                    {
                        continue;
                    }

                    frames.Add((header, frame.Data[header.HeaderLength..].ToArray()));
                }
            }

            var matcher = new RuleMatcher(set);
            var hits = new List<Rule>();
            long Pass()
            {
                long found = 0;
                foreach (var (header, content) in frames)
                {
                    found += matcher.Match(header, content, hits);
                }

                return found;
            }

            for (var w = 0; w < 3; w++)
            {
                Pass();
            }

            Task.Delay(300).Wait();
            Pass();
            var samples = new List<double>();
            long total = 0;
            for (var r = 0; r < repetitions * 2; r++)
            {
                var started = ThreadClock.Seconds();
                total = Pass();
                samples.Add((ThreadClock.Seconds() - started) / frames.Count * 1e6);
            }

            Console.WriteLine($"{RuleCount} rules on the capture's mix ({frames.Count:N0} in-scope frames of a 64 MB capture, {set.Rules.Count} rules, {matcher.GroupCount} header groups): " +
                $"{CommandBench.Format(CommandBench.Stats(samples), "0.000")} µs per in-scope frame (median (min–max) of {samples.Count}, thread CPU), {total:N0} hits");
        }
        finally
        {
            directory.Delete(true);
        }
    }

    private static PacketHeader HeaderOf(bool toServer)
    {
        var client = IPAddress.Parse("203.0.113.7");
        var server = IPAddress.Parse("192.0.2.10");
        var frame = toServer
            ? FrameBuilder.Tcp(client, server, 51000, 80, 0x18, [])
            : FrameBuilder.Tcp(server, client, 80, 51000, 0x18, []);
        return Dissector.Dissect(LinkType.Raw, frame);
    }
}
