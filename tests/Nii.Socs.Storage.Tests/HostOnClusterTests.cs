using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Mail;
using Nii.Socs.Host.ParticipantSide;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;
using Nii.Socs.Storage.PostgreSql;
using Xunit.Abstractions;

namespace Nii.Socs.Storage.Tests;

/// <summary>The Host on the PostgreSql provider, across parts: <c>serve</c> ingests into its local spool, ships it
/// continuously, and the portal's services, the consent steps and mail run on the cluster (docs/scale-out.md).</summary>
[Collection(ClusterTests.Name)]
public sealed class HostOnClusterTests(ClusterFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "samples");
    private readonly string _schema = ClusterFixture.NewSchema();
    private readonly string _root = Directory.CreateTempSubdirectory("socs-host-cluster-").FullName;

    private string Data => Path.Combine(_root, "data");

    private StorageOptions Storage => new() { Provider = StorageProvider.PostgreSql, ConnectionString = cluster.ConnectionString, Schema = _schema, ShipInterval = TimeSpan.FromMilliseconds(200) };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await cluster.DropSchemaAsync(_schema);
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    [Trait("Requirement", "R8.6")]
    [Trait("Requirement", "R4.6")]
    [Trait("Requirement", "R13.1")]
    [Trait("Requirement", "R6.4")]
    public async Task Serve_ships_its_spool_continuously_and_the_portal_and_consent_steps_run_on_the_cluster()
    {
        var operatorKey = await CreateDataAsync();
        DetectionShipperService shipper;
        using (var host = BuildServe())
        {
            await host.StartAsync();
            shipper = host.Services.GetServices<IHostedService>().OfType<DetectionShipperService>().Single();
            DropCapture("a.pcap", TimeSpan.Zero);
            await WaitAsync(() => File.Exists(Path.Combine(Data, "incoming", "processed", "a.pcap")), TimeSpan.FromSeconds(60), "serve did not ingest the capture");

            // The spool is shipped by the hosted service alone: no ship verb runs.
            await WaitAsync(async () => (await ClusterIdsAsync()).Count == SpoolIds(host).Count, TimeSpan.FromSeconds(60), "the shipper did not bring the spool to the cluster");
            Assert.True(shipper.Passes > 0);
            await host.StopAsync();
        }

        var spool = ReadSpool();
        Assert.NotEmpty(spool);
        Assert.Equal(spool.Keys.Order(), (await ClusterIdsAsync()).Order());

        // The mail state is on the cluster: an independent reader of the schema sees the queued mails.
        await using (var storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema))
        using (var outbox = await PostgreSqlMailOutbox.OpenAsync(storage))
        {
            Assert.True(outbox.State.LastMailId > 0, "no mail was queued in the cluster's outbox");
        }

        // Portal → consent request → approve → view → expire, through the Host's services on a second opening of the data.
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using (var data = SocsData.Open(Data, time, storage: Storage))
        using (var ca = DevelopmentCa.OpenOrCreate(Data, TimeProvider.System))
        {
            var services = PortalServices.For(data, ca.Certificate, new PortalOptions());
            Assert.IsType<PostgreSqlDetectionStore>(services.Detections);
            Assert.IsType<PostgreSqlConsentLog>(data.Consent);
            Assert.IsType<PostgreSqlOperationHistory>(services.History);
            var page = await services.Detections.QueryAsync(new DetectionQuery { Participant = new ParticipantId("u-tokyo"), From = DateTimeOffset.MinValue, To = DateTimeOffset.MaxValue, Limit = 1000 });
            Assert.Equal(spool.Where(s => s.Value.Value == "u-tokyo").Select(s => s.Key).Order(), page.Records.Select(r => r.Id.Value).Order());
            var target = page.Records.First(r => !r.SealedContent.IsEmpty);

            var staff = Actor.Staff("yamada");
            var request = await services.Consent.RequestAsync(staff, target.Participant, new ConsentScope.RecordList([target.Id]), Purpose.Investigation, "follow-up", time.GetUtcNow().AddDays(3), default);
            Assert.True(request.Succeeded, request.Error);
            Assert.Equal([target.Epoch], await services.Consent.RequiredEpochsAsync(request.Value, default));
            var approved = await services.Consent.ApproveAsync(request.Value, Actor.Operator(target.Participant, "soc@u-tokyo.example.ac.jp"), new Dictionary<EpochId, byte[]> { [target.Epoch] = Unwrap(data, target.Epoch, operatorKey["u-tokyo"]) }, time.GetUtcNow().AddHours(1), default);
            Assert.True(approved.Succeeded, approved.Error);
            var viewed = await services.Consent.ViewAsync(approved.Value, staff, target.Id, default);
            Assert.True(viewed.Succeeded, viewed.Error);
            Assert.NotEmpty(viewed.Value!);

            time.Advance(TimeSpan.FromHours(2));
            var late = await services.Consent.ViewAsync(approved.Value, staff, target.Id, default);
            Assert.False(late.Succeeded);
            Assert.False(services.Consent.HoldsKeys(approved.Value));
        }

        // Every step is on the cluster, read back by a fresh reader: the consent events and their history entries.
        await using (var storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema))
        using (var consent = await storage.ConsentLogAsync())
        {
            var events = consent.Events();
            Assert.Single(events.OfType<ConsentEvent.Requested>());
            Assert.Single(events.OfType<ConsentEvent.Approved>());
            Assert.Single(events.OfType<ConsentEvent.Viewed>());
            var actions = storage.History().Entries().Select(e => e.Action).ToList();
            Assert.Contains("consent.request.filed", actions);
            Assert.Contains("capture.file.ingested", actions);
            Assert.Null(await storage.History().FindFirstBrokenLinkAsync());

            // The yearly inspection (R13.1) of this host reads the same cluster.
            using var stores = await ClusterStores.OpenAsync(Storage, TimeProvider.System);
            var report = await Nii.Socs.Host.Inspection.ClusterInspection.RunAsync(stores, new Core.Inspection.InspectionSettings(TimeProvider.System.GetUtcNow().Year), TimeProvider.System.GetUtcNow().AddHours(3));
            Assert.True(report.History.Intact);
            Assert.Equal(actions.Count, report.History.Entries);
            Assert.Equal(1, report.Consent.Approved);
            Assert.Equal(2, report.Participants.Active);
            Assert.Equal(spool.Count, report.Retention.Participants.Sum(p => p.Records));

            // The verbs of this host read the cluster too when Socs:Storage says so.
            var names = new[] { "SOCS_Storage__Provider", "SOCS_Storage__ConnectionString", "SOCS_Storage__Schema" };
            try
            {
                Environment.SetEnvironmentVariable(names[0], "PostgreSql");
                Environment.SetEnvironmentVariable(names[1], cluster.ConnectionString);
                Environment.SetEnvironmentVariable(names[2], _schema);
                // The hosts signed the cluster's checkpoints with the data directory's key and copied them to the
                // witness beside it (R6.4): verify checks the chain, the signatures and the witness's copies.
                var witness = Data + ".witness";
                var signed = storage.History().Checkpoints();
                Assert.NotEmpty(signed);
                Assert.Equal(actions.Count, signed[^1].Sequence);
                Assert.Equal(signed.Select(c => c.ToLine()), File.ReadAllLines(Path.Combine(witness, "checkpoints.txt")));
                var verify = Run("audit", "verify", "--data", Data, "--json");
                Assert.True(verify.Code == 0, verify.Err + verify.Out);
                using (var json = System.Text.Json.JsonDocument.Parse(verify.Out))
                {
                    Assert.True(json.RootElement.GetProperty("intact").GetBoolean());
                    Assert.Equal(actions.Count, json.RootElement.GetProperty("entries").GetInt64());
                    Assert.Equal(signed[^1].Number, json.RootElement.GetProperty("last_checkpoint").GetInt64());
                    Assert.Equal(0, json.RootElement.GetProperty("unpaired").GetArrayLength());
                }

                var pinned = Run("audit", "verify", "--data", Data, "--witness", witness, "--public-key", Path.Combine(witness, "signing.pub"));
                Assert.True(pinned.Code == 0, pinned.Err + pinned.Out);
                var otherKey = Path.Combine(_root, "other.pub");
                using (var other = NSec.Cryptography.Key.Create(NSec.Cryptography.SignatureAlgorithm.Ed25519))
                {
                    await File.WriteAllBytesAsync(otherKey, other.PublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey));
                }

                var foreign = Run("audit", "verify", "--data", Data, "--public-key", otherKey);
                Assert.Equal(1, foreign.Code);
                Assert.StartsWith("broken at entry ", foreign.Out, StringComparison.Ordinal);

                var refused = Run("audit", "verify", "--data", Data, "--witness", Path.Combine(_root, "absent"));
                Assert.Equal(2, refused.Code);
                Assert.Single(refused.Err.Trim().Split('\n'));


                var listed = Run("detections", "list", "--data", Data, "--participant", "u-tokyo", "--limit", "1000", "--json");
                Assert.True(listed.Code == 0, listed.Err);
                using (var json = System.Text.Json.JsonDocument.Parse(listed.Out))
                {
                    Assert.Equal(
                        spool.Where(s => s.Value.Value == "u-tokyo").Select(s => new DetectionId(s.Key).ToString()).Order(),
                        json.RootElement.GetProperty("detections").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).Order());
                }

                var stats = Run("store", "stats", "--data", Data, "--json");
                Assert.True(stats.Code == 0, stats.Err);
                using (var json = System.Text.Json.JsonDocument.Parse(stats.Out))
                {
                    Assert.Equal(spool.Count, json.RootElement.GetProperty("records").GetInt64());
                }

                var mail = Run("mail", "outbox", "--data", Data, "--json");
                Assert.True(mail.Code == 0, mail.Err);
                using (var json = System.Text.Json.JsonDocument.Parse(mail.Out))
                {
                    Assert.True(json.RootElement.GetProperty("queued").GetInt64() > 0);
                }

                var sweep = Run("retention", "sweep", "--data", Data, "--dry-run", "--json");
                Assert.True(sweep.Code == 0, sweep.Err);
                using (var json = System.Text.Json.JsonDocument.Parse(sweep.Out))
                {
                    Assert.Equal(0, json.RootElement.GetProperty("partitions").GetArrayLength());
                }

                // A superuser disables the trigger, cuts the last three entries and moves the head back: the chain alone
                // looks whole, the signed checkpoint names the first missing entry.
                var count = storage.History().Entries().Count;
                Assert.Equal(count, storage.History().Checkpoints()[^1].Sequence);
                var cut = count - 2;
                var keep = storage.History().Read(cut - 1, 1)[0].Hash.ToArray();
                await using (var connection = new Npgsql.NpgsqlConnection(cluster.SuperuserConnection(await cluster.LeaderAsync())))
                {
                    await connection.OpenAsync();
                    await using var command = new Npgsql.NpgsqlCommand(
                        $"ALTER TABLE {_schema}.history DISABLE TRIGGER USER; DELETE FROM {_schema}.history WHERE seq >= @cut; ALTER TABLE {_schema}.history ENABLE TRIGGER USER; UPDATE {_schema}.history_head SET seq = @cut - 1, hash = @hash",
                        connection);
                    command.Parameters.Add(new Npgsql.NpgsqlParameter("cut", (long)cut));
                    command.Parameters.Add(new Npgsql.NpgsqlParameter("hash", keep));
                    await command.ExecuteNonQueryAsync();
                }

                Assert.Null(await storage.History().FindFirstBrokenLinkAsync());
                var broken = Run("audit", "verify", "--data", Data);
                Assert.Equal(1, broken.Code);
                var line = Assert.Single(broken.Out.Trim().Split('\n'));
                Assert.StartsWith(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"broken at entry {cut}: "), line, StringComparison.Ordinal);
                Assert.Contains("the tail was truncated", line, StringComparison.Ordinal);
            }
            finally
            {
                foreach (var name in names)
                {
                    Environment.SetEnvironmentVariable(name, null);
                }
            }
        }
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task Killing_the_primary_while_serve_ships_loses_no_spooled_record_and_the_portal_reads_them_all_after()
    {
        Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60)), "the cluster is not healthy before the test");
        await CreateDataAsync();
        var killed = 0;
        var first = 0;
        try
        {
            using var host = BuildServe();
            await host.StartAsync();
            var shipper = host.Services.GetServices<IHostedService>().OfType<DetectionShipperService>().Single();
            DropCapture("a.pcap", TimeSpan.Zero);
            await WaitAsync(() => File.Exists(Path.Combine(Data, "incoming", "processed", "a.pcap")), TimeSpan.FromSeconds(60), "serve did not ingest the first capture");
            first = SpoolIds(host).Count;
            await WaitAsync(async () => (await ClusterIdsAsync()).Count > 0, TimeSpan.FromSeconds(60), "nothing reached the cluster before the kill");

            // More captures arrive while the primary's node dies: they are ingested into the spool and shipped after the failover.
            killed = await cluster.LeaderAsync();
            for (var i = 1; i <= 3; i++)
            {
                DropCapture($"b{i}.pcap", TimeSpan.FromHours(i));
            }

            var watch = Stopwatch.StartNew();
            var (code, said) = await ClusterFixture.RunAsync("kill", killed.ToString(System.Globalization.CultureInfo.InvariantCulture), cluster.Directory);
            Assert.True(code == 0, said);
            try
            {
                await WaitAsync(
                    async () => Directory.GetFiles(Path.Combine(Data, "incoming", "processed")).Length == 4 && (await ClusterIdsAsync()).Count == SpoolIds(host).Count,
                    TimeSpan.FromSeconds(120),
                    "the spool did not reach the cluster after the failover");
            }
            finally
            {
                output.WriteLine($"processed {Directory.GetFiles(Path.Combine(Data, "incoming", "processed")).Length}, failed {Directory.GetFiles(Path.Combine(Data, "incoming", "failed")).Length}, spool {SpoolIds(host).Count}, cluster {(await ClusterIdsAsync()).Count}, shipper passes {shipper.Passes} failures {shipper.Failures}");
            }

            output.WriteLine($"node{killed} killed; spool of {SpoolIds(host).Count} records on the cluster {watch.Elapsed.TotalSeconds:F1} s later; shipper passes {shipper.Passes}, failed {shipper.Failures}");
            Assert.True(shipper.Failures > 0, "no shipping pass met the failover");
            Assert.Empty(Directory.GetFiles(Path.Combine(Data, "incoming", "failed"), "*.pcap"));
            await host.StopAsync();
        }
        finally
        {
            if (killed != 0)
            {
                await ClusterFixture.RunAsync("start", killed.ToString(System.Globalization.CultureInfo.InvariantCulture), cluster.Directory);
            }
        }

        var spool = ReadSpool();
        Assert.Equal(spool.Keys.Order(), (await ClusterIdsAsync()).Order());
        Assert.True(spool.Count > 3 * first, $"{spool.Count} records from four captures of {first} each");
        await using var data = SocsData.Open(Data, TimeProvider.System, storage: Storage);
        using var ca = DevelopmentCa.OpenOrCreate(Data, TimeProvider.System);
        var services = PortalServices.For(data, ca.Certificate, new PortalOptions());
        foreach (var participant in spool.Values.Distinct())
        {
            var page = await services.Detections.QueryAsync(new DetectionQuery { Participant = participant, From = DateTimeOffset.MinValue, To = DateTimeOffset.MaxValue, Limit = DetectionQuery.MaxLimit });
            Assert.Equal(spool.Where(s => s.Value == participant).Select(s => s.Key).Order(), page.Records.Select(r => r.Id.Value).Order());
        }

        Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(90)), "the killed node did not rejoin");
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task Serve_refuses_an_unknown_provider_and_a_missing_connection_string_in_one_line_before_opening_anything()
    {
        var dir = Path.Combine(_root, "refused");
        foreach (var (setting, expected) in new[]
        {
            (new[] { "Socs:Storage:Provider=Oracle" }, "Socs:Storage:Provider must be Faster or PostgreSql (was 'Oracle')"),
            (["Socs:Storage:Provider=PostgreSql"], "Socs:Storage:ConnectionString is required when Socs:Storage:Provider is PostgreSql"),
            (["Socs:Storage:Provider=PostgreSql", "Socs:Storage:ConnectionString=" + cluster.ConnectionString, "Socs:Storage:ShipInterval=soon"], "Socs:Storage:ShipInterval must be a time span"),
        })
        {
            var args = new List<string> { "serve", "--set", "Socs:Data:Directory=" + dir, "--set", "Socs:Health:Enabled=false" };
            foreach (var s in setting)
            {
                args.Add("--set");
                args.Add(s);
            }

            var (code, _, err) = Run([.. args]);
            Assert.Equal(2, code);
            Assert.Single(err.Trim().Split('\n'));
            Assert.Contains(expected, err, StringComparison.Ordinal);
            Assert.False(Directory.Exists(dir), "a refused start created the data directory");
        }

        var demo = Run("demo", "--storage", "oracle", "--no-serve", "--data", dir);
        Assert.Equal(2, demo.Code);
        Assert.Equal("socs: --storage must be faster or postgresql; got 'oracle'.", demo.Err.Trim());
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_retention_sweep_on_PostgreSql_purges_the_cluster_outbox_and_its_expired_rows_leave_every_file_of_every_node()
    {
        Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60)), "the cluster is not healthy before the test");
        var november = new DateTimeOffset(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);
        var december = november.AddMonths(1);
        var expiry = Core.Retention.RetentionSchedule.Default.ExpiryOf(new ParticipantId("u-tokyo"), Core.Time.JstMonth.Of(november));
        await using (SocsData.Open(Data, TimeProvider.System, storage: Storage))
        {
            // A data directory whose stores are the cluster's.
        }

        var markers = new[] { "NOV", "DEC" }.Select(m => System.Text.Encoding.ASCII.GetBytes($"OUTBOX-{m}-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(10)))).ToArray();
        Core.Notifications.OutboundMail Mail(long id, DateTimeOffset acquired, byte[] marker)
        {
            var row = Core.Notifications.NotificationRow.From(Core.Tests.Storage.StorageTestKit.Record(new ParticipantId("u-tokyo"), acquired)) with { Message = System.Text.Encoding.ASCII.GetString(marker) };
            return new(id, Core.Notifications.MailKind.Notification, row.Participant, ["soc@u-tokyo.example.ac.jp"], $"{id}.x@socs.invalid", null, [], acquired, [row], row.Sid, row.Message, null);
        }

        await using (var storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema))
        using (var outbox = await PostgreSqlMailOutbox.OpenAsync(storage))
        {
            await outbox.AppendAsync([new Core.Notifications.MailQueued(november, Mail(1, november, markers[0])), new Core.Notifications.MailSent(november, 1), new Core.Notifications.MailQueued(december, Mail(2, december, markers[1]))]);
        }

        var eml = Path.Combine(Data, EmlMailTransport.DirectoryName, EmlMailTransport.FileNameOf(Mail(1, november, markers[0])));
        Directory.CreateDirectory(Path.GetDirectoryName(eml)!);
        await File.WriteAllTextAsync(eml, "the copy of mail 1 as sent");
        for (var n = 1; n <= 3; n++)
        {
            Assert.NotNull(await cluster.ScalarAsync(n, "CHECKPOINT; SELECT 1"));
        }

        Assert.NotEmpty(cluster.FilesContaining(markers[0]).Values.Single());
        var names = new[] { "SOCS_Storage__Provider", "SOCS_Storage__ConnectionString", "SOCS_Storage__Schema" };
        (int Code, string Out, string Err) swept;
        try
        {
            Environment.SetEnvironmentVariable(names[0], "PostgreSql");
            Environment.SetEnvironmentVariable(names[1], cluster.ConnectionString);
            Environment.SetEnvironmentVariable(names[2], _schema);
            var dry = RunAt(new FakeTimeProvider(expiry.AddHours(1)), "retention", "sweep", "--data", Data, "--now", expiry.ToString("O", System.Globalization.CultureInfo.InvariantCulture), "--dry-run");
            Assert.True(dry.Code == 0, dry.Err);
            Assert.True(File.Exists(eml), "a dry run deleted a copy");
            swept = RunAt(new FakeTimeProvider(expiry.AddHours(1)), "retention", "sweep", "--data", Data, "--now", expiry.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            foreach (var name in names)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }

        output.WriteLine(swept.Out);
        Assert.True(swept.Code == 0, swept.Err);
        Assert.Contains("purged outbox: 1 expired row(s) removed from 1 mail(s) and the digest buffers, 0 unsent mail(s) withdrawn, 1 .eml cop(y/ies) deleted", swept.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(eml));

        // The sweep ran the erasure rounds after the purge: November's row is in no file of any node, December's on all three.
        var left = cluster.FilesContaining(markers);
        Assert.Empty(left[Convert.ToHexString(markers[0])]);
        Assert.Equal([1, 2, 3], left[Convert.ToHexString(markers[1])].Select(ClusterFixture.NodeOf).Distinct().Order());
        await using (var storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema))
        using (var outbox = await PostgreSqlMailOutbox.OpenAsync(storage))
        {
            Assert.Equal([2L], outbox.State.Pending.Keys);
            Assert.Equal(2, outbox.State.LastMailId);
            var actions = storage.History().Entries().Select(e => (e.Action, e.Subject)).ToList();
            Assert.Contains(("retention.copies.purged", "derived-copies"), actions);
            Assert.Contains(actions, a => a.Action == "retention.copies.erased" && a.Subject.StartsWith("outbox/", StringComparison.Ordinal));
        }
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task Demo_with_storage_postgresql_runs_on_the_given_cluster_and_prints_the_provider()
    {
        var (code, stdout, stderr) = Run("demo", "--storage", "postgresql", "--no-serve", "--data", Data, "--people", Path.Combine(_root, "people"), "--set", "Socs:Storage:ConnectionString=" + cluster.ConnectionString);
        output.WriteLine(stdout);
        Assert.True(code == 0, stderr + stdout);
        var schema = stdout.Split('\n').Single(l => l.StartsWith("socs: demo on the cluster of Socs:Storage:ConnectionString, schema ", StringComparison.Ordinal)).Split("schema ")[1].Trim();
        try
        {
            Assert.Contains($"storage               PostgreSql cluster, schema {schema}", stdout, StringComparison.Ordinal);
            Assert.Contains("viewed under grant", stdout, StringComparison.Ordinal);
            Assert.Matches(@"shipped to cluster    [1-9]\d* record", stdout);
            Assert.Matches(@"operation history     [1-9]\d* entries on the cluster, hash chain intact", stdout);
            Assert.DoesNotContain("scripts/cluster.sh up", stdout, StringComparison.Ordinal);

            // What the demo printed is what the cluster holds: the registry, the consent log and the detections.
            await using var storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, schema);
            using var registry = await storage.RegistryAsync();
            Assert.Equal(["kyoto-u", "u-tokyo"], registry.State.Participants.Keys.Select(p => p.Value).Order());
            using var consent = await storage.ConsentLogAsync();
            Assert.Single(consent.Ledger.Grants);
            using var detections = storage.Detections();
            Assert.NotEmpty(detections.Partitions());
        }
        finally
        {
            await cluster.DropSchemaAsync(schema);
        }
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => RunAt(TimeProvider.System, args);

    private static (int Code, string Out, string Err) RunAt(TimeProvider time, params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var code = CliApp.Run(args, stdout, stderr, new CliContext(stdout, stderr, time));
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The demo's two participants on the cluster's registry, an operator certificate each, first epoch keys;
    /// returns each operator's private key file.</summary>
    private async Task<Dictionary<string, string>> CreateDataAsync()
    {
        var keys = new Dictionary<string, string>();
        await using var data = SocsData.Open(Data, TimeProvider.System, storage: Storage);
        using var ca = DevelopmentCa.OpenOrCreate(Data, TimeProvider.System);
        var scope = ScopeFile.Parse(File.ReadAllText(Path.Combine(Samples, "prefixes.txt")), out _);
        foreach (var (id, mail) in new[] { ("u-tokyo", "soc@u-tokyo.example.ac.jp"), ("kyoto-u", "csirt@kyoto-u.example.ac.jp") })
        {
            var participant = new ParticipantId(id);
            var now = TimeProvider.System.GetUtcNow();
            await data.Registry.AppendAsync(
            [
                new ApplicationSubmitted(now, $"app-{id}", participant, id, [.. scope.Where(a => a.Participant == participant).Select(a => a.Prefix)], [mail], [new OperatorContact("op", mail, null, true)]),
                new ApplicationApproved(now, $"app-{id}"),
            ]);
            var (key, csr) = OperatorKeys.Generate(Path.Combine(_root, "people", id), "op", ClientKeyType.EcP256);
            await CertificateEnrolment.EnrolAsync(data, ca, participant, mail, await File.ReadAllBytesAsync(csr), "test");
            keys[id] = key;
        }

        await KeyEpochs.RotateAllAsync(data, CancellationToken.None);
        return keys;
    }

    private IHost BuildServe()
    {
        var builder = ServeCommand.CreateBuilder(
        [
            "Socs:Data:Directory=" + Data,
            "Socs:Capture:IncomingDirectory=" + Path.Combine(Data, "incoming"),
            "Socs:Capture:RulesFile=" + Path.Combine(Samples, "rules", "demo.rules"),
            "Socs:Capture:PollInterval=00:00:00.100",
            "Socs:Mail:PollInterval=00:00:00.200",
            "Socs:Storage:Provider=PostgreSql",
            "Socs:Storage:ConnectionString=" + cluster.ConnectionString,
            "Socs:Storage:Schema=" + _schema,
            "Socs:Storage:ShipInterval=00:00:00.200",
        ], TimeProvider.System);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new OutputLogger(output));
        builder.Services.AddSocsPipeline();
        builder.Services.AddSocsMail();
        var host = builder.Build();
        Assert.Empty(SocsConfiguration.Failures(host.Services));
        return host;
    }

    /// <summary>The demo capture's frames re-stamped <paramref name="shift"/> later (new bytes, so new record ids), renamed into incoming/.</summary>
    private void DropCapture(string name, TimeSpan shift)
    {
        var incoming = Path.Combine(Data, "incoming");
        Directory.CreateDirectory(incoming);
        var part = Path.Combine(incoming, name + ".part");
        using (var reader = CaptureReader.OpenFile(Path.Combine(Samples, "captures", "demo.pcap")))
        using (var stream = File.Create(part))
        using (var writer = new PcapWriter(stream, LinkType.Ethernet))
        {
            while (reader.TryReadFrame(out var frame))
            {
                writer.WriteFrame(frame.Timestamp + shift, frame.Data);
            }
        }

        File.Move(part, Path.Combine(incoming, name));
    }

    private static HashSet<Guid> SpoolIds(IHost host)
    {
        var spool = host.Services.GetRequiredService<SocsData>().Spool;
        var ids = new HashSet<Guid>();
        foreach (var participant in spool.Partitions().Select(p => p.Participant).Distinct())
        {
            var page = spool.QueryAsync(new DetectionQuery { Participant = participant, From = DateTimeOffset.MinValue, To = DateTimeOffset.MaxValue, Limit = DetectionQuery.MaxLimit }).GetAwaiter().GetResult();
            ids.UnionWith(page.Records.Select(r => r.Id.Value));
        }

        return ids;
    }

    private Dictionary<Guid, ParticipantId> ReadSpool()
    {
        using var spool = DetectionStore.Open(Data);
        var records = new Dictionary<Guid, ParticipantId>();
        foreach (var participant in spool.Partitions().Select(p => p.Participant).Distinct())
        {
            var page = spool.QueryAsync(new DetectionQuery { Participant = participant, From = DateTimeOffset.MinValue, To = DateTimeOffset.MaxValue, Limit = DetectionQuery.MaxLimit }).GetAwaiter().GetResult();
            foreach (var r in page.Records)
            {
                records[r.Id.Value] = r.Participant;
            }
        }

        return records;
    }

    private async Task<List<Guid>> ClusterIdsAsync()
    {
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString + ";Timeout=3");
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand($"SELECT id FROM {_schema}.detections", connection);
            await using var reader = await command.ExecuteReaderAsync();
            var ids = new List<Guid>();
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetGuid(0));
            }

            return ids;
        }
        catch (Npgsql.NpgsqlException)
        {
            return [];
        }
    }

    private static byte[] Unwrap(SocsData data, EpochId epoch, string keyFile)
    {
        Assert.True(data.Keys.TryLoadWrappedSet(epoch, out var wrapped));
        using var key = ParticipantPrivateKey.Load(File.ReadAllBytes(keyFile), null);
        Assert.True(key.TryUnwrap(wrapped!, out var unwrapped, out var failure), failure.ToString());
        var bytes = new byte[EpochKey.Size];
        unwrapped!.CopyTo(bytes);
        unwrapped.Dispose();
        return bytes;
    }

    private static Task WaitAsync(Func<bool> condition, TimeSpan timeout, string message) => WaitAsync(() => Task.FromResult(condition()), timeout, message);

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string message)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < timeout, message);
            await Task.Delay(100);
        }
    }

    /// <summary>The service's warnings and errors in the test's output.</summary>
    private sealed class OutputLogger(ITestOutputHelper output) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                try
                {
                    output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.GetType().Name + ": " + exception.Message.Split('\n')[0])}");
                }
                catch (InvalidOperationException)
                {
                    // The test has ended.
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
