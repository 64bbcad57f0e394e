using System.Diagnostics;
using System.Globalization;
using System.Net;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Benchmarks.Capture;

/// <summary>
/// capture area. Generates a realistic capture (<see cref="CaptureCorpus"/>, fixed seed), then times whole commands
/// as alternating rounds (warm-up discarded; median and min–max of every figure; ratios taken per round):
/// <c>cat</c>, <c>tcpdump -r FILE -w /dev/null</c> (no filter), the fair peer (libpcap reading the file, running a
/// raw BPF program that binary-searches the merged prefix ranges through <c>pcap_offline_filter</c> and writing the
/// matches with <c>pcap_dump</c>, as <c>tcpdump -w</c> does; <c>peer.c</c>, compiled here with gcc), and
/// <c>socs capture scan</c> with the rules and with none, as <c>./socs</c> runs it (ReadyToRun, <c>scripts/build-socs.sh</c>),
/// and the plain JIT build for comparison. Then rule matching in-process against a per-rule matcher.
/// Options: --size 100m|1g|N (bytes, default 100m), --rounds N (default 7), --prefixes N (default 10000),
/// --rules N (default 100, demo rules included), --part all|commands|rules.
/// </summary>
internal static partial class CaptureBench
{
    private const int Seed = 20261201;
    private static readonly string[] LibpcapPaths = ["/lib/x86_64-linux-gnu/libpcap.so.0.8", "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8", "/usr/lib/libpcap.so.0.8"];

    public static partial int Run(string[] args)
    {
        var size = Size(Value(args, "--size") ?? "100m");
        var rounds = int.Parse(Value(args, "--rounds") ?? "7", CultureInfo.InvariantCulture);
        var prefixCount = int.Parse(Value(args, "--prefixes") ?? "10000", CultureInfo.InvariantCulture);
        var ruleCount = int.Parse(Value(args, "--rules") ?? "100", CultureInfo.InvariantCulture);
        var part = Value(args, "--part") ?? "all";
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; load average at start: {LoadAverage()}");
        var corpus = new CaptureCorpus(Seed, prefixCount);
        var status = 0;
        if (part is "all" or "commands")
        {
            status = Commands(corpus, size, rounds, ruleCount, args.Contains("--keep"));
        }

        if (status == 0 && part is "all" or "rules")
        {
            RuleBench(corpus);
        }

        Console.WriteLine($"load average at end: {LoadAverage()}");
        return status;
    }

    private static int Commands(CaptureCorpus corpus, long size, int rounds, int ruleCount, bool keep)
    {
        var root = RepositoryRoot();
        var directory = Directory.CreateTempSubdirectory("socs-capture-bench-");
        try
        {
            var dir = directory.FullName;
            var capture = Path.Combine(dir, "bench.pcap");
            var quarter = Path.Combine(dir, "quarter.pcap");
            var empty = Path.Combine(dir, "empty.pcap");
            var prefixes = Path.Combine(dir, "prefixes.txt");
            var rules = Path.Combine(dir, "bench.rules");
            var noRules = Path.Combine(dir, "none.rules");
            File.WriteAllText(prefixes, corpus.PrefixFile());
            var demo = File.ReadAllText(Path.Combine(root, "samples", "rules", "demo.rules"));
            var demoCount = demo.Split('\n').Count(l => l.StartsWith("alert", StringComparison.Ordinal));
            File.WriteAllText(rules, demo + corpus.Rules(Math.Max(ruleCount - demoCount, 0)));
            File.WriteAllText(noRules, "# no rules\n");
            var watch = Stopwatch.StartNew();
            var (frames, quarterFrames) = corpus.Write(capture, quarter, size, Math.Max(ruleCount - demoCount, 0));
            using (var stream = File.Create(empty))
            using (new PcapWriter(stream, LinkType.Ethernet))
            {
            }

            var bytes = new FileInfo(capture).Length;
            Console.WriteLine($"generated {bytes / 1e6:N0} MB, {frames:N0} frames (quarter file {quarterFrames:N0}), {corpus.Prefixes.Length:N0} prefixes, {ruleCount} rules, in {watch.Elapsed.TotalSeconds:N1} s (seed {Seed})");

            var peer = Path.Combine(dir, "peer");
            if (!Compile(Path.Combine(root, "bench", "Nii.Socs.Benchmarks", "Capture", "peer.c"), peer))
            {
                return 1;
            }

            var program = Path.Combine(dir, "scope.bpf");
            File.WriteAllBytes(program, RangeBpf.Build(corpus.Prefixes, out var instructions));
            var (v4, v6) = RangeBpf.Ranges(corpus.Prefixes);
            Console.WriteLine($"BPF peer: {instructions:N0} instructions, binary search over {v4.Count:N0} IPv4 and {v6.Count:N0} IPv6 merged ranges");
            // socs as `./socs` runs it (scripts/build-socs.sh: ReadyToRun on linux-x64), and the plain JIT build beside
            // this benchmark for the before/after of the start-up.
            var socs = Output("bash", Path.Combine(root, "scripts", "build-socs.sh")).Trim();
            var jit = Path.Combine(AppContext.BaseDirectory, "socs.dll");
            Console.WriteLine($"socs: {socs}; plain JIT build: {jit}");

            // Same answer first: the peer's matches are socs' in-scope frames.
            var peerOut = Output(peer, "filter", capture, program, "/dev/null");
            var socsOut = Output("dotnet", socs, "capture", "scan", capture, "--prefixes", prefixes, "--rules", rules);
            var matched = long.Parse(peerOut.Split(' ')[^1], CultureInfo.InvariantCulture);
            var inScope = Summary(socsOut, "in scope");
            Console.WriteLine($"peer matched {matched:N0} frames; socs: {inScope:N0} in scope, {Summary(socsOut, "detections"):N0} detections, {Summary(socsOut, "excluded under load"):N0} excluded under load -> {(matched == inScope ? "same frames" : "DIFFERENT")}");
            if (matched != inScope)
            {
                return 1;
            }

            var bench = new CommandBench(peer, dir);
            bench.Add("cat FILE > /dev/null", "cat", capture);
            bench.Add("tcpdump -r FILE -w /dev/null", "tcpdump", "-r", capture, "-w", "/dev/null");
            bench.Add("libpcap + range BPF, -w /dev/null", peer, "filter", capture, program, "/dev/null");
            bench.Add($"socs capture scan, {ruleCount} rules", "dotnet", socs, "capture", "scan", capture, "--prefixes", prefixes, "--rules", rules);
            bench.Add("socs capture scan, no rules", "dotnet", socs, "capture", "scan", capture, "--prefixes", prefixes, "--rules", noRules);
            bench.Add("socs capture scan, empty capture", "dotnet", socs, "capture", "scan", empty, "--prefixes", prefixes, "--rules", noRules);
            bench.Add($"JIT build: scan, {ruleCount} rules", "dotnet", jit, "capture", "scan", capture, "--prefixes", prefixes, "--rules", rules);
            bench.Add("JIT build: scan, empty capture", "dotnet", jit, "capture", "scan", empty, "--prefixes", prefixes, "--rules", noRules);
            Console.WriteLine($"{rounds} rounds of {bench.Count} commands (order rotating), after one warm-up round:");
            bench.Run(rounds);

            Console.WriteLine();
            Console.WriteLine($"== whole commands on {bytes / 1e6:N0} MB (median (min–max) of {rounds}) ==");
            Console.WriteLine($"{"command",-40} {"wall s",-24} {"GB/s",-22} {"CPU s",-22} peak RSS MiB");
            foreach (var name in bench.Names)
            {
                var samples = bench[name];
                Console.WriteLine(
                    $"{name,-40} {CommandBench.Format(CommandBench.Stats(samples.Select(s => s.Wall)), "0.000"),-24} " +
                    $"{CommandBench.Format(CommandBench.Stats(samples.Select(s => bytes / s.Wall / 1e9)), "0.00"),-22} " +
                    $"{CommandBench.Format(CommandBench.Stats(samples.Select(s => s.Cpu)), "0.00"),-22} " +
                    $"{CommandBench.Format(CommandBench.Stats(samples.Select(s => s.PeakRssKib / 1024.0)), "0")}");
            }

            var ours = bench[$"socs capture scan, {ruleCount} rules"];
            var bare = bench["socs capture scan, no rules"];
            var start = bench["socs capture scan, empty capture"];
            var bpf = bench["libpcap + range BPF, -w /dev/null"];
            var tcpdump = bench["tcpdump -r FILE -w /dev/null"];
            Console.WriteLine();
            Console.WriteLine("== ratios, per round (speed of socs / speed of the reference; ≥ 1 means socs is faster) ==");
            Ratio($"socs {ruleCount} rules vs libpcap + range BPF", bpf, ours);
            Ratio("socs no rules vs libpcap + range BPF", bpf, bare);
            Ratio($"socs {ruleCount} rules vs tcpdump -w, no filter", tcpdump, ours);
            Ratio($"JIT build {ruleCount} rules vs libpcap + range BPF", bpf, bench[$"JIT build: scan, {ruleCount} rules"]);
            Ratio("ReadyToRun vs JIT build, empty capture", bench["JIT build: scan, empty capture"], start);
            var perFrame = CommandBench.Stats(Enumerable.Range(0, rounds).Select(i => (bare[i].Wall - start[i].Wall) / inScope * 1e6));
            var perFrameCpu = CommandBench.Stats(Enumerable.Range(0, rounds).Select(i => (bare[i].Cpu - start[i].Cpu) / inScope * 1e6));
            Console.WriteLine($"socs no rules, per in-scope frame (wall − empty-capture wall) / {inScope:N0}: {CommandBench.Format(perFrame, "0.000")} µs; CPU: {CommandBench.Format(perFrameCpu, "0.000")} µs");
            Console.WriteLine($"socs {ruleCount} rules, CPU / wall (cores in use): {CommandBench.Format(CommandBench.Stats(ours.Select(s => s.Cpu / s.Wall)), "0.00")}");

            var quarterRss = new List<double>();
            var fullRss = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                quarterRss.Add(bench.Once("quarter", ["dotnet", socs, "capture", "scan", quarter, "--prefixes", prefixes, "--rules", rules]).PeakRssKib / 1024.0);
                fullRss.Add(bench.Once("full", ["dotnet", socs, "capture", "scan", capture, "--prefixes", prefixes, "--rules", rules]).PeakRssKib / 1024.0);
            }

            InProcess(capture, prefixes, rounds);
            Console.WriteLine($"socs {ruleCount} rules, peak RSS MiB: quarter file ({quarterFrames:N0} frames) {CommandBench.Format(CommandBench.Stats(quarterRss), "0")}, whole file ({frames:N0} frames) {CommandBench.Format(CommandBench.Stats(fullRss), "0")}");
            return 0;
        }
        finally
        {
            if (keep)
            {
                Console.WriteLine($"kept {directory.FullName}");
            }
            else
            {
                directory.Delete(recursive: true);
            }
        }
    }

    /// <summary>The pipeline in this process, warm (after one run), no rules: CPU time of the whole process per in-scope frame.</summary>
    private static void InProcess(string capture, string prefixes, int rounds)
    {
        var scope = ScopeIndex.Create(ScopeFile.Parse(File.ReadAllText(prefixes), out _));
        var none = RuleSet.Parse(string.Empty, "none.rules", RuleVariables.ForScope(scope));
        var pipeline = new CapturePipeline(scope, none, new LoadGovernorOptions(), TimeProvider.System);
        double Once(out long inScope)
        {
            using var process = Process.GetCurrentProcess();
            var before = process.TotalProcessorTime;
            using var reader = CaptureReader.OpenFile(capture);
            var summary = pipeline.RunAsync(reader, _ => { }).GetAwaiter().GetResult();
            process.Refresh();
            inScope = summary.InScope;
            return (process.TotalProcessorTime - before).TotalSeconds;
        }

        Once(out _);
        var samples = new List<double>();
        long frames = 0;
        for (var i = 0; i < rounds; i++)
        {
            samples.Add(Once(out frames));
        }

        Console.WriteLine($"pipeline in-process, warm, no rules (read + dissect + scope + governor), process CPU per in-scope frame: {CommandBench.Format(CommandBench.Stats(samples.Select(s => s / frames * 1e6)), "0.000")} µs");
    }

    private static void Ratio(string name, IReadOnlyList<CommandBench.Sample> reference, IReadOnlyList<CommandBench.Sample> ours)
    {
        // Wall time is what the goal is about; CPU time (user + system) is what a loaded machine distorts least.
        var ratios = reference.Zip(ours, (r, o) => r.Wall / o.Wall);
        var cpu = reference.Zip(ours, (r, o) => r.Cpu / o.Cpu);
        Console.WriteLine($"{name,-48} wall {CommandBench.Format(CommandBench.Stats(ratios), "0.00"),-20} CPU time {CommandBench.Format(CommandBench.Stats(cpu), "0.00")}");
    }

    private static bool Compile(string source, string output)
    {
        var library = LibpcapPaths.FirstOrDefault(File.Exists);
        if (library is null)
        {
            Console.WriteLine("libpcap.so.0.8 is missing (scripts/install-deps.sh installs libpcap0.8): no comparison");
            return false;
        }

        try
        {
            Output("gcc", "-O2", "-o", output, source, library);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.WriteLine($"gcc could not build the peer: {e.Message}");
            return false;
        }
    }

    private static string Output(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {error.Result}");
        }

        return output.Result;
    }

    private static long Summary(string text, string label) =>
        text.Split('\n').Select(l => l.Split('\t')).Where(f => f.Length >= 2 && f[0] == label)
            .Select(f => long.Parse(f[1].Split(' ')[0], CultureInfo.InvariantCulture)).Single();

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Nii.Socs.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the benchmark from the repository (Nii.Socs.sln not found above it).");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static long Size(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        var scale = t.EndsWith('g') ? 1_000_000_000L : t.EndsWith('m') ? 1_000_000L : 1L;
        return long.Parse(scale == 1 ? t : t[..^1], CultureInfo.InvariantCulture) * scale;
    }

    private static string? Value(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
