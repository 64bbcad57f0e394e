using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Research;
using Nii.Socs.Host.Research;

namespace Nii.Socs.Benchmarks.Research;

/// <summary>Hand-timed runner for the research area: Crypto-PAn addresses per second (naive one-AES-per-bit
/// against the table-and-batch form, in one run) and export rows per second. Prints ratios.</summary>
internal static class ResearchBench
{
    public static int Run()
    {
        var key = Convert.FromHexString("1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202");
        var random = new Random(20261129);
        using var pan = new CryptoPan(key);
        Console.WriteLine($"research bench: {Environment.ProcessorCount} cores, AES-NI {System.Runtime.Intrinsics.X86.Aes.IsSupported}");

        // Realistic locality: addresses from 256 /16 networks (a national SOC's traffic concentrates on
        // participants' prefixes and busy scanners).
        var networks = Enumerable.Range(0, 256).Select(_ => (uint)random.Next(0, 1 << 16) << 16).ToArray();
        var local = Enumerable.Range(0, 4_000_000).Select(_ => networks[random.Next(networks.Length)] | (uint)random.Next(0, 1 << 16)).ToArray();
        var output = new uint[local.Length];
        pan.AnonymizeIPv4(local.AsSpan(0, 100_000), output);

        // IPv4, naive: 32 AES blocks per address, encrypted in one call.
        var naiveInput = local[..20_000];
        var naive = Rate(naiveInput.Length, () =>
        {
            uint sink = 0;
            foreach (var a in naiveInput)
            {
                sink ^= CryptoPanReference.AnonymizeIPv4(pan, a);
            }

            return sink;
        });
        Print("ipv4 naive (32 AES blocks, 1 call), 256 /16s", naive, naive);

        // IPv4, one call per address through the public single-address API.
        var single = Rate(naiveInput.Length * 5, () =>
        {
            uint sink = 0;
            for (var r = 0; r < 5; r++)
            {
                foreach (var a in naiveInput)
                {
                    sink ^= pan.AnonymizeIPv4(a);
                }
            }

            return sink;
        });
        Print("ipv4 fast, one call per address", single, naive);

        // IPv4, batch, same locality.
        var batchLocal = Rate(local.Length, () =>
        {
            pan.AnonymizeIPv4(local, output);
            return output[^1];
        });
        Print("ipv4 fast batch, 256 /16s", batchLocal, naive);

        // IPv4, batch, uniformly random addresses on a fresh instance: includes filling the /16 tables.
        using var cold = new CryptoPan(key);
        var uniform = Enumerable.Range(0, 4_000_000).Select(_ => (uint)random.NextInt64(0, 1L << 32)).ToArray();
        var batchUniform = Rate(uniform.Length, () =>
        {
            cold.AnonymizeIPv4(uniform, output);
            return output[^1];
        });
        Print("ipv4 fast batch, uniform, cold", batchUniform, naive);

        // IPv6.
        var v6 = Enumerable.Range(0, 2_000).Select(_ => new UInt128((ulong)random.NextInt64() | 0x2001_0000_0000_0000UL, (ulong)random.NextInt64())).ToArray();
        var naive6 = Rate(v6.Length, () =>
        {
            UInt128 sink = 0;
            foreach (var a in v6)
            {
                sink ^= CryptoPanReference.AnonymizeIPv6(pan, a);
            }

            return (uint)(sink & uint.MaxValue);
        });
        Print("ipv6 naive (128 AES blocks, 1 call)", naive6, naive6);
        var v6Many = Enumerable.Range(0, 200_000).Select(i => v6[i % 512] ^ (UInt128)(ulong)random.NextInt64()).ToArray();
        var out6 = new UInt128[v6Many.Length];
        var fast6 = Rate(v6Many.Length, () =>
        {
            pan.AnonymizeIPv6(v6Many, out6);
            return (uint)(out6[^1] & uint.MaxValue);
        });
        Print("ipv6 fast batch, 512 /64s", fast6, naive6);

        // Export rows per second, per format, from an in-memory source.
        var records = Records(200_000, random);
        using (var secret = ResearchSecret.Generate())
        using (var anonymizer = new ResearchAnonymizer(secret, TimeRandomization.Default, []))
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < records.Count; i += 4096)
            {
                anonymizer.Anonymize(records.GetRange(i, Math.Min(4096, records.Count - i)));
            }

            watch.Stop();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"anonymise rows only {records.Count / watch.Elapsed.TotalSeconds,14:N0} rows/s"));
        }

        foreach (var format in new[] { ResearchFormat.Csv, ResearchFormat.Parquet, ResearchFormat.Pcap })
        {
            var dir = Path.Combine(Path.GetTempPath(), "socs-bench-research-" + Guid.NewGuid().ToString("N"));
            try
            {
                using var secret = ResearchSecret.Generate();
                var request = new ResearchExportRequest(
                    new ResearchRecipient("bench-lab", "Bench", string.Empty),
                    DateTimeOffset.UnixEpoch.AddYears(56),
                    DateTimeOffset.UnixEpoch.AddYears(57),
                    format,
                    TimeRandomization.Default,
                    "rds-bench",
                    DateTimeOffset.UnixEpoch.AddYears(57),
                    dir);
                var identities = new[] { new ParticipantIdentity(new ParticipantId("bench-u"), "Bench University", ["noc@bench-u.ac.jp"], []) };
                var watch = Stopwatch.StartNew();
                ResearchExporter.ExportAsync(new ListSource(records), identities, request, secret, null, default).GetAwaiter().GetResult();
                watch.Stop();
                var rate = records.Count / watch.Elapsed.TotalSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"export {format,-8} {rate,14:N0} rows/s ({records.Count:N0} rows in {watch.Elapsed.TotalSeconds:F2} s)"));
            }
            finally
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        }

        return 0;
    }

    private static double Rate(int count, Func<uint> work)
    {
        var watch = Stopwatch.StartNew();
        var sink = work();
        watch.Stop();
        GC.KeepAlive(sink);
        return count / watch.Elapsed.TotalSeconds;
    }

    private static void Print(string name, double rate, double reference) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-34} {rate,14:N0} addresses/s  x{rate / reference,8:F1} vs naive"));

    private static List<DetectionRecord> Records(int count, Random random)
    {
        var start = DateTimeOffset.UnixEpoch.AddYears(56);
        var list = new List<DetectionRecord>(count);
        var participant = new ParticipantId("bench-u");
        for (var i = 0; i < count; i++)
        {
            var at = start.AddMilliseconds(i * 50);
            list.Add(new DetectionRecord
            {
                Id = DetectionId.New(at),
                Participant = participant,
                Epoch = new EpochId(participant, 100),
                Header = new DetectionHeader
                {
                    ObservedAt = at,
                    Source = new IPAddress((long)(uint)random.Next(1 << 20, 1 << 24)),
                    Destination = IPAddress.Parse("192.0.2." + (1 + (i % 250)).ToString(CultureInfo.InvariantCulture)),
                    Protocol = 6,
                    SourcePort = (ushort)random.Next(1024, 65535),
                    DestinationPort = 443,
                    TcpFlags = 2,
                    CapturedLength = 74,
                    WireLength = 74,
                },
                Rule = new RuleRef(2100000 + (i % 40), 1, "ET SCAN rule " + (i % 40).ToString(CultureInfo.InvariantCulture), "attempted-recon", 2),
            });
        }

        return list;
    }

    private sealed class ListSource(List<DetectionRecord> records) : IDetectionRangeReader
    {
        public async IAsyncEnumerable<DetectionRecord> ReadRangeAsync(DateTimeOffset start, DateTimeOffset until, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var record in records)
            {
                yield return record;
            }

            await Task.CompletedTask;
        }
    }
}
