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

        File.Delete(_dir + ".kek");
    }

    [Fact]
    [Trait("Requirement", "R9.1")]
    public void R9_1_export_of_the_demo_store_has_every_record_and_no_identity()
    {
        Assert.Equal(0, Cli.Cli.Run("demo", "--no-serve", "--data", _dir).ExitCode);
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
