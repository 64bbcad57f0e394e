using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Host.Tests.Docs;

namespace Nii.Socs.Host.Tests.Inspection;

/// <summary>docs/inspection.md: "The inspection never writes to the data directory".</summary>
public sealed class InspectReadOnlyTests
{
    [Fact]
    [Trait("Requirement", "R13.1")]
    public async Task Inspect_changes_no_file_of_the_data_directory_it_reports_on()
    {
        using var data = await InspectionFixture.CreateAsync(lateDestruction: true);
        var output = Directory.CreateTempSubdirectory("socs-inspect-out-").FullName;
        try
        {
            var before = DirectoryListing.Of(data.Path);

            var result = Cli.Cli.Run(new FakeTimeProvider(InspectionFixture.Now), "inspect", "--data", data.Path, "--year", "2026", "--out", output);

            Assert.True(result.ExitCode == 1, result.Out + result.Error);
            Assert.True(File.Exists(Path.Combine(output, "report.json")));
            Assert.NotEmpty(before);
            Assert.Equal(before, DirectoryListing.Of(data.Path));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
