using System.Text.RegularExpressions;

namespace Nii.Socs.Host.Tests.Docs;

/// <summary>docs/regulation-map.md and the tests' Requirement traits name the same requirements (definition of done, 3).</summary>
public partial class RegulationMapTests
{
    private static readonly string s_root = FindRoot();

    [Fact]
    public void Every_requirement_a_test_proves_has_a_row_and_every_row_has_a_test()
    {
        var map = File.ReadAllText(Path.Combine(s_root, "docs", "regulation-map.md"));
        var mapped = FirstCells().Matches(map).SelectMany(m => Ids().Matches(m.Groups[1].Value).Select(i => i.Value)).ToHashSet();
        var traits = Directory.EnumerateFiles(Path.Combine(s_root, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => TraitIds().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet();

        Assert.NotEmpty(traits);
        Assert.Empty(traits.Except(mapped).Order());
        Assert.Empty(mapped.Except(traits).Order());
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Nii.Socs.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Nii.Socs.sln not found above the test directory.");
    }

    [GeneratedRegex(@"^\| (R[^|]+)\|", RegexOptions.Multiline)]
    private static partial Regex FirstCells();

    [GeneratedRegex(@"R\d+\.\d+")]
    private static partial Regex Ids();

    [GeneratedRegex(@"Trait\(""Requirement"", ""(R\d+\.\d+)""\)")]
    private static partial Regex TraitIds();
}
