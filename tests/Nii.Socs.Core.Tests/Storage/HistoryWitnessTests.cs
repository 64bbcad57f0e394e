using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Core.Tests.Storage;

/// <summary>An insider with a shell on the host tries to shorten or re-sign the history (R6.4).</summary>
public sealed class HistoryWitnessTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 1, 0, 0, TimeSpan.Zero);
    private readonly TempDir _root = new();

    private string Data => Path.Combine(_root.Path, "data");

    private string Witness => Path.Combine(_root.Path, "witness");

    public void Dispose() => _root.Dispose();

    private static async Task WriteAsync(string data, string? witness, int entries, int interval, string details = "page")
    {
        var clock = new FakeTimeProvider(T0);
        await using var history = OperationHistoryStore.Open(data, clock, interval, witnessDirectory: witness);
        for (var i = 0; i < entries; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await history.AppendAsync("org:yamada", i == 12 ? "consent.viewed" : "portal.view", $"detections/u-tokyo/{i}", $"{details} {i}");
        }
    }

    private string CheckpointFile => Path.Combine(Data, "audit", "checkpoints.txt");

    private void KeepCheckpointLines(Func<int, bool> keep)
    {
        var lines = File.ReadAllLines(CheckpointFile);
        File.WriteAllLines(CheckpointFile, lines.Where((_, i) => keep(i + 1)));
    }

    /// <summary>Zeroes the log from entry <paramref name="from"/> (1-based) to the end of the segment.</summary>
    private void ZeroFrom(int from)
    {
        var at = OperationHistoryStore.EntryLocations(Data)[from - 1].Address;
        var segment = Path.Combine(Data, "audit", "log", "log.0");
        var bytes = File.ReadAllBytes(segment);
        Array.Clear(bytes, checked((int)at), bytes.Length - (int)at);
        File.WriteAllBytes(segment, bytes);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task The_signing_key_a_host_lends_the_cluster_history_is_the_data_directorys_and_the_trusted_key_is_chosen_as_verify_chooses_it()
    {
        Assert.Null(OperationHistoryStore.TrustedKey(Data, null, null));

        // The key OpenSigningKey hands out is the one the FASTER history signs with: created once, mode 0600, stable.
        byte[] raw;
        using (var key = OperationHistoryStore.OpenSigningKey(Data))
        {
            raw = key.PublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Data, "audit", "signing.key")));
        }

        using (var again = OperationHistoryStore.OpenSigningKey(Data))
        {
            Assert.Equal(raw, again.PublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey));
        }

        await WriteAsync(Data, Witness, 10, 5);
        Assert.Equal(raw, File.ReadAllBytes(Path.Combine(Witness, "signing.pub")));

        // Without a witness: the data directory's own key; with one: its pinned key; --public-key beats both.
        Assert.Equal(raw, OperationHistoryStore.TrustedKey(Data, null, null)!.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey));
        var pinned = Path.Combine(Witness, "signing.pub");
        using (var other = NSec.Cryptography.Key.Create(NSec.Cryptography.SignatureAlgorithm.Ed25519))
        {
            var otherRaw = other.PublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey);
            var otherFile = Path.Combine(_root.Path, "other.pub");
            await File.WriteAllTextAsync(otherFile, Convert.ToHexStringLower(otherRaw) + "\n");
            Assert.Equal(otherRaw, OperationHistoryStore.TrustedKey(Data, Witness, otherFile)!.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey));
            await File.WriteAllBytesAsync(pinned, otherRaw);
            Assert.Equal(otherRaw, OperationHistoryStore.TrustedKey(Data, Witness, null)!.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey));
        }

        var junk = Path.Combine(_root.Path, "junk.pub");
        await File.WriteAllTextAsync(junk, "not a key");
        Assert.Throws<InvalidDataException>(() => OperationHistoryStore.TrustedKey(Data, null, junk));
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_zeroed_tail_and_removed_trailing_checkpoints_fail_verify_naming_the_first_missing_entry_without_a_witness()
    {
        await WriteAsync(Data, null, 20, 5);
        ZeroFrom(13);
        KeepCheckpointLines(n => n <= 2);

        var broken = Assert.IsType<HistoryVerification.Broken>(OperationHistoryStore.Verify(Data));
        Assert.Equal(13, broken.Sequence);
        Assert.Contains("commit record", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_zeroed_tail_and_removed_trailing_checkpoints_fail_verify_naming_the_first_missing_entry_with_a_witness()
    {
        await WriteAsync(Data, Witness, 20, 5);
        Assert.Equal(File.ReadAllText(CheckpointFile), File.ReadAllText(Path.Combine(Witness, "checkpoints.txt")));
        ZeroFrom(13);
        KeepCheckpointLines(n => n <= 2);

        var broken = Assert.IsType<HistoryVerification.Broken>(OperationHistoryStore.Verify(Data, Witness, null));
        Assert.Equal(13, broken.Sequence);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_a_cleanly_rewritten_shorter_history_passes_alone_but_the_witness_names_the_first_missing_entry()
    {
        await WriteAsync(Data, Witness, 20, 5);
        // The insider rebuilds the history with only its first 12 entries, with the organization's own key and the
        // same clock, and keeps only the checkpoints that still match: a log whose commit record is consistent.
        var forged = Path.Combine(_root.Path, "forged");
        Directory.CreateDirectory(Path.Combine(forged, "audit"));
        foreach (var file in new[] { "signing.key", "signing.pub" })
        {
            File.Copy(Path.Combine(Data, "audit", file), Path.Combine(forged, "audit", file));
        }

        await WriteAsync(forged, null, 12, 5);
        var lines = File.ReadAllLines(Path.Combine(forged, "audit", "checkpoints.txt"));
        File.WriteAllLines(Path.Combine(forged, "audit", "checkpoints.txt"), lines.Take(2));
        Assert.IsType<HistoryVerification.Intact>(OperationHistoryStore.Verify(forged));

        var broken = Assert.IsType<HistoryVerification.Broken>(OperationHistoryStore.Verify(forged, Witness, null));
        Assert.Equal(13, broken.Sequence);
        Assert.Contains("the witness's checkpoint #3 signed entry 15", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_a_removed_middle_checkpoint_is_a_gap_in_the_chain()
    {
        await WriteAsync(Data, Witness, 20, 5);
        KeepCheckpointLines(n => n != 2);

        var alone = Assert.IsType<HistoryVerification.Broken>(OperationHistoryStore.Verify(Data));
        Assert.Equal(6, alone.Sequence);
        Assert.Contains("checkpoint #2 is missing", alone.Reason, StringComparison.Ordinal);
        // The witness still holds #2, so with it the chain is whole again and verify passes: nothing was lost.
        Assert.IsType<HistoryVerification.Intact>(OperationHistoryStore.Verify(Data, Witness, null));
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_a_replaced_signing_key_is_reported_by_the_witness_and_by_a_kept_public_key()
    {
        await WriteAsync(Data, Witness, 20, 5);
        var kept = Path.Combine(_root.Path, "kept.pub");
        File.Copy(Path.Combine(Witness, "signing.pub"), kept);
        // The insider rewrites the whole history under a new key of their own.
        Directory.Delete(Path.Combine(Data, "audit"), recursive: true);
        await WriteAsync(Data, null, 20, 5, "nothing to see");
        Assert.IsType<HistoryVerification.Intact>(OperationHistoryStore.Verify(Data));

        var withWitness = Assert.IsType<HistoryVerification.Broken>(OperationHistoryStore.Verify(Data, Witness, null));
        Assert.Contains("the signing key changed", withWitness.Reason, StringComparison.Ordinal);
        Assert.Equal(5, withWitness.Sequence);
        var withKey = Assert.IsType<HistoryVerification.Broken>(OperationHistoryStore.Verify(Data, null, kept));
        Assert.Contains("the signing key changed", withKey.Reason, StringComparison.Ordinal);
        Assert.Equal(1, withKey.Sequence);
        // Nor does the store append to it under the witness: the witness pinned the old key.
        Assert.Throws<InvalidDataException>(() => OperationHistoryStore.Open(Data, new FakeTimeProvider(T0), witnessDirectory: Witness));
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_a_key_swapped_in_the_data_directory_shows_without_a_witness()
    {
        await WriteAsync(Data, null, 10, 5);
        File.Delete(Path.Combine(Data, "audit", "signing.key"));
        File.Delete(Path.Combine(Data, "audit", "signing.pub"));
        // The next run makes a new key and signs its checkpoint with it.
        await using (var history = OperationHistoryStore.Open(Data, new FakeTimeProvider(T0.AddHours(1))))
        {
            await history.AppendAsync("org:yamada", "portal.view", "x", string.Empty);
        }

        var broken = Assert.IsType<HistoryVerification.Broken>(OperationHistoryStore.Verify(Data));
        Assert.Contains("the signing key changed", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_the_witness_catches_up_and_refuses_a_data_directory_that_lost_checkpoints()
    {
        await WriteAsync(Data, null, 10, 5);
        // A witness configured later receives every checkpoint so far on open.
        await using (var history = OperationHistoryStore.Open(Data, new FakeTimeProvider(T0), witnessDirectory: Witness))
        {
            Assert.Equal(File.ReadAllText(CheckpointFile), File.ReadAllText(Path.Combine(Witness, "checkpoints.txt")));
            Assert.Equal(history.LastCheckpoint!.ToLine(), File.ReadAllLines(Path.Combine(Witness, "checkpoints.txt"))[^1]);
        }

        KeepCheckpointLines(n => n <= 1);
        Assert.Throws<InvalidDataException>(() => OperationHistoryStore.Open(Data, new FakeTimeProvider(T0), witnessDirectory: Witness));
        Assert.Throws<ArgumentException>(() => OperationHistoryStore.Open(Data, new FakeTimeProvider(T0), witnessDirectory: Path.Combine(Data, "w")));
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_a_timed_checkpoint_signs_unsigned_entries_while_running()
    {
        var clock = new FakeTimeProvider(T0);
        await using var history = OperationHistoryStore.Open(Data, clock, 1000, TimeSpan.FromMinutes(1), Witness);
        for (var i = 0; i < 3; i++)
        {
            await history.AppendAsync("org:yamada", "portal.view", "x", string.Empty);
        }

        Assert.Null(history.LastCheckpoint);
        clock.Advance(TimeSpan.FromMinutes(1));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (history.LastCheckpoint is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(3, history.LastCheckpoint?.Sequence);
        Assert.Single(File.ReadAllLines(Path.Combine(Witness, "checkpoints.txt")));
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_reading_by_position_returns_the_same_entries_as_a_full_scan()
    {
        await WriteAsync(Data, null, 30, 1000);
        await using var history = OperationHistoryStore.Open(Data, new FakeTimeProvider(T0));
        var all = history.Entries();
        Assert.Equal(30, all.Count);
        Assert.Equal(all.Skip(9).Take(7).Select(e => e.Sequence), history.Read(10, 7).Select(e => e.Sequence));
        Assert.Equal([30L], history.Read(30, 5).Select(e => e.Sequence));
        Assert.Empty(history.Read(31, 5));
        var appended = await history.AppendAsync("org:yamada", "portal.view", "y", string.Empty);
        Assert.Equal(appended.Hash.ToArray(), history.Read(31, 1).Single().Hash.ToArray());
    }

    /// <summary>A second history signed with the same key (what a host whose <c>Socs:Storage:Provider</c> changed has:
    /// the data directory's key, a new history on the cluster).</summary>
    private string NewHistoryWithTheSameKey(string name = "other")
    {
        var other = Path.Combine(_root.Path, name);
        Directory.CreateDirectory(Path.Combine(other, "audit"));
        foreach (var file in new[] { "signing.key", "signing.pub" })
        {
            File.Copy(Path.Combine(Data, "audit", file), Path.Combine(other, "audit", file));
        }

        return other;
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_a_new_history_given_the_old_historys_witness_is_refused_in_one_line_naming_the_witness_setting()
    {
        await WriteAsync(Data, Witness, 10, 5);
        var witnessed = File.ReadAllText(Path.Combine(Witness, "checkpoints.txt"));
        var other = NewHistoryWithTheSameKey();

        // Fewer checkpoints than the witness holds: refused at open.
        await WriteAsync(other, null, 3, 5, "another history");
        var fewer = Assert.Throws<InvalidDataException>(() => OperationHistoryStore.Open(other, new FakeTimeProvider(T0), witnessDirectory: Witness));
        Assert.Contains("Socs:Audit:WitnessDirectory", fewer.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', fewer.Message);

        // As many, but another last checkpoint: refused at open.
        var third = NewHistoryWithTheSameKey("third");
        await WriteAsync(third, null, 10, 5, "a third history");
        var same = Assert.Throws<InvalidDataException>(() => OperationHistoryStore.Open(third, new FakeTimeProvider(T0), witnessDirectory: Witness));
        Assert.Contains("holds another checkpoint #2", same.Message, StringComparison.Ordinal);
        Assert.Equal(witnessed, File.ReadAllText(Path.Combine(Witness, "checkpoints.txt")));
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_the_witness_copies_no_checkpoint_of_a_longer_other_history_and_says_why()
    {
        await WriteAsync(Data, Witness, 10, 5);
        var witnessed = File.ReadAllText(Path.Combine(Witness, "checkpoints.txt"));
        var other = NewHistoryWithTheSameKey();
        await WriteAsync(other, null, 20, 5, "another history");

        // The other history has #1..#4; the witness holds this history's #1..#2, so #3 does not follow its #2.
        await using (var history = OperationHistoryStore.Open(other, new FakeTimeProvider(T0), witnessDirectory: Witness))
        {
            Assert.Contains("does not follow the witness's #2", history.WitnessFailure, StringComparison.Ordinal);
        }

        Assert.Equal(witnessed, File.ReadAllText(Path.Combine(Witness, "checkpoints.txt")));
        Assert.IsType<HistoryVerification.Intact>(OperationHistoryStore.Verify(Data, Witness, null));

        // The same history reopened with its own witness still catches up as before.
        await WriteAsync(Data, Witness, 5, 5, "more");
        Assert.Equal(File.ReadAllText(CheckpointFile), File.ReadAllText(Path.Combine(Witness, "checkpoints.txt")));
    }
}
