namespace Nii.Socs.Host.Tests.Research;

/// <summary>`socs research export` reads the FASTER detection store of a real data directory (the demo's).</summary>
public sealed class StoredResearchExportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "socs-research-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        foreach (var d in new[] { _dir, _dir + "-out" })
        {
            if (Directory.Exists(d))
            {
                Directory.Delete(d, recursive: true);
            }
        }

        TestOperatorKeys.DeleteSecrets(_dir);
    }

    [Fact]
    [Trait("Requirement", "R9.1")]
    public void R9_1_export_of_the_demo_store_has_every_record_and_no_identity()
    {
        Assert.Equal(0, Cli.Cli.Run("demo", "--no-serve", "--data", _dir, "--people", _dir + "-people").ExitCode);
        Assert.Equal(0, Cli.Cli.Run("research", "recipients", "add", "--data", _dir, "--name", "lab-a", "--organization", "Example Lab").ExitCode);
        var export = Cli.Cli.Run("research", "export", "--data", _dir, "--from", "2026-11-01T00:00:00Z", "--to", "2027-01-01T00:00:00Z", "--recipient", "lab-a", "--out", _dir + "-out", "--format", "csv", "--quiet");
        Assert.True(export.ExitCode == 0, export.Error);
        Assert.Contains("rows: 12", export.Out, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(_dir + "-out"))
        {
            var text = File.ReadAllText(file);
            foreach (var identity in new[] { "u-tokyo", "kyoto-u", "Example University", "sato", "soc@", "192.0.2.", "198.51.100.", "2001:db8", "passwd" })
            {
                Assert.DoesNotContain(identity, text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}

/// <summary>`socs research malware`: samples leave only under a research-purpose grant, in a zip encrypted with "infected" (R9.2).</summary>
public sealed class MalwareExportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "socs-malware-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        foreach (var d in new[] { _dir, _dir + "-out", _dir + "-out2" })
        {
            if (Directory.Exists(d))
            {
                Directory.Delete(d, recursive: true);
            }
        }

        TestOperatorKeys.DeleteSecrets(_dir);
    }

    [Fact]
    [Trait("Requirement", "R9.2")]
    public async Task R9_2_a_sample_leaves_only_under_a_research_grant_encrypted_with_infected()
    {
        Assert.Equal(0, Cli.Cli.Run("demo", "--no-serve", "--data", _dir, "--people", _dir + "-people").ExitCode);
        Assert.Equal(0, Cli.Cli.Run("research", "recipients", "add", "--data", _dir, "--name", "malware-lab", "--organization", "Example Malware Lab").ExitCode);
        string record;
        using (var store = Nii.Socs.Core.Storage.DetectionStore.Open(_dir))
        {
            var page = await store.QueryAsync(new Nii.Socs.Core.Storage.DetectionQuery { Participant = new Nii.Socs.Core.Participants.ParticipantId("u-tokyo"), From = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), RuleSid = 1000004 });
            record = page.Records.Single().Id.ToString();
        }

        var grants = new Dictionary<string, string>();
        foreach (var kind in new[] { "investigation", "research" })
        {
            var request = Cli.Cli.Run("consent", "request", "--data", _dir, "--participant", "u-tokyo", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-02T00:00:00Z", "--purpose", "sample for analysis", "--requester", "staff:yamada", "--kind", kind);
            var id = Field(request.Out, "request");
            // The operator signs the approval on its side, with its own key; the organization checks the signature.
            var operatorDirectory = Path.Combine(_dir + "-people", "participants", "u-tokyo");
            var requestFile = Path.Combine(_dir + "-people", kind + ".json");
            var approvalFile = Path.Combine(_dir + "-people", kind + ".p7m");
            Assert.Equal(0, Cli.Cli.Run("consent", "export-request", "--data", _dir, "--request", id, "--out", requestFile).ExitCode);
            Assert.Equal(0, Cli.Cli.Run("participant", "approve", "--request", requestFile, "--certificate", Path.Combine(operatorDirectory, "sato.crt.pem"), "--private-key", Path.Combine(operatorDirectory, "sato.key.pem"), "--out", approvalFile).ExitCode);
            var approve = Cli.Cli.Run("consent", "approve", "--data", _dir, "--approval", approvalFile);
            Assert.True(approve.ExitCode == 0, approve.Error);
            grants[kind] = Field(approve.Out, "grant");
        }

        var refused = Cli.Cli.Run("research", "malware", "--data", _dir, "--grant", grants["investigation"], "--record", record, "--recipient", "malware-lab", "--out", _dir + "-out2");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("research", refused.Error, StringComparison.Ordinal);

        var export = Cli.Cli.Run("research", "malware", "--data", _dir, "--grant", grants["research"], "--record", record, "--recipient", "malware-lab", "--out", _dir + "-out");
        Assert.True(export.ExitCode == 0, export.Error);
        Assert.DoesNotContain("X5O!P", File.ReadAllText(Path.Combine(_dir + "-out", "manifest.json")), StringComparison.Ordinal);
        using var zip = new ICSharpCode.SharpZipLib.Zip.ZipFile(Path.Combine(_dir + "-out", "samples.zip")) { Password = "infected" };
        var sample = zip.Cast<ICSharpCode.SharpZipLib.Zip.ZipEntry>().First(e => !e.Name.EndsWith(".json", StringComparison.Ordinal));
        using var reader = new StreamReader(zip.GetInputStream(sample));
        Assert.Contains("X5O!P%@AP", await reader.ReadToEndAsync(), StringComparison.Ordinal);

        // The export's views are in the history, like every view.
        Assert.Contains(Nii.Socs.Core.Storage.OperationHistoryStore.ReadAll(_dir), e => e.Action == "consent.viewed" && e.Subject.EndsWith(record, StringComparison.Ordinal));
    }

    private static string Field(string text, string name) =>
        text.Split('\n').First(l => l.StartsWith(name + "\t", StringComparison.Ordinal)).Split('\t')[1];
}
