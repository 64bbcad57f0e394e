using Microsoft.Extensions.Time.Testing;

namespace Nii.Socs.Host.Tests.Inspection;

/// <summary>docs/cli.md, edge cases: <c>inspect --out report.html</c> where <c>report.html</c> is an existing directory
/// is refused (the name asks for a file).</summary>
public sealed class InspectOutTests
{
    [Fact]
    public async Task Inspect_out_naming_an_html_file_that_is_a_directory_exits_2_with_one_line()
    {
        using var data = await InspectionFixture.CreateAsync(lateDestruction: false);
        var output = Directory.CreateTempSubdirectory("socs-inspect-out-").FullName;
        try
        {
            var directory = Directory.CreateDirectory(Path.Combine(output, "report.html")).FullName;

            var result = Cli.Cli.Run(new FakeTimeProvider(InspectionFixture.Now), "inspect", "--data", data.Path, "--year", "2026", "--out", directory);

            Assert.Equal(2, result.ExitCode);
            Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
            Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
            Assert.False(File.Exists(Path.Combine(output, "report.json")));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
