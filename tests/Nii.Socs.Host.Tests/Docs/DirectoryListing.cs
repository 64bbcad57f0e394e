using System.Security.Cryptography;

namespace Nii.Socs.Host.Tests.Docs;

/// <summary>What a directory holds, for "changes nothing" claims: every entry's path, and for files size, SHA-256 and
/// modification time. <c>run/</c> is left out: it holds the lock and pid of whichever process has the directory open.</summary>
internal static class DirectoryListing
{
    public static List<string> Of(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(path => Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar)[0] != "run")
            .Order(StringComparer.Ordinal)
            .Select(path => File.Exists(path)
                ? $"{Path.GetRelativePath(root, path)} {new FileInfo(path).Length} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))} {File.GetLastWriteTimeUtc(path).Ticks}"
                : $"{Path.GetRelativePath(root, path)}/")];
}
