using System.Diagnostics;
using System.Globalization;
using System.Net;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Storage.PostgreSql;

namespace Nii.Socs.Benchmarks.ScaleOut;

/// <summary>
/// The scale-out store against the embedded one, in the same run: append rate of 1 KiB-content records in batches
/// (FASTER DetectionStore with its group commit vs PostgreSqlDetectionStore on a 3-node cluster with synchronous
/// replication), alternating rounds, median and min–max; then "newest 100" latency over the same preloaded records.
/// Starts its own cluster with scripts/cluster.sh (free loopback ports, stopped by pid) unless --cluster DIR names a
/// running one. Options: --records N (default 20,000), --batch (256), --rounds (5), --query-records (60,000),
/// --queries (200).
/// </summary>
public static class ScaleOutBench
{
    private static readonly ParticipantId Who = new("u-tokyo");
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);

    public static async Task<int> RunAsync(string[] args)
    {
        var count = Flag(args, "--records", 20_000);
        var batch = Flag(args, "--batch", 256);
        var rounds = Flag(args, "--rounds", 5);
        var queryRecords = Flag(args, "--query-records", 60_000);
        var queries = Flag(args, "--queries", 200);
        var given = Option(args, "--cluster");
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("scale-out: the cluster runs on Linux only");
            return 2;
        }

        var root = Directory.CreateTempSubdirectory("socs-bench-scaleout-").FullName;
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var clusterDir = given ?? Path.Combine(root, "cluster");
        try
        {
            if (given is null)
            {
                var watch = Stopwatch.StartNew();
                var (code, output) = await Script("up", clusterDir);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cluster: {output.Split('\n').FirstOrDefault(l => l.StartsWith("cluster.sh: up", StringComparison.Ordinal))?.Trim()} (wall {watch.Elapsed.TotalSeconds:F1} s)"));
                if (code != 0)
                {
                    Console.Error.WriteLine(output);
                    return 1;
                }
            }

            var connection = (await File.ReadAllTextAsync(Path.Combine(clusterDir, "connection-string"))).Trim();
            var schema = "bench_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
            await using var storage = await PostgreSqlStorage.OpenAsync(connection, schema);
            var clock = new FixedClock(Start.AddDays(70));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scale-out bench: {count} appends of 1 KiB sealed content in batches of {batch}, {rounds} rounds; newest-100 over {queryRecords} records in 3 JST months, {queries} queries"));

            var faster = new List<double>();
            var postgres = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                var records = Enumerable.Range(0, count).Select(i => Record(Start.AddDays(round).AddMilliseconds(i), i)).ToList();
                for (var k = 0; k < 2; k++)
                {
                    if ((k + round) % 2 == 0)
                    {
                        var dir = Path.Combine(root, $"faster-{round}");
                        using (var store = DetectionStore.Open(dir, RetentionSchedule.Default, clock))
                        {
                            faster.Add(count / (await Append(store, records, batch)).TotalSeconds);
                        }

                        Directory.Delete(dir, recursive: true);
                    }
                    else
                    {
                        using var store = storage.Detections(RetentionSchedule.Default, clock);
                        postgres.Add(count / (await Append(store, records, batch)).TotalSeconds);
                    }
                }
            }

            Console.WriteLine($"append   {"store",-58} records/s, median (min–max)");
            Report("FASTER DetectionStore (one node, fsync per commit)", faster);
            Report("PostgreSqlDetectionStore (3 nodes, synchronous replica)", postgres);
            var ratios = postgres.Zip(faster, (p, f) => p / f).ToList(); // per alternating round
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"         PostgreSQL / FASTER per round: {Median(ratios):F2} ({ratios.Min():F2}–{ratios.Max():F2})"));

            // Newest 100: preload both stores with the same records over three months, then time the first page.
            var preload = Enumerable.Range(0, queryRecords).Select(i => Record(Start.AddSeconds(i * (90.0 * 86400 / queryRecords)), i)).ToList();
            var qdir = Path.Combine(root, "faster-query");
            using var fasterStore = DetectionStore.Open(qdir, RetentionSchedule.Default, clock);
            await Append(fasterStore, preload, 1024);
            await using var qstorage = await PostgreSqlStorage.OpenAsync(connection, schema + "_q");
            using var pgStore = qstorage.Detections(RetentionSchedule.Default, clock);
            await Append(pgStore, preload, 1024);
            var query = new DetectionQuery { Participant = Who, From = Start, To = Start.AddDays(100), Limit = 100 };
            var fasterLatency = await Latency(fasterStore, query, queries);
            var pgLatency = await Latency(pgStore, query, queries);
            Console.WriteLine($"newest-100 {"store",-56} ms, median / p95");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"         {"FASTER DetectionStore",-58} {Percentile(fasterLatency, 50):F2} / {Percentile(fasterLatency, 95):F2}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"         {"PostgreSqlDetectionStore (primary, row-level security)",-58} {Percentile(pgLatency, 50):F2} / {Percentile(pgLatency, 95):F2}"));

            await DropSchema(clusterDir, schema);
            await DropSchema(clusterDir, schema + "_q");
            return 0;
        }
        finally
        {
            if (given is null && File.Exists(Path.Combine(clusterDir, "cluster.env")))
            {
                await Script("down", clusterDir);
            }

            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<TimeSpan> Append(IDetectionStore store, List<DetectionRecord> records, int batch)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < records.Count; i += batch)
        {
            await store.AppendAsync(records.GetRange(i, Math.Min(batch, records.Count - i)));
        }

        return watch.Elapsed;
    }

    private static async Task<List<double>> Latency(IDetectionStore store, DetectionQuery query, int queries)
    {
        for (var i = 0; i < 10; i++)
        {
            await store.QueryAsync(query);
        }

        var result = new List<double>(queries);
        for (var i = 0; i < queries; i++)
        {
            var watch = Stopwatch.StartNew();
            var page = await store.QueryAsync(query);
            result.Add(watch.Elapsed.TotalMilliseconds);
            if (page.Records.Count != 100)
            {
                throw new InvalidOperationException($"newest-100 returned {page.Records.Count} records");
            }
        }

        return result;
    }

    private static async Task DropSchema(string clusterDir, string schema)
    {
        var env = File.ReadAllLines(Path.Combine(clusterDir, "cluster.env")).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        var (_, leader) = await Script("leader", clusterDir);
        var port = env[$"PG_PORT_{leader.Trim()}"];
        await using var connection = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={port};Database=socs;Username=postgres;Password={env["SUPERUSER_PASSWORD"]};Pooling=false");
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"DROP SCHEMA {schema} CASCADE; DROP ROLE {schema}_portal", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<(int Code, string Output)> Script(string verb, string dir)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "scripts", "cluster.sh")))
        {
            root = root.Parent;
        }

        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(root!.FullName, "scripts", "cluster.sh"));
        start.ArgumentList.Add(verb);
        start.ArgumentList.Add(dir);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stderr) + (await stdout));
    }

    private static void Report(string name, List<double> rates) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"         {name,-58} {Median(rates),9:F0} ({rates.Min():F0}–{rates.Max():F0})"));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static double Percentile(List<double> values, int p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];
    }

    private static DetectionRecord Record(DateTimeOffset at, int i)
    {
        var content = new byte[1024];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(content, i);
        return new DetectionRecord
        {
            Id = DetectionId.New(at),
            Participant = Who,
            Epoch = new EpochId(Who, 2900 + (i % 13)),
            Header = new DetectionHeader
            {
                ObservedAt = at,
                Source = new IPAddress(0xC6336400u + (uint)(i & 0xFF)),
                Destination = IPAddress.Parse("192.0.2.10"),
                Protocol = 6,
                SourcePort = (ushort)(1024 + (i % 60000)),
                DestinationPort = 22,
                TcpFlags = 0x18,
                CapturedLength = 1084,
                WireLength = 1084,
                ContentLength = 1024,
                HeaderBytes = new byte[54],
            },
            Rule = new RuleRef(i % 64, 1, "ET SCAN potential SSH scan", "attempted-recon", 2),
            SealedContent = content,
        };
    }

    private static int Flag(string[] args, string name, int fallback) =>
        Option(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
