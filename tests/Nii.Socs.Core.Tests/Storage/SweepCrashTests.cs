using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Xunit.Abstractions;
using static Nii.Socs.Core.Tests.Storage.StorageTestKit;

namespace Nii.Socs.Core.Tests.Storage;

/// <summary>A sweep killed with SIGKILL at random moments; the next sweep finishes it and no expired byte remains.</summary>
public sealed class SweepCrashTests(ITestOutputHelper output)
{
    private static readonly ParticipantId[] People = [new("u-tokyo"), new("kyoto-u")];

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_a_sweep_killed_at_any_moment_is_finished_by_the_next_one()
    {
        using var dir = new TempDir();
        var current = JstMonth.Of(TimeProvider.System.GetUtcNow());
        var expiredMarkers = new List<byte[]>();
        var liveMarkers = new List<byte[]>();
        var clock = new FakeTimeProvider(current.Plus(-30).Start.AddDays(1));
        using (var store = DetectionStore.Open(dir.Path, time: clock))
        {
            for (var back = 30; back >= 0; back--)
            {
                var month = current.Plus(-back);
                clock.SetUtcNow(month.Start.AddDays(1));
                foreach (var who in People)
                {
                    var marker = Encoding.ASCII.GetBytes($"MARK-{who}-{month}-{Guid.NewGuid():N}");
                    (back >= 4 ? expiredMarkers : liveMarkers).Add(marker);
                    await store.AppendAsync(Enumerable.Range(0, 10).Select(i => Record(who, month.Start.AddDays(1).AddMinutes(i), epoch: 100 - back, content: marker)).ToList());
                }
            }
        }

        var keys = new WrappedKeyDirectory(dir.Path);
        foreach (var who in People)
        {
            for (var epoch = 70L; epoch <= 100; epoch++)
            {
                Directory.CreateDirectory(keys.EpochDirectory(who, epoch));
                await File.WriteAllBytesAsync(Path.Combine(keys.EpochDirectory(who, epoch), "wrapped.bin"), RandomNumberGenerator.GetBytes(64));
            }
        }

        var delays = new List<int>();
        var progress = new List<int>();
        for (var round = 0; round < 4; round++)
        {
            // The first kill lands just after the first partition directory disappears (mid-deletion); later ones anywhere.
            var delay = round == 0 ? RandomNumberGenerator.GetInt32(20) : RandomNumberGenerator.GetInt32(1500);
            delays.Add(delay);
            var killed = await RunSweepAndKillAsync(dir.Path, delay, waitForFirstDeletion: round == 0);
            var done = OperationHistoryStore.ReadAll(dir.Path).Count(e => e.Action == "retention.partition.deleted");
            progress.Add(done);
            if (round == 0)
            {
                Assert.True(killed && done < People.Length * 27 && PartitionDirectories(dir.Path) < People.Length * 31, $"the first sweep was not interrupted mid-way ({done} deletions recorded)");
            }

            using var store = DetectionStore.Open(dir.Path);
            // Month M is gone from the start of M+4 (R7.3): the current month and the 3 before it are live.
            // Whatever is still listed opens whole; live months are all there.
            foreach (var (who, month) in store.Partitions())
            {
                Assert.NotNull(store.Stats(who, month));
            }

            Assert.All(liveMarkers, m => Assert.NotEmpty(FilesContaining(dir.Path, m)));
            Assert.StartsWith("ok ", OperationHistoryStore.Verify(dir.Path).ToString(), StringComparison.Ordinal);
        }

        using (var store = DetectionStore.Open(dir.Path))
        await using (var history = OperationHistoryStore.Open(dir.Path))
        {
            await new RetentionSweeper(store, keys, history, TimeProvider.System).SweepAsync();
            Assert.Equal(People.Length * 4, store.Partitions().Count);
        }

        Assert.All(expiredMarkers, m => Assert.Empty(FilesContaining(dir.Path, m)));
        Assert.All(liveMarkers, m => Assert.NotEmpty(FilesContaining(dir.Path, m)));
        Assert.StartsWith("ok ", OperationHistoryStore.Verify(dir.Path).ToString(), StringComparison.Ordinal);
        var deleted = OperationHistoryStore.ReadAll(dir.Path).Where(e => e.Action == "retention.partition.deleted").Select(e => e.Subject).ToHashSet();
        Assert.Equal(People.Length * 27, deleted.Count);
        output.WriteLine($"sweeps killed after {string.Join(", ", delays)} ms with {string.Join(", ", progress)} deletions recorded; {deleted.Count} after the final sweep");
    }

    private static int PartitionDirectories(string data) =>
        People.Sum(p => Directory.Exists(Path.Combine(data, "detections", p.Value)) ? Directory.GetDirectories(Path.Combine(data, "detections", p.Value)).Count(d => !Path.GetFileName(d).StartsWith('.')) : 0);

    private static async Task<bool> RunSweepAndKillAsync(string data, int delayMs, bool waitForFirstDeletion)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Nii.Socs.CrashChild.dll"));
        start.ArgumentList.Add("sweep");
        start.ArgumentList.Add(data);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(line == "sweeping", "the sweep child did not start: " + line + " " + (process.HasExited ? await errors : string.Empty));
        if (waitForFirstDeletion)
        {
            var before = PartitionDirectories(data);
            var watch = Stopwatch.StartNew();
            while (PartitionDirectories(data) == before && !process.HasExited && watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(1);
            }
        }

        await Task.Delay(delayMs);
        var killed = !process.HasExited;
        if (killed)
        {
            process.Kill();
        }

        await process.WaitForExitAsync();
        return killed;
    }
}
