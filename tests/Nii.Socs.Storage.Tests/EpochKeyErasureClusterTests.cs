using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Storage.PostgreSql;
using Xunit.Abstractions;
using static Nii.Socs.Storage.Tests.TestKit;

namespace Nii.Socs.Storage.Tests;

/// <summary>R8.2, R8.4 on the cluster: a real <see cref="KeyRing"/> keeps its epoch keys in <see cref="PostgreSqlKeyStore"/>;
/// the key is never in any file in clear, and once its epoch is rotated out and its wrapped set deleted, a byte scan of
/// every file of every node's data directory (pg_wal included) finds none of its sealed or wrapped bytes, on a node
/// that was down at the destruction too, while the live epoch's bytes are found (the scan sees what is there).</summary>
[Collection(ClusterTests.Name)]
public sealed class EpochKeyErasureClusterTests(ClusterFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    // Tuesday 2026-11-10 12:00 JST: inside one weekly epoch (Monday 00:00 JST to Monday).
    private static readonly DateTimeOffset T0 = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);
    private readonly string _schema = ClusterFixture.NewSchema();
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("socs-kek-");
    private PostgreSqlStorage _storage = null!;

    public async Task InitializeAsync()
    {
        Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60)), "the cluster is not healthy before the test");
        _storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema);
    }

    public async Task DisposeAsync()
    {
        await _storage.DisposeAsync();
        await cluster.DropSchemaAsync(_schema);
        _temp.Delete(recursive: true);
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    [Trait("Requirement", "R8.2")]
    public async Task A_rotated_out_epochs_key_leaves_every_file_of_every_node_including_one_that_was_down_and_the_live_epochs_stays()
    {
        var clock = new FakeTimeProvider(T0);
        var history = _storage.History(clock);
        var keys = _storage.Keys(history, clock);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=u-tokyo operator", ec, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        using var kek = FileKeyEncryptionKey.Create(Path.Combine(_temp.FullName, "kek"));
        using var ring = new KeyRing(EpochSchedule.WeeklyFromMondayJst, keys, kek, new Certificates(certificate), clock);

        ring.EnsureCurrent(UTokyo);
        var (oldEpoch, oldMarkers) = Markers(ring, keys);
        Assert.Equal([oldEpoch.Index], keys.Epochs(UTokyo));

        // Every node holds the old epoch's sealed and wrapped bytes (WAL at least), never the key in clear.
        var seen = string.Empty;
        await EventuallyAsync(() =>
        {
            var found = cluster.FilesContaining(oldMarkers.Sealed, oldMarkers.Wrapped, oldMarkers.Clear);
            var clear = found[Hex(oldMarkers.Clear)];
            var sealedOn = found[Hex(oldMarkers.Sealed)].Select(ClusterFixture.NodeOf).Distinct().Order().ToList();
            var wrappedOn = found[Hex(oldMarkers.Wrapped)].Select(ClusterFixture.NodeOf).Distinct().Order().ToList();
            seen = $"sealed on nodes [{string.Join(',', sealedOn)}], wrapped on nodes [{string.Join(',', wrappedOn)}], clear in [{string.Join(", ", clear)}]";
            return clear.Count == 0 && sealedOn.Count == 3 && wrappedOn.Count == 3;
        }, () => $"the old epoch's sealed and wrapped bytes on all three nodes, its clear key on none; last scan: {seen}");

        // A standby goes down; the epoch ends: the ring destroys the sealed key, then the sweep's deletion of the
        // wrapped set (no partition references the epoch any more) follows.
        var leader = await cluster.LeaderAsync();
        var down = Enumerable.Range(1, 3).First(n => n != leader);
        var (killCode, killed) = await ClusterFixture.RunAsync("kill", down.ToString(CultureInfo.InvariantCulture), cluster.Directory);
        Assert.True(killCode == 0, killed);
        try
        {
            clock.Advance(TimeSpan.FromDays(7));
            var rotation = ring.EnsureCurrent(UTokyo);
            Assert.True(rotation.Created);
            Assert.Equal([oldEpoch], rotation.Destroyed);
            Assert.Contains($"127.0.0.1:{cluster.Port(down)}", keys.LastErasure!.Unreachable);
            keys.Delete(UTokyo, oldEpoch.Index);
            Assert.Equal([$"keys/{UTokyo}/{oldEpoch.Index}/all", $"keys/{UTokyo}/{oldEpoch.Index}/sealed"], keys.LastErasure!.Pending.Order(StringComparer.Ordinal));
            Assert.False(keys.TryLoadSealedKey(oldEpoch, out _));
            Assert.False(keys.TryLoadWrappedSet(oldEpoch, out _));
        }
        finally
        {
            var (startCode, started) = await ClusterFixture.RunAsync("start", down.ToString(CultureInfo.InvariantCulture), cluster.Directory);
            Assert.True(startCode == 0, started);
            Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60)), "the stopped standby did not rejoin");
        }

        var (newEpoch, newMarkers) = Markers(ring, keys);
        Assert.NotEqual(oldEpoch, newEpoch);

        // Back: the rejoined node replayed the drops; the pending erasure finishes on every node.
        Assert.Equal([(UTokyo, oldEpoch.Index)], keys.FinishPendingDeletions());
        var erasure = keys.LastErasure!;
        output.WriteLine($"after the rejoin: {erasure}");
        Assert.Empty(erasure.Pending);
        Assert.Empty(erasure.Unreachable);

        var scan = cluster.FilesContaining(oldMarkers.Sealed, oldMarkers.Wrapped, oldMarkers.Clear, newMarkers.Sealed, newMarkers.Wrapped, newMarkers.Clear);
        output.WriteLine(string.Join('\n', scan.Select(kv => $"{kv.Key[..16]}…: {string.Join(' ', kv.Value)}")));
        Assert.Empty(scan[Hex(oldMarkers.Sealed)]);
        Assert.Empty(scan[Hex(oldMarkers.Wrapped)]);
        Assert.Empty(scan[Hex(oldMarkers.Clear)]);
        Assert.Empty(scan[Hex(newMarkers.Clear)]);
        Assert.Equal([1, 2, 3], scan[Hex(newMarkers.Sealed)].Select(ClusterFixture.NodeOf).Distinct().Order());
        Assert.Equal([1, 2, 3], scan[Hex(newMarkers.Wrapped)].Select(ClusterFixture.NodeOf).Distinct().Order());

        var entries = history.Entries();
        Assert.Equal(
            [$"keys/{UTokyo}/{oldEpoch.Index}/all", $"keys/{UTokyo}/{oldEpoch.Index}/sealed"],
            entries.Where(e => e.Action == "keys.epoch.erased").Select(e => e.Subject).Order(StringComparer.Ordinal));
        Assert.Equal(2, entries.Count(e => e.Action == "keys.epoch.dropped"));
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    [Trait("Requirement", "R7.3")]
    public async Task Ingest_rotate_and_sweep_at_expiry_drop_the_month_and_the_wrapped_keys_no_partition_needs_from_every_node()
    {
        var clock = new FakeTimeProvider(T0);
        var history = _storage.History(clock);
        var keys = _storage.Keys(history, clock);
        var store = _storage.Detections(Core.Retention.RetentionSchedule.Default, clock);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=u-tokyo operator", ec, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        using var kek = FileKeyEncryptionKey.Create(Path.Combine(_temp.FullName, "kek"));
        using var ring = new KeyRing(EpochSchedule.WeeklyFromMondayJst, keys, kek, new Certificates(certificate), clock);

        // November: records sealed under epoch E1. December: the ring rotates to E2 (E1's sealed key destroyed and
        // erased at once), records under E2.
        ring.EnsureCurrent(UTokyo);
        var (e1, m1) = Markers(ring, keys);
        var november = Encoding.ASCII.GetBytes("NOV-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(10)));
        await store.AppendAsync(Enumerable.Range(0, 20).Select(i => Record(UTokyo, T0.AddMinutes(i), epoch: e1.Index, content: [.. november, (byte)i])).ToList());
        clock.SetUtcNow(new DateTimeOffset(2026, 12, 2, 3, 0, 0, TimeSpan.Zero));
        Assert.Equal([e1], ring.EnsureCurrent(UTokyo).Destroyed);
        Assert.Empty(keys.LastErasure!.Pending);
        var (e2, m2) = Markers(ring, keys);
        var december = Encoding.ASCII.GetBytes("DEC-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(10)));
        await store.AppendAsync(Enumerable.Range(0, 20).Select(i => Record(UTokyo, clock.GetUtcNow().AddMinutes(i), epoch: e2.Index, content: [.. december, (byte)i])).ToList());
        Assert.Equal([e1.Index, e2.Index], keys.Epochs(UTokyo));

        // November expires: the sweep drops its partition and E1's wrapped set (no partition references E1 any more),
        // and its own erasure rounds leave no byte of either on any node; December and E2 stay.
        clock.SetUtcNow(Core.Retention.RetentionSchedule.Default.ExpiryOf(UTokyo, Core.Time.JstMonth.Of(T0)));
        var sweeper = new PostgreSqlRetentionSweeper(store, history, clock) { Keys = keys };
        var report = await sweeper.SweepAsync();
        Assert.Equal([(UTokyo, e1.Index)], report.EpochKeys.Select(k => (k.Participant, k.Epoch)));
        Assert.Equal([e2.Index], keys.Epochs(UTokyo));
        Assert.Equal([$"detections/{UTokyo}/2026-11", $"keys/{UTokyo}/{e1.Index}/all"], sweeper.LastErasure!.Erased.Order(StringComparer.Ordinal));

        var scan = cluster.FilesContaining(november, m1.Wrapped, m1.Sealed, december, m2.Wrapped);
        Assert.Empty(scan[Hex(november)]);
        Assert.Empty(scan[Hex(m1.Wrapped)]);
        Assert.Empty(scan[Hex(m1.Sealed)]);
        Assert.Equal([1, 2, 3], scan[Hex(december)].Select(ClusterFixture.NodeOf).Distinct().Order());
        Assert.Equal([1, 2, 3], scan[Hex(m2.Wrapped)].Select(ClusterFixture.NodeOf).Distinct().Order());
        Assert.Contains(history.Entries(), e => e.Action == "keys.epoch.erased" && e.Subject == $"keys/{UTokyo}/{e1.Index}/all");
        Assert.Contains(history.Entries(), e => e.Action == "retention.partition.erased" && e.Subject == $"detections/{UTokyo}/2026-11");
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public async Task Two_erasure_runs_at_once_from_two_writers_erase_a_drop_once_and_record_it_once()
    {
        var clock = new FakeTimeProvider(T0);
        await using var other = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema);
        var history = _storage.History(clock);
        var keys = _storage.Keys(history, clock);
        using var key = EpochKey.Create(new EpochId(UTokyo, 2950));
        keys.SaveSealedKey(key.Epoch, Encoding.ASCII.GetBytes("sealed-under-the-kek:" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8))));
        Assert.True(keys.DropEpoch(UTokyo, key.Epoch.Index));

        var reports = await Task.WhenAll(_storage.EraseAsync(history), other.EraseAsync(other.History(clock)));
        Assert.Equal([[], [$"keys/{UTokyo}/2950/all"]], reports.Select(r => r.Erased).OrderBy(e => e.Count));
        Assert.Contains(reports, r => r.ToString() == "nothing to erase");
        Assert.Single(history.Entries(), e => e.Action == "keys.epoch.erased");
    }

    /// <summary>The epoch held now, and three byte strings of it: its KEK-sealed form, a run of its wrapped form as
    /// stored (the wrapped ciphertext inside the set's JSON) and the key in clear.</summary>
    private static (EpochId Epoch, (byte[] Sealed, byte[] Wrapped, byte[] Clear) Markers) Markers(KeyRing ring, PostgreSqlKeyStore keys)
    {
        var key = ring.Current(UTokyo);
        var clear = new byte[EpochKey.Size];
        key.CopyTo(clear);
        Assert.True(keys.TryLoadSealedKey(key.Epoch, out var sealedKey));
        Assert.True(keys.TryLoadWrappedSet(key.Epoch, out var set));
        var json = set.ToJson();
        var ct = json.IndexOf("\"ct\":\"", StringComparison.Ordinal) + 6;
        return (key.Epoch, (sealedKey, Encoding.UTF8.GetBytes(json.Substring(ct, 24)), clear));
    }

    private static string Hex(byte[] marker) => Convert.ToHexString(marker);

    // A standby replays the WAL at its own pace and each scan reads every file of three nodes: on a loaded 2-core CI
    // machine (the other test assemblies run beside this one) a scan can take seconds, so the bound is generous.
    private static async Task EventuallyAsync(Func<bool> condition, Func<string> what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"not within 60 s: {what()}");
            await Task.Delay(200);
        }
    }

    private sealed class Certificates(X509Certificate2 certificate) : IActiveCertificates
    {
        public IReadOnlyList<X509Certificate2> ActiveFor(ParticipantId participant) => participant == UTokyo ? [certificate] : [];
    }
}
