using Microsoft.Extensions.Time.Testing;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>docs/consent.md: the command line keeps a grant's presented keys sealed in <c>consent/grants/&lt;grant&gt;/</c>
/// until the grant ends, and every consent verb first destroys the keys of ended grants.</summary>
public sealed class ConsentGrantCopyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-grant-copy-").FullName;

    private string Data => Path.Combine(_root, "data");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait("Requirement", "R8.6")]
    public void A_consent_verb_run_after_a_grants_end_destroys_its_key_copy_first_and_one_run_before_keeps_it()
    {
        var people = Path.Combine(_root, "people");
        Assert.Equal(0, Cli.Run("demo", "--no-serve", "--data", Data, "--people", people).ExitCode);
        var request = Cli.Run("consent", "request", "--data", Data, "--participant", "u-tokyo", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-02T00:00:00Z", "--purpose", "p", "--requester", "staff:yamada");
        var id = request.Out.Split('\n')[0].Split('\t')[1];
        var operatorDirectory = Path.Combine(people, "participants", "u-tokyo");
        Assert.Equal(0, Cli.Run("consent", "export-request", "--data", Data, "--request", id, "--out", Path.Combine(_root, "r.json")).ExitCode);
        Assert.Equal(0, Cli.Run("participant", "approve", "--request", Path.Combine(_root, "r.json"), "--certificate", Path.Combine(operatorDirectory, "sato.crt.pem"), "--private-key", Path.Combine(operatorDirectory, "sato.key.pem"), "--grant-hours", "1", "--out", Path.Combine(_root, "a.p7m")).ExitCode);
        var approve = Cli.Run("consent", "approve", "--data", Data, "--approval", Path.Combine(_root, "a.p7m"));
        Assert.True(approve.ExitCode == 0, approve.Error);
        var grant = approve.Out.Split('\n')[0].Split('\t')[1];
        var copy = Path.Combine(Data, Core.Storage.Consent.ConsentStore.DirectoryName, "grants", grant);
        Assert.True(Directory.Exists(copy) && Directory.GetFiles(copy).Length > 0);

        var during = Cli.Run(new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(30)), "consent", "show", "--data", Data, "--request", id);
        Assert.True(during.ExitCode == 0, during.Error);
        Assert.True(Directory.Exists(copy), "the copy is kept while the grant lives");

        var after = Cli.Run(new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(61)), "consent", "show", "--data", Data, "--request", id);
        Assert.True(after.ExitCode == 0, after.Error);
        Assert.False(Directory.Exists(copy), "the grant's key copy outlived the grant");
    }
}
