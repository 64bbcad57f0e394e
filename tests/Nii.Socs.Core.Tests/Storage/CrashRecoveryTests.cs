using System.Diagnostics;
using System.Security.Cryptography;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Storage;
using Xunit.Abstractions;

namespace Nii.Socs.Core.Tests.Storage;

/// <summary>Ingestion in a child process killed with SIGKILL at random moments; after each restart nothing acknowledged is lost.</summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int Rounds = 8;

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task Every_acknowledged_record_survives_SIGKILL_and_nothing_half_written_appears()
    {
        using var dir = new TempDir();
        var acked = new HashSet<DetectionId>();
        long ackedHistory = 0;
        var kills = new List<int>();
        for (var round = 0; round < Rounds; round++)
        {
            // Kill between 50 ms and 800 ms after the first acknowledgement of this round: mid-batch, mid-commit or mid-index.
            var delay = 50 + RandomNumberGenerator.GetInt32(750);
            kills.Add(delay);
            var (ids, history) = await RunAndKillAsync(dir.Path, round, delay);
            acked.UnionWith(ids);
            ackedHistory = Math.Max(ackedHistory, history);

            using var store = DetectionStore.Open(dir.Path);
            var present = new HashSet<DetectionId>();
            foreach (var (participant, month) in store.Partitions())
            {
                foreach (var (_, bytes) in store.Partition(participant, month)!.ScanRaw())
                {
                    // Every stored record decodes whole and its content is exactly what the child wrote for that id.
                    var record = DetectionCodec.Decode(bytes);
                    Assert.Equal(ContentOf(record.Id), record.SealedContent.ToArray());
                    Assert.True(present.Add(record.Id), $"record {record.Id} is stored twice");
                }
            }

            var missing = acked.Where(id => !present.Contains(id)).ToList();
            Assert.True(missing.Count == 0, $"round {round}: {missing.Count} acknowledged record(s) missing, e.g. {missing.FirstOrDefault()}");
            foreach (var id in ids.Take(20))
            {
                var found = await store.FindAsync(new("u-tokyo"), id) ?? await store.FindAsync(new("kyoto-u"), id);
                Assert.NotNull(found);
            }

            var verification = OperationHistoryStore.Verify(dir.Path);
            Assert.True(verification is Nii.Socs.Core.Audit.HistoryVerification.Intact, $"round {round}: {verification}");
            Assert.True(((Nii.Socs.Core.Audit.HistoryVerification.Intact)verification).Entries >= ackedHistory, $"round {round}: history lost acknowledged entries: {verification}");
            // R6.4: a kill -9 leaves at most one checkpoint interval (7 entries in the child) unsigned.
            var intact = (Nii.Socs.Core.Audit.HistoryVerification.Intact)verification;
            Assert.True(intact.Entries - intact.SignedThrough <= 7, $"round {round}: more than one interval unsigned: {verification}");
        }

        output.WriteLine($"{Rounds} kills after {string.Join(", ", kills)} ms; {acked.Count} acknowledged records, {ackedHistory} history entries, all present");
        Assert.True(acked.Count > Rounds, "the child acknowledged too little for the test to mean anything");
    }

    private static async Task<(List<DetectionId> Ids, long History)> RunAndKillAsync(string data, int seed, int delayMs)
    {
        var child = Path.Combine(AppContext.BaseDirectory, "Nii.Socs.CrashChild.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add(data);
        start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(start)!;
        var ids = new List<DetectionId>();
        long history = 0;
        var firstAck = new TaskCompletionSource();
        var reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("ack ", StringComparison.Ordinal) && DetectionId.TryParse(line[4..], out var id))
                {
                    lock (ids)
                    {
                        ids.Add(id);
                    }

                    firstAck.TrySetResult();
                }
                else if (line.StartsWith("hist ", StringComparison.Ordinal))
                {
                    history = long.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        });
        var errors = process.StandardError.ReadToEndAsync();
        var started = await Task.WhenAny(firstAck.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
        if (!firstAck.Task.IsCompleted)
        {
            process.Kill();
            throw new InvalidOperationException("The crash child acknowledged nothing: " + await errors);
        }

        await Task.Delay(delayMs);
        process.Kill(); // SIGKILL on Unix: no finally blocks, no flush, no shutdown checkpoint.
        await process.WaitForExitAsync();
        await reader;
        lock (ids)
        {
            return (ids.ToList(), history);
        }
    }

    private static byte[] ContentOf(DetectionId id)
    {
        var hash = SHA256.HashData(id.Value.ToByteArray());
        var content = new byte[1024];
        for (var i = 0; i < content.Length; i += hash.Length)
        {
            hash.CopyTo(content, i);
        }

        return content;
    }
}
