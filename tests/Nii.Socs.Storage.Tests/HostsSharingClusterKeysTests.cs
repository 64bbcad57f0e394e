using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Core.Time;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.ParticipantSide;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;
using Nii.Socs.Storage.PostgreSql;
using Xunit.Abstractions;

namespace Nii.Socs.Storage.Tests;

/// <summary>R8.2, R8.4 across hosts: every host writing one cluster keeps its epoch keys in the cluster's key store
/// (<see cref="PostgreSqlKeyStore"/>) under one shared key-encryption key, so there is one key per participant per
/// epoch whichever host rotates, seals or approves, and the cluster's sweeper drops the wrapped sets no partition
/// needs (docs/scale-out.md, "Epoch keys on the cluster").</summary>
[Collection(ClusterTests.Name)]
public sealed class HostsSharingClusterKeysTests(ClusterFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    // Tuesday 2026-11-10 12:00 JST: inside one weekly epoch (Monday 00:00 JST to Monday) and the JST month 2026-11.
    private static readonly DateTimeOffset T0 = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);
    private static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "samples");
    private readonly string _schema = ClusterFixture.NewSchema();
    private readonly string _root = Directory.CreateTempSubdirectory("socs-two-hosts-").FullName;

    private string DataA => Path.Combine(_root, "a", "data");

    private string DataB => Path.Combine(_root, "b", "data");

    /// <summary>The one KEK file both hosts name, outside both data directories.</summary>
    private string SharedKek => Path.Combine(_root, "kek", "cluster.kek");

    private StorageOptions Storage => new() { Provider = StorageProvider.PostgreSql, ConnectionString = cluster.ConnectionString, Schema = _schema };

    public async Task InitializeAsync() =>
        Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60)), "the cluster is not healthy before the test");

    public async Task DisposeAsync()
    {
        await cluster.DropSchemaAsync(_schema);
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    [Trait("Requirement", "R8.2")]
    [Trait("Requirement", "R8.4")]
    [Trait("Requirement", "R8.1")]
    [Trait("Requirement", "R7.3")]
    public async Task Two_hosts_seal_under_one_key_per_epoch_approve_from_the_clusters_wrapped_set_and_the_cluster_destroys_and_drops_it()
    {
        var clock = new FakeTimeProvider(T0);
        var u = new ParticipantId("u-tokyo");
        await using var a = SocsData.Open(DataA, clock, kekPath: SharedKek, storage: Storage);
        using var ca = DevelopmentCa.OpenOrCreate(DataA, clock);
        var operatorKeys = await RegisterAndEnrolAsync(a, ca, clock);
        var keys = Assert.IsType<PostgreSqlKeyStore>(a.Keys);

        // Host A: the enrolment made u-tokyo's key of E1 in the cluster; A ingests a capture sealed under it.
        var fromA = await IngestAsync(a, "a.pcap", TimeSpan.Zero);
        var e1 = EpochSchedule.WeeklyFromMondayJst.EpochOf(u, T0);
        Assert.All(fromA.Where(r => r.Participant == u), r => Assert.Equal(e1, r.Epoch));
        Assert.Contains(fromA, r => r.Participant == u && !r.SealedContent.IsEmpty);
        Assert.Equal([e1], keys.WrappedSetEpochs(u));
        Assert.True(keys.TryLoadSealedKey(e1, out var sealedE1));
        Assert.True(keys.TryLoadWrappedSet(e1, out var setE1));

        // Host B: its own data directory, the same KEK file and schema (and, as documented, a copy of the history's
        // signing key and of the operators' certificates); it seals under the key A made, making none of its own.
        Directory.CreateDirectory(Path.Combine(DataB, "audit"));
        File.Copy(Path.Combine(DataA, "audit", "signing.key"), Path.Combine(DataB, "audit", "signing.key"));
        await using var b = SocsData.Open(DataB, clock, kekPath: SharedKek, storage: Storage);
        foreach (var certificate in a.Registry.State.Participants.Values.SelectMany(p => p.Certificates.Keys))
        {
            b.Certificates.Add(a.Certificates.Find(certificate)!);
        }

        clock.Advance(TimeSpan.FromHours(1));
        var fromB = await IngestAsync(b, "b.pcap", TimeSpan.FromHours(1));
        var sealedByB = fromB.First(r => r.Participant == u && !r.SealedContent.IsEmpty);
        Assert.Equal(e1, sealedByB.Epoch);
        Assert.Equal([e1], keys.WrappedSetEpochs(u));
        Assert.True(keys.TryLoadSealedKey(e1, out var sealedAfterB));
        Assert.Equal(sealedE1, sealedAfterB);
        Assert.True(keys.TryLoadWrappedSet(e1, out var setAfterB));
        Assert.Equal(setE1.ToJson(), setAfterB.ToJson());
        Assert.Equal(Bytes(a.Ring.Current(u)), Bytes(b.Ring.Current(u)));
        Assert.Single(a.History.Entries(), e => e.Action == "keys.epoch.started" && e.Subject == $"keys/{u}/{e1.Index}");

        // Both spools reach the cluster.
        foreach (var host in new[] { a, b })
        {
            await new DetectionShipper(host.Spool, host.Cluster!.Detections, clock).ShipAsync();
        }

        // The participant unwraps the set read from the cluster with its private key: it is the key A made, and it
        // opens what B sealed.
        var unwrapped = Unwrap(b.Keys, e1, operatorKeys["u-tokyo"]);
        Assert.Equal(Bytes(a.Ring.Current(u)), unwrapped);
        using (var key = EpochKey.FromBytes(e1, unwrapped))
        {
            Assert.True(SealedContent.TryOpen(key, sealedByB, out var content, out var failure), failure.ToString());
            Assert.NotEmpty(content);
        }

        // B's portal services: the wrapped keys page lists the cluster's set; a request for a record of each host is
        // approved with the unwrapped key, and both records are viewed.
        var services = PortalServices.For(b, ca.Certificate, new PortalOptions());
        Assert.IsType<PostgreSqlKeyStore>(services.Keys);
        Assert.Equal([setE1.ToJson()], PortalQueries.WrappedKeys(services, u).Select(s => s.ToJson()));
        var sealedByA = fromA.First(r => r.Participant == u && !r.SealedContent.IsEmpty);
        var staff = Actor.Staff("yamada");
        var request = await services.Consent.RequestAsync(staff, u, new ConsentScope.RecordList([sealedByA.Id, sealedByB.Id]), Purpose.Investigation, "two sensors", clock.GetUtcNow().AddDays(3), default);
        Assert.True(request.Succeeded, request.Error);
        Assert.Equal([e1], await services.Consent.RequiredEpochsAsync(request.Value, default));
        var approved = await services.Consent.ApproveAsync(request.Value, Actor.Operator(u, "soc@u-tokyo.example.ac.jp"), new Dictionary<EpochId, byte[]> { [e1] = unwrapped.ToArray() }, clock.GetUtcNow().AddHours(1), default);
        Assert.True(approved.Succeeded, approved.Error);
        foreach (var record in new[] { sealedByA, sealedByB })
        {
            var viewed = await services.Consent.ViewAsync(approved.Value, staff, record.Id, default);
            Assert.True(viewed.Succeeded, viewed.Error);
        }

        var m1 = Markers(keys, e1, unwrapped);

        // The epoch's end (still November): B rotates first, making E2 and destroying E1's sealed key in the cluster;
        // A then drops E1 from memory and restores B's E2. The wrapped set of E1 stays (records need it).
        clock.SetUtcNow(T0.AddDays(7));
        await KeyEpochs.RotateAllAsync(b, CancellationToken.None);
        var e2 = EpochSchedule.WeeklyFromMondayJst.EpochOf(u, clock.GetUtcNow());
        Assert.False(keys.TryLoadSealedKey(e1, out _));
        Assert.True(keys.TryLoadWrappedSet(e1, out _));
        Assert.Equal([e2], keys.SealedKeyEpochs(u));
        await KeyEpochs.RotateAllAsync(a, CancellationToken.None);
        var currentE2 = Bytes(a.Ring.Current(u));
        Assert.Equal(currentE2, Bytes(b.Ring.Current(u)));
        Assert.Equal(e2, a.Ring.Current(u).Epoch);
        Assert.Single(a.History.Entries(), e => e.Action == "keys.epoch.started" && e.Subject == $"keys/{u}/{e2.Index}");
        Assert.Single(a.History.Entries(), e => e.Action == "keys.epoch.destroyed" && e.Subject == $"keys/{u}/{e1.Index}");
        var m2 = Markers(keys, e2, currentE2);
        var afterRotation = cluster.FilesContaining(m1.Sealed, m1.Clear, m2.Clear);
        Assert.Empty(afterRotation[Hex(m1.Sealed)]);
        Assert.Empty(afterRotation[Hex(m1.Clear)]);
        Assert.Empty(afterRotation[Hex(m2.Clear)]);

        // Retention end of November: the Host's cluster sweeper drops the month and E1's wrapped sets (no partition
        // references E1 any more) and erases them from every node; E2's set stays.
        clock.SetUtcNow(RetentionSchedule.Default.ExpiryOf(u, JstMonth.Of(T0)));
        var sweeper = RetentionService.ClusterSweeperOf(b, clock)!;
        Assert.NotNull(sweeper.Keys);
        var report = await sweeper.SweepAsync();
        output.WriteLine($"swept {report.Partitions.Count} partition(s), {report.EpochKeys.Count} key set(s); {sweeper.LastErasure}");
        Assert.Contains((u, e1.Index), report.EpochKeys.Select(k => (k.Participant, k.Epoch)));
        Assert.False(keys.TryLoadWrappedSet(e1, out _));
        Assert.Equal([e2], keys.WrappedSetEpochs(u));
        Assert.Contains(a.History.Entries(), e => e.Action == "keys.wrapped.deleted" && e.Subject == $"keys/{u}/{e1.Index}");
        Assert.Contains(a.History.Entries(), e => e.Action == "keys.epoch.erased" && e.Subject == $"keys/{u}/{e1.Index}/all");

        var scan = cluster.FilesContaining(m1.Wrapped, m1.Sealed, m2.Wrapped, m2.Sealed);
        Assert.Empty(scan[Hex(m1.Wrapped)]);
        Assert.Empty(scan[Hex(m1.Sealed)]);
        Assert.Equal([1, 2, 3], scan[Hex(m2.Wrapped)].Select(ClusterFixture.NodeOf).Distinct().Order());
        Assert.Equal([1, 2, 3], scan[Hex(m2.Sealed)].Select(ClusterFixture.NodeOf).Distinct().Order());

        // Neither host's data directory holds a keys/ directory or any byte of either epoch's key, in any form.
        foreach (var data in new[] { DataA, DataB })
        {
            Assert.False(Directory.Exists(Path.Combine(data, "keys")), $"{data} has a keys/ directory");
            var found = FilesContaining(data, m1.Wrapped, m1.Sealed, m1.Clear, m2.Wrapped, m2.Sealed, m2.Clear);
            Assert.True(found.Count == 0, $"key material in {string.Join(' ', found)}");
        }
    }

    [Fact]
    [Trait("Requirement", "R8.2")]
    public async Task A_host_whose_key_encryption_key_is_not_the_clusters_is_refused_in_one_line_and_changes_nothing()
    {
        var clock = new FakeTimeProvider(T0);
        var u = new ParticipantId("u-tokyo");
        var e1 = EpochSchedule.WeeklyFromMondayJst.EpochOf(u, T0);
        byte[] sealedKey;
        string set;
        await using (var a = SocsData.Open(DataA, clock, kekPath: SharedKek, storage: Storage))
        using (var ca = DevelopmentCa.OpenOrCreate(DataA, clock))
        {
            await RegisterAndEnrolAsync(a, ca, clock);
            Assert.True(a.Keys.TryLoadSealedKey(e1, out var stored));
            sealedKey = stored;
            Assert.True(a.Keys.TryLoadWrappedSet(e1, out var wrapped));
            set = wrapped.ToJson();
        }

        var other = Path.Combine(_root, "other", "host.kek");
        FileKeyEncryptionKey.Create(other).Dispose();
        Directory.CreateDirectory(DataB);
        var refused = Assert.Throws<CliUsageException>(() => SocsData.Open(DataB, clock, kekPath: other, storage: Storage));
        Assert.Contains($"the key-encryption key {other} is not the one the epoch keys of the cluster (schema {_schema}) are sealed under", refused.Message, StringComparison.Ordinal);

        // A KEK path with no file on it: refused too, and no new KEK is made.
        var missing = Path.Combine(_root, "missing", "host.kek");
        var absent = Assert.Throws<CliUsageException>(() => SocsData.Open(DataB, clock, kekPath: missing, storage: Storage));
        Assert.Contains($"the key-encryption key {missing} does not exist, but the epoch keys of the cluster (schema {_schema}) are sealed under an existing one", absent.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(missing));

        // A verb on that host: exit 2, one line on stderr.
        var names = new[] { "SOCS_Storage__Provider", "SOCS_Storage__ConnectionString", "SOCS_Storage__Schema", "SOCS_Socs__Keys__KekPath" };
        try
        {
            Environment.SetEnvironmentVariable(names[0], "PostgreSql");
            Environment.SetEnvironmentVariable(names[1], cluster.ConnectionString);
            Environment.SetEnvironmentVariable(names[2], _schema);
            Environment.SetEnvironmentVariable(names[3], other);
            using var stdout = new StringWriter { NewLine = "\n" };
            using var stderr = new StringWriter { NewLine = "\n" };
            var code = CliApp.Run(["retention", "sweep", "--data", DataB, "--dry-run"], stdout, stderr, new CliContext(stdout, stderr, clock));
            Assert.Equal(2, code);
            var line = Assert.Single(stderr.ToString().Trim().Split('\n'));
            Assert.StartsWith($"socs: the key-encryption key {other} is not the one", line, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var name in names)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }

        // Nothing changed: the cluster's key of E1 is the one A made; no keys/ on the refused host.
        await using (var storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema))
        {
            var keys = storage.Keys();
            Assert.True(keys.TryLoadSealedKey(e1, out var after));
            Assert.Equal(sealedKey, after);
            Assert.True(keys.TryLoadWrappedSet(e1, out var wrapped));
            Assert.Equal(set, wrapped.ToJson());
            Assert.Equal([e1], keys.WrappedSetEpochs(u));
        }

        Assert.False(Directory.Exists(Path.Combine(DataB, "keys")));

        // With the shared KEK the same host opens and restores A's key.
        await using (var b = SocsData.Open(DataB, clock, kekPath: SharedKek, storage: Storage))
        {
            Assert.True(b.Ring.TryCurrent(u, out var restored));
            Assert.True(b.Keys.TryLoadWrappedSet(e1, out var wrapped));
            Assert.True(wrapped.Commitment.Matches(Bytes(restored)));
        }
    }

    [Fact]
    [Trait("Requirement", "R8.2")]
    public async Task Two_rings_on_two_connection_pools_rotating_at_once_store_one_key_per_participant_and_epoch()
    {
        var clock = new FakeTimeProvider(T0);
        await using var first = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema);
        await using var second = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=operator", ec, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        var kekFile = Path.Combine(_root, "race.kek");
        FileKeyEncryptionKey.Create(kekFile).Dispose();
        using var kek1 = FileKeyEncryptionKey.Load(kekFile);
        using var kek2 = FileKeyEncryptionKey.Load(kekFile);
        var certificates = new AnyParticipant(certificate);
        using var ring1 = new KeyRing(EpochSchedule.WeeklyFromMondayJst, first.Keys(null, clock), kek1, certificates, clock);
        using var ring2 = new KeyRing(EpochSchedule.WeeklyFromMondayJst, second.Keys(null, clock), kek2, certificates, clock);
        var participants = Enumerable.Range(0, 12).Select(i => new ParticipantId($"p{i:D2}")).ToList();

        // Both rings meet each participant at the same instant: each makes a key and tries to store it.
        using var barrier = new Barrier(2);
        var created = new int[2];
        var held = new byte[2][][];
        var rings = new[] { ring1, ring2 };
        await Task.WhenAll(Enumerable.Range(0, 2).Select(side => Task.Run(() =>
        {
            held[side] = new byte[participants.Count][];
            for (var i = 0; i < participants.Count; i++)
            {
                barrier.SignalAndWait();
                if (rings[side].EnsureCurrent(participants[i]).Created)
                {
                    Interlocked.Increment(ref created[side]);
                }

                held[side][i] = Bytes(rings[side].Current(participants[i]));
            }
        })));

        output.WriteLine($"keys made by ring 1: {created[0]}, by ring 2: {created[1]}");
        Assert.Equal(participants.Count, created[0] + created[1]);
        var keys = first.Keys();
        for (var i = 0; i < participants.Count; i++)
        {
            Assert.Equal(held[0][i], held[1][i]);
            var epoch = EpochSchedule.WeeklyFromMondayJst.EpochOf(participants[i], T0);
            Assert.Equal([epoch], keys.WrappedSetEpochs(participants[i]));
            Assert.True(keys.TryLoadWrappedSet(epoch, out var set));
            Assert.True(set.Commitment.Matches(held[0][i]));
        }
    }

    /// <summary>The demo's two participants on the cluster's registry with an operator certificate each (the enrolment
    /// makes their first epoch keys); returns each operator's private key file.</summary>
    private async Task<Dictionary<string, string>> RegisterAndEnrolAsync(SocsData data, DevelopmentCa ca, TimeProvider clock)
    {
        var keys = new Dictionary<string, string>();
        var scope = ScopeFile.Parse(File.ReadAllText(Path.Combine(Samples, "prefixes.txt")), out _);
        foreach (var (id, mail) in new[] { ("u-tokyo", "soc@u-tokyo.example.ac.jp"), ("kyoto-u", "csirt@kyoto-u.example.ac.jp") })
        {
            var participant = new ParticipantId(id);
            var now = clock.GetUtcNow();
            await data.Registry.AppendAsync(
            [
                new ApplicationSubmitted(now, $"app-{id}", participant, id, [.. scope.Where(a => a.Participant == participant).Select(a => a.Prefix)], [mail], [new OperatorContact("op", mail, null, true)]),
                new ApplicationApproved(now, $"app-{id}"),
            ]);
            var (key, csr) = OperatorKeys.Generate(Path.Combine(_root, "people", id), "op", ClientKeyType.EcP256);
            await CertificateEnrolment.EnrolAsync(data, ca, participant, mail, await File.ReadAllBytesAsync(csr), "test");
            keys[id] = key;
        }

        return keys;
    }

    /// <summary>Ingests the demo capture re-stamped <paramref name="shift"/> later on one host; returns what it stored.</summary>
    private async Task<IReadOnlyList<DetectionRecord>> IngestAsync(SocsData data, string name, TimeSpan shift)
    {
        var path = Path.Combine(_root, name);
        using (var reader = CaptureReader.OpenFile(Path.Combine(Samples, "captures", "demo.pcap")))
        using (var stream = File.Create(path))
        using (var writer = new PcapWriter(stream, LinkType.Ethernet))
        {
            while (reader.TryReadFrame(out var frame))
            {
                writer.WriteFrame(frame.Timestamp + shift, frame.Data);
            }
        }

        var rules = RuleSet.Load(Path.Combine(Samples, "rules", "demo.rules"), RuleVariables.ForScope(Ingestor.ScopeOf(data.Registry.State, data.Time.GetUtcNow())));
        var stored = new List<DetectionRecord>();
        var result = await new Ingestor(data, rules, new LoadGovernorOptions()).IngestAsync(path, (records, _) =>
        {
            // The sealing slabs are reused once a batch is stored: keep copies of the sealed bytes.
            stored.AddRange(records.Select(r => r with { SealedContent = r.SealedContent.ToArray() }));
            return Task.CompletedTask;
        });
        Assert.NotEmpty(stored);
        Assert.Equal(stored.Count, result.Stored);
        return stored;
    }

    private static byte[] Unwrap(IKeyStore keys, EpochId epoch, string keyFile)
    {
        Assert.True(keys.TryLoadWrappedSet(epoch, out var wrapped));
        using var key = ParticipantPrivateKey.Load(File.ReadAllBytes(keyFile), null);
        Assert.True(key.TryUnwrap(wrapped!, out var unwrapped, out var failure), failure.ToString());
        var bytes = new byte[EpochKey.Size];
        unwrapped!.CopyTo(bytes);
        unwrapped.Dispose();
        return bytes;
    }

    private static byte[] Bytes(EpochKey key)
    {
        var bytes = new byte[EpochKey.Size];
        key.CopyTo(bytes);
        return bytes;
    }

    /// <summary>Three byte strings of one epoch's key: its KEK-sealed form as the cluster holds it, a run of its wrapped
    /// form (the wrapped ciphertext inside the set's JSON) and the key in clear.</summary>
    private static (byte[] Sealed, byte[] Wrapped, byte[] Clear) Markers(PostgreSqlKeyStore keys, EpochId epoch, byte[] clear)
    {
        Assert.True(keys.TryLoadSealedKey(epoch, out var sealedKey));
        Assert.True(keys.TryLoadWrappedSet(epoch, out var set));
        var json = set.ToJson();
        var ct = json.IndexOf("\"ct\":\"", StringComparison.Ordinal) + 6;
        return (sealedKey, Encoding.UTF8.GetBytes(json.Substring(ct, 24)), clear);
    }

    /// <summary>The files under a directory holding any of the markers (all but the directory's lock, held open by its owner).</summary>
    private static List<string> FilesContaining(string directory, params byte[][] markers) =>
        [.. Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Where(file => file != Path.Combine(directory, "run", "lock")).Where(file =>
        {
            var bytes = File.ReadAllBytes(file);
            return markers.Any(m => bytes.AsSpan().IndexOf(m) >= 0);
        })];

    private static string Hex(byte[] marker) => Convert.ToHexString(marker);

    private sealed class AnyParticipant(X509Certificate2 certificate) : IActiveCertificates
    {
        public IReadOnlyList<X509Certificate2> ActiveFor(ParticipantId participant) => [certificate];
    }
}
