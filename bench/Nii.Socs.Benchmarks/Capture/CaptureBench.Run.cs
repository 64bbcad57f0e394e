using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Benchmarks.Capture;

/// <summary>
/// capture area: frames/s of read + dissect + scope over a generated capture with 10,000 prefixes, side by side
/// with tcpdump -r FILE -w /dev/null and a BPF 'net A or net B …' filter; rule matching with 1,000 rules against
/// a naive per-rule matcher. Hand-timed with Stopwatch (2-core shared box); every figure is printed with its
/// reference from the same run.
/// Options: --size-mb N (default 200), --1gb, --prefixes N (default 10000), --bpf-nets N (default 1000).
/// </summary>
internal static partial class CaptureBench
{
    public static partial int Run(string[] args)
    {
        var sizeMb = Option(args, "--size-mb", 200);
        if (args.Contains("--1gb"))
        {
            sizeMb = 1024;
        }

        var prefixCount = Option(args, "--prefixes", 10_000);
        var bpfNets = Option(args, "--bpf-nets", 1000);
        var random = new Random(20261130);
        var prefixes = Prefixes(random, prefixCount);
        var directory = Directory.CreateTempSubdirectory("socs-capture-bench-");
        try
        {
            var path = Path.Combine(directory.FullName, "bench.pcap");
            var written = Stopwatch.StartNew();
            var frames = Generate(path, random, prefixes, sizeMb * 1024L * 1024);
            Console.WriteLine($"generated {path}: {frames:N0} frames, {new FileInfo(path).Length / 1048576.0:N0} MiB in {written.Elapsed.TotalSeconds:N1} s");

            var full = ScopeIndex.Create(prefixes);
            var small = ScopeIndex.Create(prefixes.Take(bpfNets));
            ReadDissectScope(path, full); // warm-up: JIT and page cache
            var ours = Best(() => ReadDissectScope(path, full));
            var oursSmall = Best(() => ReadDissectScope(path, small));
            var readOnly = ReadOnly(path);
            LookupBench(random);
            Console.WriteLine();
            Console.WriteLine("== read + dissect + scope (R2.1, R5.1) ==");
            Report("read only (reference)", readOnly.Frames, readOnly.Seconds);
            Report($"socs, {full.Count:N0} prefixes", ours.Frames, ours.Seconds, $"{ours.InScope:N0} in scope");
            Report($"socs, {small.Count:N0} prefixes", oursSmall.Frames, oursSmall.Seconds, $"{oursSmall.InScope:N0} in scope");

            var filter = string.Join(" or ", prefixes.Take(bpfNets).Select(p => $"net {p.Prefix}"));
            var filterFile = Path.Combine(directory.FullName, "filter.bpf");
            File.WriteAllText(filterFile, filter);
            var compile = Time("tcpdump", "-O", "-d", "-F", filterFile);
            var tcpdump = Time("tcpdump", "-O", "-r", path, "-w", "/dev/null", "-F", filterFile);
            var tcpdumpNoFilter = Time("tcpdump", "-r", path, "-w", "/dev/null");
            if (tcpdump is null || compile is null || tcpdumpNoFilter is null)
            {
                Console.WriteLine("tcpdump failed or is missing: no comparison (install it with scripts/install-deps.sh)");
                return 1;
            }

            var filtering = Math.Max(tcpdump.Value - compile.Value, 0.001);
            Report("tcpdump -r -w /dev/null, no filter", frames, tcpdumpNoFilter.Value);
            Report($"tcpdump -O, {bpfNets:N0} nets (incl. {compile:N1} s compile)", frames, tcpdump.Value);
            Report($"tcpdump -O, {bpfNets:N0} nets, filtering only", frames, filtering);
            Console.WriteLine($"ratio socs({full.Count:N0} prefixes) / tcpdump({bpfNets:N0} nets, filtering only): {filtering / ours.Seconds:N1}x faster");
            Console.WriteLine($"ratio socs({full.Count:N0}) / socs({small.Count:N0}) time: {ours.Seconds / oursSmall.Seconds:N2} (1.0 = prefix count does not matter)");
            Console.WriteLine("note: tcpdump's optimiser (without -O) needs ~20 s for 500 nets and minutes for 1,000; -O skips it, and 10,000 nets crash its compiler.");

            Console.WriteLine();
            Console.WriteLine("== rule matching (R4.2, R4.3) ==");
            RuleBench(random);
            return 0;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static void RuleBench(Random random)
    {
        var payloads = Enumerable.Range(0, 20_000).Select(_ => Payload(random)).ToArray();
        var words = Enumerable.Range(0, 2000).Select(_ => Word(random, random.Next(6, 13))).ToArray();
        for (var i = 0; i < payloads.Length; i += 100)
        {
            var word = Encoding.ASCII.GetBytes(words[random.Next(words.Length)]);
            word.CopyTo(payloads[i], random.Next(payloads[i].Length - word.Length));
        }

        var frame = FrameBuilder.Tcp(IPAddress.Parse("203.0.113.7"), IPAddress.Parse("192.0.2.10"), 51000, 80, 0x18, []);
        var header = Dissector.Dissect(LinkType.Raw, frame);
        var bytes = payloads.Sum(p => (long)p.Length);
        var rates = new List<double>();
        foreach (var count in new[] { 10, 1000 })
        {
            var text = new StringBuilder();
            for (var sid = 1; sid <= count; sid++)
            {
                text.Append(CultureInfo.InvariantCulture, $"alert tcp any any -> any any (msg:\"r{sid}\"; content:\"{words[sid % words.Length]}\";");
                if (sid % 3 == 0)
                {
                    text.Append(" nocase;");
                }

                if (sid % 4 == 0)
                {
                    text.Append(CultureInfo.InvariantCulture, $" content:\"{words[(sid * 7) % words.Length][..4]}\"; distance:0; within:200;");
                }

                if (sid % 10 == 0)
                {
                    text.Append(" pcre:\"/[a-z]{3}=[0-9]+/i\";");
                }

                text.Append(CultureInfo.InvariantCulture, $" sid:{sid};)\n");
            }

            var set = RuleSet.Parse(text.ToString(), "bench.rules", RuleVariables.ForScope(ScopeIndex.Empty));
            var matcher = new RuleMatcher(set);
            var hits = new List<Rule>();
            long found = 0;
            // Warm-up: one full pass, so tiered JIT has settled before timing.
            foreach (var p in payloads)
            {
                matcher.Match(header, p, hits);
            }

            var watch = Stopwatch.StartNew();
            for (var round = 0; round < 3; round++)
            {
                foreach (var p in payloads)
                {
                    found += matcher.Match(header, p, hits);
                }
            }

            var seconds = watch.Elapsed.TotalSeconds;
            rates.Add(3 * payloads.Length / seconds);
            Console.WriteLine($"{count,5} rules, prefilter: {3 * payloads.Length / seconds,12:N0} packets/s {3 * bytes / seconds / 1048576,8:N1} MiB/s  ({found / 3:N0} hits per pass, {matcher.PatternCount:N0} patterns)");

            // Reference in the same run: every rule verified on every packet, no prefilter.
            var scratchMatcher = new RuleMatcher(RuleSet.Parse(string.Empty, "none", RuleVariables.ForScope(ScopeIndex.Empty)));
            var sample = payloads.Take(count >= 1000 ? 500 : 5000).ToArray();
            var naive = Stopwatch.StartNew();
            long naiveHits = 0;
            var scratch = new MatchScratch();
            foreach (var p in sample)
            {
                scratch.StartPacket();
                foreach (var rule in set.Rules)
                {
                    if (rule.MatchesHeader(header) && rule.MatchesContent(p, scratch))
                    {
                        naiveHits++;
                    }
                }
            }

            var naiveRate = sample.Length / naive.Elapsed.TotalSeconds;
            Console.WriteLine($"{count,5} rules, naive per-rule (reference): {naiveRate,12:N0} packets/s  -> prefilter is {3 * payloads.Length / seconds / naiveRate:N1}x faster");
            GC.KeepAlive(scratchMatcher);
        }

        Console.WriteLine($"cost per packet, 1,000 rules / 10 rules: {rates[0] / rates[1]:N2} (naive would be ~100)");
    }

    private static (long Frames, long InScope, double Seconds) Best(Func<(long Frames, long InScope, double Seconds)> run)
    {
        var best = run();
        for (var i = 0; i < 2; i++)
        {
            var next = run();
            if (next.Seconds < best.Seconds)
            {
                best = next;
            }
        }

        return best;
    }

    /// <summary>Scope lookups alone, every address inside some prefix, at 10, 1,000 and 10,000 prefixes.</summary>
    private static void LookupBench(Random random)
    {
        Console.WriteLine();
        Console.WriteLine("== scope lookup alone (R5.1), addresses inside prefixes ==");
        double? first = null;
        foreach (var count in new[] { 10, 1000, 10_000 })
        {
            var prefixes = Prefixes(random, count);
            var index = ScopeIndex.Create(prefixes);
            var addresses = Enumerable.Range(0, 1 << 20).Select(i => (uint)(IPPrefix.ToBits(Address(random, prefixes[i % prefixes.Length].Prefix)).Bits)).ToArray();
            long hits = 0;
            foreach (var a in addresses)
            {
                hits += index.LookupIPv4(a) >= 0 ? 1 : 0;
            }

            var watch = Stopwatch.StartNew();
            for (var round = 0; round < 10; round++)
            {
                foreach (var a in addresses)
                {
                    hits += index.LookupIPv4(a) >= 0 ? 1 : 0;
                }
            }

            var rate = 10.0 * addresses.Length / watch.Elapsed.TotalSeconds;
            first ??= rate;
            Console.WriteLine($"{count,6:N0} prefixes: {rate,14:N0} lookups/s  time per lookup vs 10 prefixes: {first.Value / rate:N2}  ({hits:N0} hits)");
        }
    }

    private static (long Frames, long InScope, double Seconds) ReadDissectScope(string path, ScopeIndex scope)
    {
        var watch = Stopwatch.StartNew();
        long frames = 0;
        long inScope = 0;
        using var reader = CaptureReader.OpenFile(path);
        while (reader.TryReadFrame(out var frame))
        {
            frames++;
            var header = Dissector.Dissect(frame.LinkType, frame.Data);
            if (header.IsIP && (scope.Lookup(header.IsIPv6, header.SourceBits) >= 0 || scope.Lookup(header.IsIPv6, header.DestinationBits) >= 0))
            {
                inScope++;
            }
        }

        return (frames, inScope, watch.Elapsed.TotalSeconds);
    }

    private static (long Frames, double Seconds) ReadOnly(string path)
    {
        var watch = Stopwatch.StartNew();
        long frames = 0;
        using var reader = CaptureReader.OpenFile(path);
        while (reader.TryReadFrame(out _))
        {
            frames++;
        }

        return (frames, watch.Elapsed.TotalSeconds);
    }

    private static long Generate(string path, Random random, ScopeAssignment[] prefixes, long size)
    {
        // A pool of distinct frames (half in scope), written round-robin with increasing timestamps.
        var pool = new byte[4096][];
        for (var i = 0; i < pool.Length; i++)
        {
            var inside = Address(random, prefixes[random.Next(prefixes.Length)].Prefix);
            var outside = new IPAddress(BitConverter.GetBytes(random.Next() | 0x0100_0000));
            var (source, destination) = (i % 4) switch
            {
                0 => (outside, inside),
                1 => (inside, outside),
                _ => (outside, new IPAddress(BitConverter.GetBytes(random.Next() | 0x0100_0000))),
            };
            var payload = new byte[random.Next(0, 1400)];
            random.NextBytes(payload);
            var ip = i % 3 == 0
                ? FrameBuilder.Udp(source, destination, (ushort)random.Next(1024, 65535), 53, payload)
                : FrameBuilder.Tcp(source, destination, (ushort)random.Next(1024, 65535), 443, 0x18, payload, optionWords: 3);
            pool[i] = FrameBuilder.Ethernet(ip);
        }

        var start = new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
        using var stream = new BufferedStream(File.Create(path), 1 << 20);
        using var writer = new PcapWriter(stream, LinkType.Ethernet);
        long frames = 0;
        long written = 24;
        while (written < size)
        {
            var frame = pool[frames % pool.Length];
            writer.WriteFrame(start.AddTicks(frames * 100), frame);
            written += 16 + frame.Length;
            frames++;
        }

        return frames;
    }

    private static ScopeAssignment[] Prefixes(Random random, int count)
    {
        var participants = Enumerable.Range(0, 800).Select(i => new ParticipantId($"p{i:D4}")).ToArray();
        var result = new ScopeAssignment[count];
        for (var i = 0; i < count; i++)
        {
            var length = random.Next(16, 29);
            var bits = (uint)random.Next() | ((uint)random.Next(0, 2) << 31);
            result[i] = new ScopeAssignment(participants[i % participants.Length], IPPrefix.FromBits(false, bits, length));
        }

        return result;
    }

    private static IPAddress Address(Random random, IPPrefix prefix)
    {
        var host = (uint)random.Next() & (uint)((1L << (32 - prefix.Length)) - 1);
        return IPPrefix.ToAddress(false, prefix.Bits | host);
    }

    private static byte[] Payload(Random random)
    {
        var length = random.Next(200, 1400);
        var bytes = new byte[length];
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 =&/?.\r\n";
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)Alphabet[random.Next(Alphabet.Length)];
        }

        return bytes;
    }

    private static string Word(Random random, int length) =>
        new([.. Enumerable.Range(0, length).Select(_ => (char)('a' + random.Next(26)))]);

    private static double? Time(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        var watch = Stopwatch.StartNew();
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            Task.WaitAll(output, error);
            return process.ExitCode == 0 ? watch.Elapsed.TotalSeconds : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static void Report(string name, long frames, double seconds, string extra = "") =>
        Console.WriteLine($"{name,-52} {frames / seconds,14:N0} frames/s  {seconds,7:N2} s  {extra}");

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
