namespace Nii.Socs.Core.Storage.Keys;

/// <summary>Durable writes (temp + fsync + rename) and overwrite-then-delete for the key store's small files.</summary>
internal static class SafeFile
{
    /// <summary>Writes a file so that a crash leaves either the old or the new content, never a mix.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, OwnerOnlyNew(FileOptions.WriteThrough)))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            // .NET cannot open a directory to fsync it; the rename is atomic, and durable once the
            // file system commits its journal (docs/keys.md, Pitfalls).
        }
        finally
        {
            if (File.Exists(temp))
            {
                Destroy(temp);
            }
        }
    }

    /// <summary>Options that create a new file readable and writable by its owner only (0600 on Unix).</summary>
    public static FileStreamOptions OwnerOnlyNew(FileOptions options = FileOptions.None)
    {
        var result = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, Options = options };
        if (!OperatingSystem.IsWindows())
        {
            result.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return result;
    }

    /// <summary>Overwrites a file with zeros in place, flushes, then deletes it; does nothing when it is absent.</summary>
    /// <remarks>R8.4. On SSDs and journaling or copy-on-write file systems the old blocks may survive
    /// in flash or in the journal; docs/keys.md says what this does and does not guarantee.</remarks>
    public static void Destroy(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            var zeros = new byte[stream.Length];
            stream.Write(zeros);
            stream.Flush(flushToDisk: true);
        }

        File.Delete(path);
        if (File.Exists(path))
        {
            throw new IOException($"The file '{path}' still exists after deletion.");
        }
    }
}
