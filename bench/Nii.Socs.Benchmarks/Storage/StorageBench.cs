using System.Diagnostics;
using System.Globalization;
using System.Net;
using FASTER.core;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Benchmarks.Storage;

/// <summary>
/// Hand-timed storage benchmark (a Stopwatch runner, so a run stays within a couple of minutes on a shared 2-core box).
/// Part 1: append throughput of 1 KiB-content detection records through DetectionStore (group commit per batch)
/// against raw FasterLog Enqueue + CommitAsync of the same encoded bytes with the store's own FasterLog settings, and a
/// plain FileStream write + fsync per batch; --rounds alternating rounds (order rotating), medians with min–max, ratios
/// per round. Options: --records N (default 50,000; 1,000,000 for the issue's size), --batch, --rounds, --query-records.
/// Part 2: "newest 100" query latency over N records spread over 3 JST months, against 100 raw FasterLog reads.
/// Part 3: a retention sweep (reopen + plan from partition metadata + delete the one expired partition) at
/// --sweep-small (10,000) and --sweep-large (1,000,000) records over 4 months, and the ratio of the two (#16: the
/// cost must not grow with the records). --parts append,query,sweep picks the parts (default all).
/// </summary>
public static class StorageBench
{
    private static readonly ParticipantId Who = new("u-tokyo");

    public static async Task<int> RunAsync(string[] args)
    {
        var appendCount = Flag(args, "--records", 50_000);
        var queryCount = Flag(args, "--query-records", 1_000_000);
        var batch = Flag(args, "--batch", 256);
        var months = Flag(args, "--months", 3);
        var rounds = Flag(args, "--rounds", 5);
        var root = Directory.CreateTempSubdirectory("socs-bench-storage-").FullName;
        try
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"storage bench: {appendCount} appends of 1 KiB content in batches of {batch}; query over {queryCount} records in {months} months"));
            var parts = args.SkipWhile(a => a != "--parts").Skip(1).FirstOrDefault()?.Split(',') ?? ["append", "query", "sweep"];
            if (parts.Contains("append"))
            {
                await AppendAsync(root, appendCount, batch, rounds);
            }

            if (parts.Contains("query"))
            {
                await QueryAsync(root, queryCount, months);
            }

            if (parts.Contains("sweep"))
            {
                await SweepAsync(root, Flag(args, "--sweep-small", 10_000), "warm-up (JIT), not counted");
                var small = await SweepAsync(root, Flag(args, "--sweep-small", 10_000), "small");
                var large = await SweepAsync(root, Flag(args, "--sweep-large", 1_000_000), "large");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sweep   ratio large/small: {large.TotalMilliseconds / small.TotalMilliseconds:F2} (partitions opened: see above)"));
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task AppendAsync(string root, int count, int batch, int rounds)
    {
        var start = new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);
        var records = Enumerable.Range(0, count).Select(i => Record(start.AddMilliseconds(i), 1024, i)).ToList();
        var encoded = records.Select(DetectionCodec.Encode).ToList();
        var bytes = encoded.Sum(e => (long)e.Length);

        // Profile of the store's own CPU work per record, outside any log: the whole encode into the reused thread buffer
        // (DetectionPartition.Enqueue frames only head and tail there and FASTER copies the content into its page) and
        // building its index entry.
        var encodeWatch = Stopwatch.StartNew();
        foreach (var record in records)
        {
            DetectionCodec.Encode(record, DetectionCodec.ThreadBuffer());
        }

        var encodeNs = encodeWatch.Elapsed.TotalNanoseconds / count;
        var indexWatch = Stopwatch.StartNew();
        long sink = 0;
        for (var i = 0; i < records.Count; i++)
        {
            sink += IndexEntry.Of(records[i], i).SourceHash;
        }

        var indexNs = indexWatch.Elapsed.TotalNanoseconds / count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"profile encode into the thread buffer {encodeNs:F0} ns/record, index entry {indexNs:F0} ns/record ({bytes / count} B/record; checksum {sink % 10})"));

        // Warm-up of each path on a throwaway directory, so JIT is not measured.
        await StoreAppend(Path.Combine(root, "warm-store"), records.Take(batch * 2).ToList(), batch);
        await Breakdown(root, records, encoded, batch);
        await RawAppend(Path.Combine(root, "warm-raw"), encoded.Take(batch * 2).ToList(), batch);
        FileAppend(Path.Combine(root, "warm-file"), encoded.Take(batch * 2).ToList(), batch);

        // Alternating rounds, the order rotating, each path on a fresh directory deleted after it.
        var store = new List<double>();
        var raw = new List<double>();
        var file = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < 3; k++)
            {
                var dir = Path.Combine(root, $"round-{round}-{k}");
                switch ((k + round) % 3)
                {
                    case 0: store.Add((await StoreAppend(dir, records, batch)).TotalSeconds); break;
                    case 1: raw.Add((await RawAppend(dir, encoded, batch)).TotalSeconds); break;
                    default: file.Add(FileAppend(dir, encoded, batch).TotalSeconds); break;
                }

                Directory.Delete(dir, recursive: true);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"append  {"path",-52} {"records/s, median (min–max) of " + rounds,-40} {"ratio vs raw FasterLog, per round",-30}"));
        Report("DetectionStore.AppendAsync (encode+commit+index)", store);
        Report("raw FasterLog Enqueue + CommitAsync, same settings", raw);
        Report("FileStream Write + Flush(true)", file);

        void Report(string name, List<double> seconds)
        {
            var rate = Stats(seconds.Select(s => count / s));
            var ratio = Stats(seconds.Zip(raw, (s, r) => r / s));
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"append  {name,-52} {$"{rate.Median:F0} ({rate.Min:F0}–{rate.Max:F0})",-40} {$"{ratio.Median:F2} ({ratio.Min:F2}–{ratio.Max:F2})",-30}"));
        }
    }

    /// <summary>Where the wall time of one pass goes, per record: the store's enqueue step (id check, encode, copy into
    /// the log, index entry; under the partition's lock) and its commit wait (FASTER commit + group-commit hops + the
    /// sidecar write), against the raw path's enqueue loop and CommitAsync, on fresh directories, one pass each.</summary>
    private static async Task Breakdown(string root, List<DetectionRecord> records, List<byte[]> encoded, int batch)
    {
        var count = Math.Min(records.Count, 200_000);
        var storeDir = Path.Combine(root, "breakdown-store");
        double storeEnqueue = 0, storeCommit = 0, rawEnqueue = 0, rawCommit = 0;
        using (var store = DetectionStore.Open(storeDir, time: new FixedClock(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero))))
        {
            await store.AppendAsync(records.GetRange(0, batch));
            var partition = store.Partition(Who, Nii.Socs.Core.Time.JstMonth.Of(records[0].AcquiredAt))!;
            for (var i = batch; i < count; i += batch)
            {
                var t0 = Stopwatch.GetTimestamp();
                var (until, _) = partition.Enqueue(records.GetRange(i, Math.Min(batch, count - i)));
                var t1 = Stopwatch.GetTimestamp();
                await partition.EnsureCommittedAsync(until, CancellationToken.None);
                var t2 = Stopwatch.GetTimestamp();
                storeEnqueue += Stopwatch.GetElapsedTime(t0, t1).TotalNanoseconds;
                storeCommit += Stopwatch.GetElapsedTime(t1, t2).TotalNanoseconds;
            }
        }

        var rawDir = Path.Combine(root, "breakdown-raw");
        Directory.CreateDirectory(rawDir);
        using (var device = Devices.CreateLogDevice(Path.Combine(rawDir, "log"), preallocateFile: false, deleteOnClose: false, recoverDevice: true))
        using (var log = new FasterLog(RawSettings(device, rawDir)))
        {
            for (var i = 0; i < count; i += batch)
            {
                var t0 = Stopwatch.GetTimestamp();
                for (var j = i; j < Math.Min(count, i + batch); j++)
                {
                    log.Enqueue(encoded[j]);
                }

                var t1 = Stopwatch.GetTimestamp();
                await log.CommitAsync();
                var t2 = Stopwatch.GetTimestamp();
                if (i >= batch)
                {
                    rawEnqueue += Stopwatch.GetElapsedTime(t0, t1).TotalNanoseconds;
                    rawCommit += Stopwatch.GetElapsedTime(t1, t2).TotalNanoseconds;
                }
            }
        }

        Directory.Delete(storeDir, recursive: true);
        Directory.Delete(rawDir, recursive: true);
        var n = count - batch;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"profile wall ns/record over {n} records: store enqueue {storeEnqueue / n:F0} + commit wait {storeCommit / n:F0} = {(storeEnqueue + storeCommit) / n:F0}; raw enqueue {rawEnqueue / n:F0} + commit {rawCommit / n:F0} = {(rawEnqueue + rawCommit) / n:F0}"));
    }

    private static FasterLogSettings RawSettings(IDevice device, string dir) => new()
    {
        LogDevice = device,
        LogCommitDir = dir,
        PageSizeBits = 20,
        MemorySizeBits = 22,
        SegmentSizeBits = 28,
        TryRecoverLatest = true,
        RemoveOutdatedCommits = true,
        AutoRefreshSafeTailAddress = false,
    };

    private static (double Median, double Min, double Max) Stats(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        return (median, sorted[0], sorted[^1]);
    }

    private static async Task<TimeSpan> StoreAppend(string data, List<DetectionRecord> records, int batch)
    {
        using var store = DetectionStore.Open(data, time: new FixedClock(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)));
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < records.Count; i += batch)
        {
            await store.AppendAsync(records.GetRange(i, Math.Min(batch, records.Count - i)));
        }

        return watch.Elapsed;
    }

    private static async Task<TimeSpan> RawAppend(string dir, List<byte[]> encoded, int batch)
    {
        Directory.CreateDirectory(dir);
        // The settings of the store's own logs (Core/Storage/FasterLogHandle.cs), so only the store's own work differs.
        using var device = Devices.CreateLogDevice(Path.Combine(dir, "log"), preallocateFile: false, deleteOnClose: false, recoverDevice: true);
        using var log = new FasterLog(new FasterLogSettings
        {
            LogDevice = device,
            LogCommitDir = dir,
            PageSizeBits = 20,
            MemorySizeBits = 22,
            SegmentSizeBits = 28,
            TryRecoverLatest = true,
            RemoveOutdatedCommits = true,
            AutoRefreshSafeTailAddress = false,
        });
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < encoded.Count; i += batch)
        {
            var end = Math.Min(encoded.Count, i + batch);
            for (var j = i; j < end; j++)
            {
                log.Enqueue(encoded[j]);
            }

            await log.CommitAsync();
        }

        return watch.Elapsed;
    }

    private static TimeSpan FileAppend(string dir, List<byte[]> encoded, int batch)
    {
        Directory.CreateDirectory(dir);
        using var file = new FileStream(Path.Combine(dir, "plain.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var watch = Stopwatch.StartNew();
        Span<byte> length = stackalloc byte[4];
        for (var i = 0; i < encoded.Count; i += batch)
        {
            var end = Math.Min(encoded.Count, i + batch);
            for (var j = i; j < end; j++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, encoded[j].Length);
                file.Write(length);
                file.Write(encoded[j]);
            }

            file.Flush(flushToDisk: true);
        }

        return watch.Elapsed;
    }

    private static async Task QueryAsync(string root, int count, int months)
    {
        var data = Path.Combine(root, "query");
        // The months before 2026-12 (JST), e.g. 2026-09 to 2026-11 for 3; 64-byte content keeps the disk footprint small.
        var first = new Nii.Socs.Core.Time.JstMonth(2026, 12).Plus(-months).Start;
        var span = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(9)) - first;
        var step = span.Ticks / count;
        // The clock sits just after the range, with retention long enough that nothing is refused as expired.
        var clock = new FixedClock(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var schedule = new Nii.Socs.Core.Retention.RetentionSchedule(new Nii.Socs.Core.Retention.RetentionPolicy(Nii.Socs.Core.Retention.RetentionPolicy.MaxMonths), []);
        var fill = Stopwatch.StartNew();
        using (var store = DetectionStore.Open(data, schedule, clock))
        {
            const int chunk = 4096;
            for (var i = 0; i < count; i += chunk)
            {
                var n = Math.Min(chunk, count - i);
                var list = new List<DetectionRecord>(n);
                for (var j = 0; j < n; j++)
                {
                    list.Add(Record(first.AddTicks(step * (i + j)), 64, i + j));
                }

                await store.AppendAsync(list);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"query   filled {count} records in {fill.Elapsed.TotalSeconds:F1} s ({count / fill.Elapsed.TotalSeconds:F0} records/s, batches of 4096)"));

        var open = Stopwatch.StartNew();
        using var reopened = DetectionStore.Open(data, schedule, clock);
        var query = new DetectionQuery { Participant = Who, From = first, To = first + span, Limit = 100 };
        var warm = await reopened.QueryAsync(query);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"query   reopen + first newest-100 (loads the newest partition's sidecar): {open.Elapsed.TotalMilliseconds:F0} ms"));

        const int repeats = 200;
        var newest = Time(repeats, () => reopened.QueryAsync(query));
        var second = Time(repeats, () => reopened.QueryAsync(query with { Cursor = warm.Next }));
        var bySid = Time(repeats, () => reopened.QueryAsync(query with { RuleSid = 7 }));
        var oldestMonth = Time(repeats, () => reopened.QueryAsync(query with { To = first.AddDays(10) }));

        // Reference: the 100 FasterLog reads any newest-100 page must do at least.
        var partition = reopened.Partition(Who, new Nii.Socs.Core.Time.JstMonth(2026, 11))!;
        var addresses = partition.Candidates(long.MaxValue, Guid.Empty, 0, null, null, 100).Select(e => e.Address).ToList();
        var rawReads = Time(repeats, async () =>
        {
            foreach (var address in addresses)
            {
                await partition.ReadAsync(address, CancellationToken.None);
            }

            return warm;
        });

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"query   {"what",-44} {"median µs",10} {"p99 µs",10} {"ratio vs 100 raw reads",24}"));
        Row($"newest 100 ({months} months stored)", await newest);
        Row("second page via cursor", await second);
        Row("newest 100 filtered by rule sid (1/64)", await bySid);
        Row("newest 100 of the oldest month", await oldestMonth);
        Row("100 raw FasterLog reads (reference)", await rawReads);

        void Row(string name, (double Median, double P99) t) => Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture, $"query   {name,-44} {t.Median,10:F0} {t.P99,10:F0} {t.Median / rawReads.Result.Median,24:F2}"));
    }

    /// <summary>Fills <paramref name="count"/> records over 4 JST months (2026-09 to 2026-12), closes the store, then times
    /// reopen + one real sweep at 2027-01-01T00:00+09:00, when 2026-09 has expired (3 months) and the others not.</summary>
    private static async Task<TimeSpan> SweepAsync(string root, int count, string label)
    {
        var data = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"sweep-{count}-{label.Split(' ')[0]}"));
        var first = new Nii.Socs.Core.Time.JstMonth(2026, 9).Start;
        var step = (new Nii.Socs.Core.Time.JstMonth(2027, 1).Start - first).Ticks / count;
        var fillClock = new FixedClock(first);
        var schedule = Nii.Socs.Core.Retention.RetentionSchedule.Default;
        using (var store = DetectionStore.Open(data, new Nii.Socs.Core.Retention.RetentionSchedule(new Nii.Socs.Core.Retention.RetentionPolicy(Nii.Socs.Core.Retention.RetentionPolicy.MaxMonths), []), fillClock))
        {
            const int chunk = 4096;
            for (var i = 0; i < count; i += chunk)
            {
                var n = Math.Min(chunk, count - i);
                var list = new List<DetectionRecord>(n);
                for (var j = 0; j < n; j++)
                {
                    list.Add(Record(first.AddTicks(step * (i + j)), 64, i + j));
                }

                await store.AppendAsync(list);
            }
        }

        var clock = new FixedClock(new Nii.Socs.Core.Time.JstMonth(2027, 1).Start);
        await using var history = OperationHistoryStore.Open(data, clock);
        var watch = Stopwatch.StartNew();
        using var reopened = DetectionStore.Open(data, schedule, clock);
        var report = await new RetentionSweeper(reopened, new WrappedKeyDirectory(data), history, clock).SweepAsync();
        watch.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sweep   {label,-28} {count,9} records: reopen + sweep {watch.Elapsed.TotalMilliseconds,8:F1} ms, {report.Partitions.Count} partition(s) deleted, {reopened.PartitionsOpened} partition(s) opened"));
        return watch.Elapsed;
    }

    private static async Task<(double Median, double P99)> Time(int repeats, Func<Task<DetectionPage>> action)
    {
        await action();
        var samples = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            var page = await action();
            samples[i] = watch.Elapsed.TotalMicroseconds;
            if (page.Records.Count == 0)
            {
                throw new InvalidOperationException("The benchmark query returned nothing.");
            }
        }

        Array.Sort(samples);
        return (samples[repeats / 2], samples[(int)(repeats * 0.99)]);
    }

    private static DetectionRecord Record(DateTimeOffset at, int contentLength, int i)
    {
        var content = new byte[contentLength];
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
                CapturedLength = 60 + contentLength,
                WireLength = 60 + contentLength,
                ContentLength = contentLength,
                HeaderBytes = new byte[54],
            },
            Rule = new RuleRef(i % 64, 1, "ET SCAN potential SSH scan", "attempted-recon", 2),
            SealedContent = content,
        };
    }

    private static int Flag(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
