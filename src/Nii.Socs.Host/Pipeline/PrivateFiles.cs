using System.Runtime.InteropServices;

namespace Nii.Socs.Host.Pipeline;

/// <summary>Files the service writes are its own: 0600 files in 0700 directories, whatever the umask it was started with.</summary>
/// <remarks>
/// <see cref="RestrictProcessUmask"/> runs first in <c>Program</c>: it sets the process umask to 077, so that every file
/// any part of the process creates — FASTER's log segments and checkpoints, which it creates itself, included — is
/// created without group or other bits. Writers that this project owns also create with explicit modes
/// (<see cref="CreateDirectory"/>, <see cref="WriteAllText"/>), which holds when the library is used without
/// <c>Program</c>. Proven by <c>FileModeTests.Demo_under_umask_000_leaves_only_0600_files_and_0700_directories</c>.
/// </remarks>
internal static class PrivateFiles
{
    /// <summary>rwx for the owner only.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>rw for the owner only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Sets the process umask to 077 (no-op on Windows); returns the previous one, or -1 on Windows.</summary>
    public static int RestrictProcessUmask() => OperatingSystem.IsWindows() ? -1 : (int)Umask(0x3F);

    /// <summary>Creates a directory (and its missing parents) with mode 0700; an existing one is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, DirectoryMode);
    }

    /// <summary>Writes a whole file, created (or truncated) with mode 0600.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        using (var file = new FileStream(path, options))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            // An existing file keeps its old mode on FileMode.Create: set it explicitly.
            File.SetUnixFileMode(path, FileMode);
        }
    }

    /// <summary>Writes a whole text file (UTF-8), created with mode 0600.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    [DllImport("libc", EntryPoint = "umask")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint Umask(uint mask);
}
