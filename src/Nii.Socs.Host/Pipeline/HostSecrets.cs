namespace Nii.Socs.Host.Pipeline;

/// <summary>Where the host's secrets live: the key-encryption key and the development CA's and portal's private keys,
/// never inside the data directory, so a copy of the data directory alone opens nothing (R8.4, R7.2).</summary>
/// <remarks>
/// The KEK file is, in order: the setting <c>Socs:Keys:KekPath</c> (also as the environment variable
/// <c>SOCS_Socs__Keys__KekPath</c>, which one-shot verbs read too); <c>$CREDENTIALS_DIRECTORY/socs-kek</c> when systemd passes
/// the service a credential of that name; else <c>&lt;data&gt;.secrets/host.kek</c>, a sibling directory (mode 0700). The
/// development CA's and the portal server's private keys are in <c>&lt;data&gt;.secrets/pki/</c>.
/// <para>A path inside the data directory is refused: the service does not start (docs/security.md).</para>
/// </remarks>
internal static class HostSecrets
{
    /// <summary>The setting naming the KEK file.</summary>
    public const string KekPathSetting = "Socs:Keys:KekPath";

    /// <summary>The file name of the KEK in a systemd credentials directory.</summary>
    public const string CredentialName = "socs-kek";

    /// <summary>The sibling secrets directory of a data directory: <c>&lt;data&gt;.secrets</c>.</summary>
    public static string DirectoryFor(string dataDirectory) =>
        Path.GetFullPath(dataDirectory).TrimEnd(Path.DirectorySeparatorChar) + ".secrets";

    /// <summary>The KEK file of a data directory (see the remarks); refuses one inside the data directory.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="configured">The configured path, or null to read the environment.</param>
    /// <exception cref="Cli.CliUsageException">The path is inside the data directory.</exception>
    public static string KekFile(string dataDirectory, string? configured = null)
    {
        configured ??= Environment.GetEnvironmentVariable("SOCS_Socs__Keys__KekPath");
        string path;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            path = Path.GetFullPath(configured);
        }
        else if (Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY") is { Length: > 0 } credentials && File.Exists(Path.Combine(credentials, CredentialName)))
        {
            path = Path.GetFullPath(Path.Combine(credentials, CredentialName));
        }
        else
        {
            path = Path.Combine(DirectoryFor(dataDirectory), "host.kek");
        }

        if (IsInside(dataDirectory, path))
        {
            throw new Cli.CliUsageException($"the key-encryption key {path} is inside the data directory {Path.GetFullPath(dataDirectory)}; a copy of the data would open it. Set {KekPathSetting} to a path outside.");
        }

        return path;
    }

    /// <summary>Whether <paramref name="path"/> is the data directory or inside it.</summary>
    public static bool IsInside(string dataDirectory, string path)
    {
        var root = Path.GetFullPath(dataDirectory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(path);
        return (full + Path.DirectorySeparatorChar).StartsWith(root, StringComparison.Ordinal);
    }
}
