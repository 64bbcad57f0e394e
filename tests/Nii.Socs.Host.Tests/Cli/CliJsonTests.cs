using System.Text.Json;
using Nii.Socs.Host.Cli;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>Every verb that prints data takes <c>--json</c>, and what it prints parses (docs/cli.md): enumerated over the
/// command tree, so a verb added later without <c>--json</c>, or without a run here, fails.</summary>
public sealed class CliJsonTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-cli-json-").FullName;

    private string Data => Path.Combine(_root, "data");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static List<string> Verbs()
    {
        using var sink = new StringWriter();
        var root = CliApp.BuildRoot(new CliContext(sink, sink, TimeProvider.System));
        return [.. CliGuide.Leaves(root, []).Select(p => string.Join(' ', p))];
    }

    private static bool HasJson(string verb)
    {
        using var sink = new StringWriter();
        System.CommandLine.Command command = CliApp.BuildRoot(new CliContext(sink, sink, TimeProvider.System));
        foreach (var name in verb.Split(' '))
        {
            command = command.Subcommands.Single(c => c.Name == name);
        }

        return command.Options.Any(o => o.Name == "--json");
    }

    [Fact]
    public void Every_verb_takes_json_unless_it_prints_no_data()
    {
        var verbs = Verbs();
        Assert.True(verbs.Count >= 34, string.Join(", ", verbs));
        var missing = verbs.Where(v => !CliOutput.NoDataVerbs.Contains(v) && !HasJson(v)).ToList();
        Assert.True(missing.Count == 0, "no --json: " + string.Join(", ", missing));
        Assert.All(CliOutput.NoDataVerbs, v => Assert.Contains(v, verbs));
    }

    [Fact]
    public void Every_verb_with_json_prints_json_that_parses()
    {
        var ran = new HashSet<string>(StringComparer.Ordinal);
        var verbs = Verbs();
        JsonElement Json(int[] codes, params string[] args)
        {
            var verb = Enumerable.Range(1, Math.Min(3, args.Length)).Reverse().Select(k => string.Join(' ', args.Take(k))).First(verbs.Contains);
            var result = Cli.Run([.. args, "--json"]);
            Assert.True(codes.Contains(result.ExitCode), $"{verb}: exit {result.ExitCode}: {result.Error}");
            ran.Add(verb);
            using var document = JsonDocument.Parse(result.Out);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            return document.RootElement.Clone();
        }

        JsonElement Ok(params string[] args) => Json([0], args);

        Assert.Equal(0, Cli.Run("demo", "--no-serve", "--data", Data).ExitCode);
        var samples = Path.Combine(AppContext.BaseDirectory, "samples");

        Ok("calendar", "holidays", "--from", "2026-01-01", "--to", "2026-12-31");
        var window = Ok("calendar", "service-window", "--at", "2026-12-28T16:30:00+09:00");
        Assert.Equal("2026-12-28T16:30:00+09:00", window.GetProperty("at").GetString());
        Ok("participants", "period", "--approved", "2026-05-10");
        Ok("participants", "termination", "--notice-date", "2026-05-10");
        var application = Path.Combine(_root, "application.json");
        File.WriteAllText(application, """{"institutionName":"U","prefixes":["10.0.0.0/8"],"contactMails":["soc@u.example.ac.jp"],"operators":[{"name":"A","mail":"a@u.example.ac.jp","issueCertificate":true}]}""");
        Ok("participants", "validate", application);
        Assert.Equal("2027-04-01T00:00:00+09:00", Ok("retention", "expiry", "--acquired", "2026-12-31T23:59:59+09:00").GetProperty("expiry").GetString());
        Ok("retention", "sweep", "--data", Data, "--dry-run");
        Assert.True(Ok("audit", "verify", "--data", Data).GetProperty("intact").GetBoolean());
        Assert.True(Ok("store", "stats", "--data", Data).GetProperty("records").GetInt64() > 0);

        // detections list names the records, so consent view needs no portal.
        var listed = Ok("detections", "list", "--data", Data, "--participant", "u-tokyo", "--limit", "10000").GetProperty("detections").EnumerateArray().ToList();
        Assert.NotEmpty(listed);
        Assert.All(listed, d => Assert.EndsWith("+09:00", d.GetProperty("observed").GetString(), StringComparison.Ordinal));
        var oldest = listed[^1];
        var record = listed.First(d => d.GetProperty("sid").GetInt64() == 1000001).GetProperty("id").GetString()!;

        var request = Ok("consent", "request", "--data", Data, "--participant", "u-tokyo", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-02T00:00:00Z", "--purpose", "sample for research", "--requester", "staff:yamada", "--kind", "research");
        var requestId = request.GetProperty("request").GetString()!;
        Assert.Equal("2026-11-30T09:00:00+09:00", request.GetProperty("scope").GetProperty("from").GetString());
        var wrapped = request.GetProperty("needs_keys")[0].GetProperty("wrapped").GetString()!;
        var epoch = request.GetProperty("needs_keys")[0].GetProperty("epoch").GetInt64();
        Ok("consent", "show", "--data", Data, "--request", requestId);

        // The participant's side, on its own machine (the demo keeps its people beside the data directory).
        var people = Path.Combine(_root, "participants", "u-tokyo");
        var (certificate, privateKey) = (Path.Combine(people, "sato.crt.pem"), Path.Combine(people, "sato.key.pem"));
        var key = Ok("keys", "unwrap", "--wrapped", wrapped, "--private-key", privateKey).GetProperty("key_hex").GetString()!;
        Ok("participant", "unwrap", "--wrapped", wrapped, "--private-key", privateKey);
        Ok("keys", "wrap", "--cert", certificate, "--key-hex", key);
        Ok("keys", "rewrap", "--wrapped", wrapped, "--private-key", privateKey, "--cert", certificate);
        var requestFile = Path.Combine(_root, "request.json");
        Ok("consent", "export-request", "--data", Data, "--request", requestId, "--out", requestFile);
        var approvalFile = Path.Combine(_root, "approval.p7m");
        Ok("participant", "approve", "--request", requestFile, "--key", $"{epoch}={key}", "--certificate", certificate, "--private-key", privateKey, "--out", approvalFile);
        var grant = Ok("consent", "approve", "--data", Data, "--approval", approvalFile).GetProperty("grant").GetString()!;

        // Operators make their keys; the organization signs CSRs of registered operators only; renew and revoke.
        var suzuki = Path.Combine(_root, "suzuki");
        Ok("participant", "keygen", "--out", suzuki, "--name", "suzuki");
        var thumbprint = Ok("certificates", "enrol", "--data", Data, "--participant", "u-tokyo", "--operator", "sato", "--csr", Path.Combine(suzuki, "suzuki.csr.pem"), "--out", Path.Combine(suzuki, "received.crt.pem")).GetProperty("sha256").GetString()!;
        Ok("participant", "bundle", "--dir", suzuki, "--name", "suzuki", "--certificate", Path.Combine(suzuki, "received.crt.pem"));
        var renewed = Path.Combine(_root, "suzuki-2");
        Ok("participant", "keygen", "--out", renewed, "--name", "suzuki");
        var thumbprint2 = Ok("certificates", "renew", "--data", Data, "--participant", "u-tokyo", "--thumbprint", thumbprint, "--csr", Path.Combine(renewed, "suzuki.csr.pem")).GetProperty("sha256").GetString()!;
        Ok("certificates", "revoke", "--data", Data, "--participant", "u-tokyo", "--thumbprint", thumbprint2, "--reason", "test");
        var staffKeys = Path.Combine(_root, "staff-bob");
        Ok("participant", "keygen", "--out", staffKeys, "--name", "staff-bob");
        Ok("certificates", "enrol-staff", "--data", Data, "--name", "bob", "--csr", Path.Combine(staffKeys, "staff-bob.csr.pem"));
        var sensorKeys = Path.Combine(_root, "sensor-1");
        Ok("participant", "keygen", "--out", sensorKeys, "--name", "sensor-1");
        Ok("certificates", "enrol-sensor", "--data", Data, "--name", "sensor-1", "--csr", Path.Combine(sensorKeys, "sensor-1.csr.pem"));

        // The procedures (R3, R5.2, R7.3, R11, R12).
        var osaka = Path.Combine(_root, "osaka.json");
        File.WriteAllText(osaka, """{"participant":"osaka-u","institutionName":"Osaka","prefixes":["203.0.113.0/24"],"contactMails":["soc@osaka-u.example.ac.jp"],"operators":[{"name":"Ito","mail":"ito@osaka-u.example.ac.jp","issueCertificate":true}]}""");
        var applied = Ok("participants", "apply", "--data", Data, "--file", osaka).GetProperty("id").GetString()!;
        Ok("participants", "approve", "--data", Data, "--application", applied);
        Ok("participants", "agreement", "--data", Data, "--participant", "osaka-u", "--months", "2", "--reference", "REF-1");
        var change = Path.Combine(_root, "change.json");
        File.WriteAllText(change, """{"contactMails":["noc@osaka-u.example.ac.jp"]}""");
        Ok("participants", "change", "--data", Data, "--participant", "osaka-u", "--file", change);
        Ok("exclusions", "start", "--data", Data, "--participant", "osaka-u", "--prefix", "203.0.113.0/25", "--reason", "load");
        Ok("exclusions", "end", "--data", Data, "--participant", "osaka-u", "--prefix", "203.0.113.0/25", "--reason", "over");
        Ok("participants", "extension", "--data", Data, "--participant", "osaka-u", "--decline", "--reason", "ends");
        Ok("participants", "terminate", "--data", Data, "--participant", "osaka-u", "--notice-date", "2027-01-15");
        var nagoya = Path.Combine(_root, "nagoya.json");
        File.WriteAllText(nagoya, """{"participant":"nagoya-u","institutionName":"Nagoya","prefixes":["100.64.0.0/24"],"contactMails":["soc@nagoya-u.example.ac.jp"],"operators":[{"name":"Kato","mail":"kato@nagoya-u.example.ac.jp","issueCertificate":false}]}""");
        Ok("participants", "refuse", "--data", Data, "--application", Ok("participants", "apply", "--data", Data, "--file", nagoya).GetProperty("id").GetString()!, "--reason", "1", "--note", "not a member");
        Ok("participants", "revoke", "--data", Data, "--participant", "kyoto-u", "--reason", "6", "--note", "test");
        Ok("participants", "list", "--data", Data);
        Ok("participants", "show", "--data", Data, "--participant", "osaka-u");
        Ok("certificates", "list", "--data", Data);

        Assert.Equal(record, Ok("consent", "view", "--data", Data, "--grant", grant, "--record", record).GetProperty("record").GetString());

        var second = Ok("consent", "request", "--data", Data, "--participant", "u-tokyo", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-01T00:00:00Z", "--purpose", "p", "--requester", "staff:yamada").GetProperty("request").GetString()!;
        Ok("consent", "deny", "--data", Data, "--request", second, "--reason", "not needed", "--operator", "sato");

        // The fault exception opens a record of an epoch whose key the host still holds, or refuses with exit 2.
        var newest = listed[0].GetProperty("id").GetString()!;
        var fault = Cli.Run("consent", "fault-access", "--data", Data, "--record", newest, "--reason", "index check", "--incident", "INC-1", "--staff", "yamada", "--json");
        Assert.True(fault.ExitCode is 0 or 2, fault.Error);
        if (fault.ExitCode == 0)
        {
            using var parsed = JsonDocument.Parse(fault.Out);
        }

        ran.Add("consent fault-access");

        Ok("research", "anonymize-ip", "--key-hex", new string('a', 64), "192.0.2.1", "2001:db8::1");
        Ok("research", "recipients", "add", "--data", Data, "--name", "lab", "--organization", "A lab");
        Assert.Equal("lab", Ok("research", "recipients", "list", "--data", Data).GetProperty("recipients")[0].GetProperty("name").GetString());
        Ok("research", "export", "--data", Data, "--from", "2026-11-01T00:00:00+09:00", "--to", "2027-01-01T00:00:00+09:00", "--recipient", "lab", "--out", Path.Combine(_root, "export"), "--format", "csv", "--quiet");
        Ok("research", "malware", "--data", Data, "--grant", grant, "--record", record, "--recipient", "lab", "--out", Path.Combine(_root, "malware"));
        Ok("research", "recipients", "remove", "--data", Data, "--name", "lab");

        // store ship needs a PostgreSQL cluster (Socs:Storage); without one it refuses with exit 2. Its JSON is checked
        // against a real cluster in tests/Nii.Socs.Storage.Tests (StoreShipCommandTests).
        var ship = Cli.Run("store", "ship", "--data", Data, "--json");
        Assert.True(ship.ExitCode == 2, ship.Error);
        ran.Add("store ship");

        Ok("mail", "outbox", "--data", Data);
        Ok("mail", "follow-up", "--data", Data, "--participant", "u-tokyo", "--sid", oldest.GetProperty("sid").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "--knowledge", "k", "--countermeasures", "c", "--staff", "yamada");

        // --out FILE.html writes that file and its .json sibling, not a directory.
        var report = Path.Combine(_root, "report.html");
        Json([0, 1], "inspect", "--data", Data, "--year", "2026", "--out", report);
        Assert.True(File.Exists(report) && File.Exists(Path.ChangeExtension(report, ".json")));

        Ok("capture", "inspect", Path.Combine(samples, "captures", "demo.pcap"), "--limit", "3");
        Ok("capture", "scan", Path.Combine(samples, "captures", "demo.pcap"), "--prefixes", Path.Combine(samples, "prefixes.txt"), "--rules", Path.Combine(samples, "rules", "demo.rules"));

        var expected = verbs.Where(v => !CliOutput.NoDataVerbs.Contains(v)).ToHashSet(StringComparer.Ordinal);
        expected.ExceptWith(ran);
        Assert.True(expected.Count == 0, "not run with --json here: " + string.Join(", ", expected));
    }
}
