using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Core.Tests.Storage;

public sealed class OperationHistoryStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 1, 0, 0, TimeSpan.Zero);

    internal static async Task WriteHistoryAsync(string data, int entries, int interval)
    {
        var clock = new FakeTimeProvider(T0);
        await using var history = OperationHistoryStore.Open(data, clock, interval);
        for (var i = 0; i < entries; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await history.AppendAsync("org:yamada", "portal.view", $"detections/u-tokyo/{i}", $"page {i} of the list, 日本語 too");
        }
    }

    [Fact]
    public async Task Entries_are_chained_numbered_and_survive_reopen()
    {
        using var dir = new TempDir();
        await WriteHistoryAsync(dir.Path, 12, 5);
        await using (var history = OperationHistoryStore.Open(dir.Path, new FakeTimeProvider(T0)))
        {
            Assert.Equal(12, history.Count);
            var entry = await history.AppendAsync("system:test", "test.action", "subject", string.Empty);
            Assert.Equal(13, entry.Sequence);
        }

        var all = OperationHistoryStore.ReadAll(dir.Path);
        Assert.Equal(Enumerable.Range(1, 13).Select(i => (long)i), all.Select(e => e.Sequence));
        for (var i = 1; i < all.Count; i++)
        {
            Assert.Equal(all[i - 1].Hash.ToArray(), all[i].PreviousHash.ToArray());
        }

        // Checkpoints at 5 and 10, at the first shutdown (12) and at the second (13).
        Assert.Equal("ok 13 entries, last checkpoint #4 signed (entry 13)", OperationHistoryStore.Verify(dir.Path).ToString());
    }

    [Fact]
    public void Empty_data_directory_verifies_as_zero_entries()
    {
        using var dir = new TempDir();
        Assert.Equal("ok 0 entries, no signed checkpoint yet", OperationHistoryStore.Verify(dir.Path).ToString());
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "audit")));
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_truncated_tail_is_detected_against_the_last_signed_checkpoint()
    {
        using var dir = new TempDir();
        await WriteHistoryAsync(dir.Path, 20, 1000);
        var locations = OperationHistoryStore.EntryLocations(dir.Path);
        // Cut the log file in the middle of entry 15: FASTER recovers to its commit, the entries after it unreadable.
        var segment = Path.Combine(dir.Path, "audit", "log", "log.0");
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(locations[14].Address + 2);
        }

        var result = OperationHistoryStore.Verify(dir.Path);
        var broken = Assert.IsType<HistoryVerification.Broken>(result);
        Assert.Equal(15, broken.Sequence);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_removed_log_with_checkpoints_is_reported()
    {
        using var dir = new TempDir();
        await WriteHistoryAsync(dir.Path, 3, 1000);
        Directory.Delete(Path.Combine(dir.Path, "audit", "log"), recursive: true);
        Assert.IsType<HistoryVerification.Broken>(OperationHistoryStore.Verify(dir.Path));
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_forged_checkpoint_signature_is_reported()
    {
        using var dir = new TempDir();
        await WriteHistoryAsync(dir.Path, 3, 1000);
        var path = Path.Combine(dir.Path, "audit", "checkpoints.txt");
        var line = File.ReadAllText(path);
        var last = line.TrimEnd('\n');
        var flipped = last[..^1] + (last[^1] == '0' ? '1' : '0');
        File.WriteAllText(path, flipped + "\n");
        var broken = Assert.IsType<HistoryVerification.Broken>(OperationHistoryStore.Verify(dir.Path));
        Assert.Contains("signature", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_key_is_private_to_the_owner()
    {
        using var dir = new TempDir();
        await WriteHistoryAsync(dir.Path, 1, 1000);
        Assert.False(OperatingSystem.IsWindows(), "The data directory's permissions are Unix modes; this host runs Linux.");
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(Path.Combine(dir.Path, "audit", "signing.key"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }
    }
}
