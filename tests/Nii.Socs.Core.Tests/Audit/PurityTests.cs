namespace Nii.Socs.Core.Tests.Audit;

/// <summary>The domain folders of this area stay pure (STYLE §2): no file, FASTER, storage or ambient clock.</summary>
public sealed class PurityTests
{
    private static readonly string[] Forbidden = ["System.IO", "FASTER", "Core.Storage", "File.", "Directory.", "TimeProvider.System", "UtcNow", "System.Net.Sockets"];

    [Theory]
    [InlineData("src/Nii.Socs.Core/Audit")]
    [InlineData("src/Nii.Socs.Core/Retention")]
    [InlineData("src/Nii.Socs.Core/Participants/Registry")]
    public void Domain_folder_has_no_IO_storage_or_ambient_time(string folder)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Nii.Socs.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Nii.Socs.sln not found above the test binaries.");
        }

        var files = Directory.GetFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var offences = files
            .SelectMany(f => Forbidden.Where(word => File.ReadAllText(f).Contains(word, StringComparison.Ordinal)).Select(word => $"{Path.GetFileName(f)}: {word}"))
            .ToList();
        Assert.Empty(offences);
    }
}
