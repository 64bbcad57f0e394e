using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.KeyService;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;
using Nii.Socs.Host.Tests.Pipeline;

namespace Nii.Socs.Host.Tests.KeyService;

/// <summary>The key service and its sensors across parts (docs/scale-out.md, "Epoch keys"): <c>certificates
/// enrol-sensor</c> → the key-service host (<c>serve</c>'s pipeline with <c>Socs:KeyService:Listen</c>) → a sensor host
/// (<c>serve</c>'s pipeline with <c>Socs:KeyService:Url</c>) ingesting captures, on real TLS over 127.0.0.1 with
/// certificates of the development CA and one <see cref="FakeTimeProvider"/> for both.</summary>
public sealed class KeyServiceTests : IDisposable
{
    private static readonly ParticipantId s_tokyo = new("u-tokyo");
    private static readonly ParticipantId s_kyoto = new("kyoto-u");
    private readonly string _root = Directory.CreateTempSubdirectory("socs-ksvc-").FullName;
    private readonly FakeTimeProvider _time;

    public KeyServiceTests()
    {
        // An hour before a boundary of the weekly schedule near the real date, so the certificates issued on this
        // clock are valid on it and a real-time check would not reject them either.
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        _time = new FakeTimeProvider(schedule.EndOf(schedule.EpochOf(s_tokyo, TimeProvider.System.GetUtcNow())) - TimeSpan.FromHours(1));
    }

    private string KeysHost => Path.Combine(_root, "keys");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait("Requirement", "R8.2")]
    [Trait("Requirement", "R8.4")]
    public async Task A_sensor_seals_with_the_key_services_epoch_key_drops_it_at_the_epochs_end_and_no_file_anywhere_holds_either_key()
    {
        await ServiceKit.CreateDataAsync(KeysHost, _time);
        var sensor1 = EnrolSensor("sensor-1");
        foreach (var bad in new[] { new[] { "--name", "two words", "--csr", sensor1.Certificate }, ["--name", "sensor-2", "--csr", sensor1.Certificate] })
        {
            // A bad name, and a certificate given where a CSR is due: one line, exit 2, nothing recorded.
            var before = Core.Storage.OperationHistoryStore.ReadAll(KeysHost).Count;
            var refused = Cli.Cli.Run(_time, ["certificates", "enrol-sensor", "--data", KeysHost, .. bad]);
            Assert.Equal(2, refused.ExitCode);
            Assert.Single(refused.Error.TrimEnd('\n').Split('\n'));
            Assert.Equal(before, Core.Storage.OperationHistoryStore.ReadAll(KeysHost).Count);
        }

        var sensorDir = Path.Combine(_root, "sensor");
        await RegisterScopeAsync(sensorDir);

        var keyHost = await StartKeyHostAsync(sensor1.Setting);
        var keysData = keyHost.Services.GetRequiredService<SocsData>();
        var url = keyHost.Services.GetRequiredService<KeyServiceHostedService>().BaseAddress!;
        var e1 = keysData.Schedule.EpochOf(s_tokyo, _time.GetUtcNow());
        var sensor = await StartSensorAsync(sensorDir, url, sensor1.Certificate, sensor1.Key);
        var sensorData = sensor.Services.GetRequiredService<SocsData>();
        var client = Assert.IsType<KeyServiceClient>(sensorData.SealingKeys);

        // Epoch 1: every record sealed under the key-service host's key, opened with the key the operator unwraps there (R8.1).
        var first = await IngestAsync(sensorData, "first");
        var sealed1 = SealedOf(first, s_tokyo, e1);
        var key1 = OpenWithUnwrappedKey(keysData, sealed1[0]);
        Assert.All(SealedOf(first, s_kyoto, keysData.Schedule.EpochOf(s_kyoto, _time.GetUtcNow())), r => OpenWithUnwrappedKey(keysData, r));
        Assert.True(client.TryHeld(s_tokyo, out var held1));
        Assert.Equal(e1, held1.Epoch);
        Assert.Single(keysData.History.Entries(), e => e.Action == "keys.epoch.handed-out" && e.Actor == "sensor:sensor-1" && e.Subject == $"keys/u-tokyo/{e1.Index}");
        Assert.Single(sensorData.History.Entries(), e => e.Action == "keys.sealing.fetched" && e.Subject == $"keys/u-tokyo/{e1.Index}");

        // The sensor rotates, wraps and stores nothing of its own.
        Assert.Empty(sensorData.Keys.SealedKeyEpochs(s_tokyo));
        Assert.False(sensorData.Keys.TryLoadWrappedSet(e1, out _));

        // The epoch's end: the held key is destroyed by the clock alone, before any traffic.
        _time.Advance(TimeSpan.FromHours(2));
        Assert.True(held1.IsDestroyed);
        Assert.All(held1.BackingArrayForTests, b => Assert.Equal(0, b));
        Assert.False(client.TryHeld(s_tokyo, out _));

        // Epoch 2: the next capture fetches the new epoch's key from the service.
        var e2 = keysData.Schedule.EpochOf(s_tokyo, _time.GetUtcNow());
        Assert.Equal(e1.Index + 1, e2.Index);
        var second = await IngestAsync(sensorData, "second");
        var key2 = OpenWithUnwrappedKey(keysData, SealedOf(second, s_tokyo, e2)[0]);
        Assert.False(key1.AsSpan().SequenceEqual(key2));
        Assert.Contains(sensorData.History.Entries(), e => e.Action == "keys.sealing.dropped" && e.Subject == $"keys/u-tokyo/{e1.Index}");
        Assert.Contains(keysData.History.Entries(), e => e.Action == "keys.epoch.handed-out" && e.Subject == $"keys/u-tokyo/{e2.Index}");

        // The service goes down: the key held for this epoch still seals; after the epoch's end, headers only.
        await StopAsync(keyHost);
        var third = await IngestAsync(sensorData, "third");
        Assert.NotEmpty(SealedOf(third, s_tokyo, e2));
        _time.SetUtcNow(keysData.Schedule.EndOf(e2) + TimeSpan.FromMinutes(1));
        var e3 = keysData.Schedule.EpochOf(s_tokyo, _time.GetUtcNow());
        var fourth = await IngestAsync(sensorData, "fourth");
        var fifth = await IngestAsync(sensorData, "fifth");
        Assert.All(fourth.Stored.Concat(fifth.Stored), r => Assert.True(r.SealedContent.IsEmpty, "content stored without a key"));
        Assert.Contains(fourth.Stored, r => r.Participant == s_tokyo && r.Header.ContentLength > 0);
        var failed = sensorData.History.Entries().Where(e => e.Action == "keys.sealing.failed" && e.Subject == $"keys/u-tokyo/{e3.Index}").ToList();
        Assert.Single(failed);
        Assert.Contains("cannot be reached", failed[0].Details, StringComparison.Ordinal);

        // A byte scan of every file the test made (both hosts' data, secrets, KEKs, witnesses): neither key in clear.
        var positive = sealed1[0].SealedContent.ToArray();
        await StopAsync(sensor);
        Assert.NotEmpty(FilesHolding(sensorDir, positive));
        Assert.Empty(FilesHolding(_root, key1));
        Assert.Empty(FilesHolding(_root, key2));
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task A_sensor_not_listed_or_of_another_ca_is_refused_403_and_stores_headers_only_an_unknown_participant_is_404_and_a_flood_429()
    {
        await ServiceKit.CreateDataAsync(KeysHost, _time);
        var listed = EnrolSensor("sensor-1");
        var stranger = EnrolSensor("stranger");
        IssuedCertificate foreign;
        using (var otherCa = DevelopmentCa.OpenOrCreate(Path.Combine(_root, "other-org"), _time))
        {
            foreign = otherCa.IssueClient("impostor", ClientKeyType.EcP256);
        }

        // The foreign certificate is listed too: only its CA refuses it.
        var keyHost = await StartKeyHostAsync(listed.Setting, $"{KeyServiceOptions.SectionName}:Sensors:{foreign.Thumbprint}=impostor", "Socs:KeyService:RequestsPerMinute=10");
        var keysData = keyHost.Services.GetRequiredService<SocsData>();
        var url = keyHost.Services.GetRequiredService<KeyServiceHostedService>().BaseAddress!;
        try
        {
            foreach (var (name, certificate, key, thumbprint) in new[] { ("stranger", stranger.Certificate, stranger.Key, stranger.Thumbprint), ("impostor", foreign.CertificatePath, foreign.KeyPath, foreign.Thumbprint) })
            {
                var dir = Path.Combine(_root, "sensor-" + name);
                await RegisterScopeAsync(dir);
                var sensor = await StartSensorAsync(dir, url, certificate, key);
                var data = sensor.Services.GetRequiredService<SocsData>();
                var result = await IngestAsync(data, name);
                var again = await IngestAsync(data, name + "-again");
                Assert.Contains(result.Stored, r => r.Header.ContentLength > 0);
                Assert.All(result.Stored.Concat(again.Stored), r => Assert.True(r.SealedContent.IsEmpty, $"{name}: content stored"));
                foreach (var participant in new[] { s_tokyo, s_kyoto })
                {
                    var failed = Assert.Single(data.History.Entries(), e => e.Action == "keys.sealing.failed" && e.Subject.StartsWith($"keys/{participant}/", StringComparison.Ordinal));
                    Assert.Contains("(403)", failed.Details, StringComparison.Ordinal);
                }

                Assert.Contains(keysData.History.Entries(), e => e.Action == "keys.service.refused" && e.Details.StartsWith(thumbprint, StringComparison.Ordinal));
                Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(url, certificate, key, "u-tokyo")).Status);
                await StopAsync(sensor);
            }

            Assert.DoesNotContain(keysData.History.Entries(), e => e.Action == "keys.epoch.handed-out");

            // The listed sensor: an unknown participant is 404 (recorded), a known one 200 with 32 bytes and its epoch.
            var unknown = await GetAsync(url, listed.Certificate, listed.Key, "nobody");
            Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
            Assert.Contains(keysData.History.Entries(), e => e.Action == "keys.service.refused" && e.Details.Contains("'nobody'", StringComparison.Ordinal));
            var known = await GetAsync(url, listed.Certificate, listed.Key, "u-tokyo");
            Assert.Equal(HttpStatusCode.OK, known.Status);
            Assert.Equal(EpochKey.Size, known.Length);
            Assert.Equal(keysData.Schedule.EpochOf(s_tokyo, _time.GetUtcNow()).Index.ToString(System.Globalization.CultureInfo.InvariantCulture), known.Epoch);
            Assert.Single(keysData.History.Entries(), e => e.Action == "keys.epoch.handed-out" && e.Actor == "sensor:sensor-1");

            // A listed sensor that floods is answered 429 beyond its requests per minute, and that is recorded.
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 25; i++)
            {
                statuses.Add((await GetAsync(url, listed.Certificate, listed.Key, "u-tokyo")).Status);
            }

            Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, s.ToString()));
        }
        finally
        {
            await StopAsync(keyHost);
        }

        // The 404 was the listed sensor's first refusal; the 429s are folded into one entry when the service stops.
        Assert.Contains(Core.Storage.OperationHistoryStore.ReadAll(KeysHost), e => e.Action == "keys.service.refused.repeated" && e.Details.StartsWith(listed.Thumbprint, StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_are_refused_in_one_line_each_and_serve_stops_on_them()
    {
        var validator = new KeyServiceOptionsValidator();
        var result = validator.Validate(null, new KeyServiceOptions
        {
            Listen = "localhost:5443",
            Url = "http://keys.example/",
            Sensors = new(StringComparer.OrdinalIgnoreCase) { ["abc"] = " " },
            RequestsPerMinute = 0,
        });
        Assert.Equal(
            [
                "Socs:KeyService:Listen and Socs:KeyService:Url exclude each other: a host either hands keys out or fetches them",
                "Socs:KeyService:Listen must be address:port such as 127.0.0.1:5443 or [::1]:0 (was 'localhost:5443')",
                "Socs:KeyService:RequestsPerMinute must be between 1 and 1000000 (was 0)",
                "Socs:KeyService:Sensors:abc must be a SHA-256 thumbprint of 64 hex digits",
                "Socs:KeyService:Sensors:abc must name the sensor (was empty)",
                "Socs:KeyService:Url must be an https address such as https://keys.example.ac.jp:5443/ (was 'http://keys.example/')",
                "Socs:KeyService:ClientCertificate must name an existing file with Socs:KeyService:Url set (was '')",
                "Socs:KeyService:ClientKey must name an existing file with Socs:KeyService:Url set (was '')",
                "Socs:KeyService:TrustedCa must name an existing file with Socs:KeyService:Url set (was '')",
            ],
            result.Failures!);
        Assert.True(validator.Validate(null, new KeyServiceOptions { Listen = "[::1]:0" }).Succeeded);
        Assert.True(validator.Validate(null, new KeyServiceOptions()).Succeeded);

        // serve refuses them before anything is opened: one line each, exit 2, no data directory made.
        var data = Path.Combine(_root, "refused");
        var serve = Cli.Cli.Run("serve", "--set", "Socs:Data:Directory=" + data, "--set", "Socs:KeyService:Listen=127.0.0.1:0", "--set", "Socs:KeyService:Url=https://127.0.0.1:1/");
        Assert.Equal(2, serve.ExitCode);
        var lines = serve.Error.TrimEnd('\n').Split('\n');
        Assert.Contains("socs: Socs:KeyService:Listen and Socs:KeyService:Url exclude each other: a host either hands keys out or fetches them", lines);
        Assert.All(lines, l => Assert.StartsWith("socs: Socs:KeyService:", l, StringComparison.Ordinal));
        Assert.False(Directory.Exists(data));
    }

    [Fact]
    [Trait("Requirement", "R8.2")]
    public async Task The_organizations_own_server_certificate_serves_sensors_that_trust_its_ca_and_not_those_trusting_the_development_ca()
    {
        // The organization's CA issues the key service a certificate for the name sensors reach it by (here also
        // 127.0.0.1, the only address a test may use); a sensor trusting that CA fetches keys, one trusting the
        // development CA (whose localhost certificate the service no longer presents) is refused by its own TLS check.
        await ServiceKit.CreateDataAsync(KeysHost, _time);
        var (serverCertificate, serverKey, organizationCa) = OrganizationServerCertificate();
        var sensor1 = EnrolSensor("sensor-1");
        var keyHost = await StartKeyHostAsync(sensor1.Setting, "Socs:KeyService:ServerCertificate=" + serverCertificate, "Socs:KeyService:ServerKey=" + serverKey);
        try
        {
            var url = keyHost.Services.GetRequiredService<KeyServiceHostedService>().BaseAddress!;
            var keysData = keyHost.Services.GetRequiredService<SocsData>();
            var e1 = keysData.Schedule.EpochOf(s_tokyo, _time.GetUtcNow());

            var trusting = Path.Combine(_root, "sensor-org");
            await RegisterScopeAsync(trusting);
            var sensor = await StartSensorAsync(trusting, url, sensor1.Certificate, sensor1.Key, organizationCa);
            try
            {
                var sealedRecords = SealedOf(await IngestAsync(sensor.Services.GetRequiredService<SocsData>(), "org"), s_tokyo, e1);
                OpenWithUnwrappedKey(keysData, sealedRecords[0]);
            }
            finally
            {
                await StopAsync(sensor);
            }

            var devTrusting = Path.Combine(_root, "sensor-dev");
            await RegisterScopeAsync(devTrusting);
            var refused = await StartSensorAsync(devTrusting, url, sensor1.Certificate, sensor1.Key);
            try
            {
                var data = refused.Services.GetRequiredService<SocsData>();
                var result = await IngestAsync(data, "dev");
                Assert.Contains(result.Stored, r => r.Header.ContentLength > 0);
                Assert.All(result.Stored, r => Assert.True(r.SealedContent.IsEmpty, "content stored without a trusted key service"));
                Assert.Contains(data.History.Entries(), e => e.Action == "keys.sealing.failed");
            }
            finally
            {
                await StopAsync(refused);
            }
        }
        finally
        {
            await StopAsync(keyHost);
        }

        // Half a pair, or a key that is not the certificate's: one line each, exit 2, before anything is opened.
        var data2 = Path.Combine(_root, "refused-server");
        foreach (var settings in new[]
        {
            new[] { "Socs:KeyService:ServerCertificate=" + serverCertificate },
            ["Socs:KeyService:ServerCertificate=" + serverCertificate, "Socs:KeyService:ServerKey=" + organizationCa],
        })
        {
            var serve = Cli.Cli.Run(["serve", "--set", "Socs:Data:Directory=" + data2, "--set", "Socs:KeyService:Listen=127.0.0.1:0", .. settings.SelectMany(v => new[] { "--set", v })]);
            Assert.Equal(2, serve.ExitCode);
            Assert.Single(serve.Error.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("socs: Socs:KeyService:Server", serve.Error, StringComparison.Ordinal);
            Assert.False(Directory.Exists(data2));
        }
    }

    /// <summary>A CA of the organization's and the key service's server certificate it issues (names keys.socs.test and 127.0.0.1).</summary>
    private (string Certificate, string Key, string Ca) OrganizationServerCertificate()
    {
        var dir = Path.Combine(_root, "org-pki");
        Directory.CreateDirectory(dir);
        var now = _time.GetUtcNow();
        using var caKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Organization test CA", caKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        using var serverKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=keys.socs.test", serverKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("keys.socs.test");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var issued = request.Create(ca, now.AddDays(-1), now.AddDays(300), [1, 2, 3, 4, 5, 6, 7, 8]);
        var paths = (Path.Combine(dir, "server.crt.pem"), Path.Combine(dir, "server.key.pem"), Path.Combine(dir, "ca.crt.pem"));
        File.WriteAllText(paths.Item1, issued.ExportCertificatePem());
        File.WriteAllText(paths.Item2, serverKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(paths.Item3, ca.ExportCertificatePem());
        return paths;
    }

    /// <summary><c>participant keygen</c> on the sensor, then <c>certificates enrol-sensor</c> on the key-service host.</summary>
    private (string Certificate, string Key, string Thumbprint, string Setting) EnrolSensor(string name)
    {
        var dir = Path.Combine(_root, name + "-keys");
        var keygen = Cli.Cli.Run(_time, "participant", "keygen", "--out", dir, "--name", name);
        Assert.True(keygen.ExitCode == 0, keygen.Error);
        var certificate = Path.Combine(dir, name + ".crt.pem");
        var enrol = Cli.Cli.Run(_time, "certificates", "enrol-sensor", "--data", KeysHost, "--name", name, "--csr", Path.Combine(dir, name + ".csr.pem"), "--out", certificate);
        Assert.True(enrol.ExitCode == 0, enrol.Error);
        var lines = enrol.Out.Split('\n');
        var thumbprint = lines.Single(l => l.StartsWith("sha256\t", StringComparison.Ordinal))[7..];
        var setting = lines.Single(l => l.StartsWith("setting\t", StringComparison.Ordinal))[8..];
        Assert.Equal($"Socs:KeyService:Sensors:{thumbprint}={name}", setting);
        return (certificate, Path.Combine(dir, name + ".key.pem"), thumbprint, setting);
    }

    private async Task<IHost> StartKeyHostAsync(params string[] sensors)
    {
        var builder = ServeCommand.CreateBuilder(
            ["Socs:Data:Directory=" + KeysHost, "Socs:Capture:IncomingDirectory=" + Path.Combine(KeysHost, "incoming"), "Socs:KeyService:Listen=127.0.0.1:0", .. sensors], _time);
        builder.Services.AddSocsPipeline();
        builder.Services.AddSocsKeyService();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private async Task<IHost> StartSensorAsync(string directory, Uri url, string certificate, string key, string? trustedCa = null)
    {
        var builder = ServeCommand.CreateBuilder(
        [
            "Socs:Data:Directory=" + directory,
            "Socs:Capture:IncomingDirectory=" + Path.Combine(directory, "incoming"),
            "Socs:KeyService:Url=" + url,
            "Socs:KeyService:ClientCertificate=" + certificate,
            "Socs:KeyService:ClientKey=" + key,
            "Socs:KeyService:TrustedCa=" + (trustedCa ?? Path.Combine(KeysHost, DevelopmentCa.DirectoryName, "ca.crt.pem")),
        ], _time);
        builder.Services.AddSocsPipeline();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task StopAsync(IHost host)
    {
        await host.StopAsync();
        host.Dispose();
    }

    /// <summary>The sensor's registry: the two participants and their prefixes (its scope), without certificates or keys.</summary>
    private async Task RegisterScopeAsync(string directory)
    {
        await using var data = SocsData.Open(directory, _time);
        var scope = ScopeFile.Parse(File.ReadAllText(Path.Combine(ServiceKit.Samples, "prefixes.txt")), out _);
        var now = _time.GetUtcNow();
        foreach (var participant in new[] { s_tokyo, s_kyoto })
        {
            var mail = $"soc@{participant}.example.ac.jp";
            await data.Registry.AppendAsync(
            [
                new ApplicationSubmitted(now, $"app-{participant}", participant, participant.Value, [.. scope.Where(a => a.Participant == participant).Select(a => a.Prefix)], [mail], [new OperatorContact("op", mail, null, true)]),
                new ApplicationApproved(now, $"app-{participant}"),
            ]);
        }
    }

    /// <summary>What one ingestion stored, each record with a copy of its sealed bytes (the ingestor seals later
    /// batches into the same memory once a batch's callback returned).</summary>
    private sealed record Ingested(List<DetectionRecord> Stored);

    private async Task<Ingested> IngestAsync(SocsData data, string name)
    {
        var capture = Path.Combine(_root, name + ".pcap");
        ServiceKit.WriteCapture(capture, 1, 0, _time.GetUtcNow());
        var rules = RuleSet.Load(Path.Combine(ServiceKit.Samples, "rules", "demo.rules"), RuleVariables.ForScope(Ingestor.ScopeOf(data.Registry.State, _time.GetUtcNow())));
        var stored = new List<DetectionRecord>();
        await new Ingestor(data, rules, new LoadGovernorOptions()).IngestAsync(capture, (batch, _) =>
        {
            stored.AddRange(batch.Select(r => r with { SealedContent = r.SealedContent.ToArray() }));
            return Task.CompletedTask;
        });
        return new Ingested(stored);
    }

    /// <summary>The participant's records with content, each sealed and of the epoch.</summary>
    private static List<DetectionRecord> SealedOf(Ingested result, ParticipantId participant, EpochId epoch)
    {
        var records = result.Stored.Where(r => r.Participant == participant && r.Header.ContentLength > 0).ToList();
        Assert.NotEmpty(records);
        Assert.All(records, r =>
        {
            Assert.Equal(epoch, r.Epoch);
            Assert.False(r.SealedContent.IsEmpty, $"{r.Id}: no sealed content");
        });
        return records;
    }

    /// <summary>Opens a record with the key its operator unwraps from the key-service host's wrapped set (R8.1); returns the key's bytes.</summary>
    private byte[] OpenWithUnwrappedKey(SocsData keysHost, DetectionRecord record)
    {
        Assert.True(keysHost.Keys.TryLoadWrappedSet(record.Epoch, out var set), $"no wrapped set of {record.Epoch}");
        using var privateKey = ParticipantPrivateKey.Load(File.ReadAllBytes(Path.Combine(KeysHost + "-people", record.Participant.Value, "op.key.pem")), null);
        Assert.True(privateKey.TryUnwrap(set!, out var key, out var failure), failure.ToString());
        using (key)
        {
            Assert.True(ContentSealer.TryOpen(key!, SealingContext.For(record), record.SealedContent.Span, out byte[]? plaintext, out var openFailure), openFailure.ToString());
            Assert.Equal(record.Header.ContentLength, plaintext!.Length);
            var bytes = new byte[EpochKey.Size];
            key!.CopyTo(bytes);
            return bytes;
        }
    }

    private static List<string> FilesHolding(string root, byte[] needle) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(f => File.ReadAllBytes(f).AsSpan().IndexOf(needle) >= 0)];

    /// <summary>One request with a client certificate, trusting only the key-service host's CA at the test's clock.</summary>
    private async Task<(HttpStatusCode Status, int Length, string? Epoch)> GetAsync(Uri url, string certificate, string key, string participant)
    {
        using var client = X509Certificate2.CreateFromPemFile(certificate, key);
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(KeysHost, DevelopmentCa.DirectoryName, "ca.crt.pem"));
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [client],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => client,
                RemoteCertificateValidationCallback = (_, server, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
                    return server is X509Certificate2 s && chain.Build(s);
                },
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = url };
        using var response = await http.GetAsync($"v1/participants/{participant}/current-key");
        var body = await response.Content.ReadAsByteArrayAsync();
        var length = body.Length;
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(body);
        return (response.StatusCode, length, response.Headers.TryGetValues(KeyServiceProtocol.EpochHeader, out var epochs) ? epochs.Single() : null);
    }
}
