using System.Security.Cryptography;

namespace Nii.Socs.Host.Tests.Docs;

/// <summary>What a directory holds, for "changes nothing" claims: every entry's path, and for files size, SHA-256 and
/// modification time. <c>run/</c> is left out: it holds the lock and pid of whichever process has the directory open.</summary>
internal static class DirectoryListing
{
    /// <param name="root">The directory.</param>
    /// <param name="times">False to leave modification times out: a rewrite with the same bytes then counts as no change.</param>
    public static List<string> Of(string root, bool times = true) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(path => Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar)[0] != "run")
            .Order(StringComparer.Ordinal)
            .Select(path => File.Exists(path)
                ? $"{Path.GetRelativePath(root, path)} {new FileInfo(path).Length} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))}{(times ? " " + File.GetLastWriteTimeUtc(path).Ticks : string.Empty)}"
                : $"{Path.GetRelativePath(root, path)}/")];
}
