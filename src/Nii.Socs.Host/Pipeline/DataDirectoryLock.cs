using System.Globalization;
using System.Text;

namespace Nii.Socs.Host.Pipeline;

/// <summary>The one owner of a data directory: an exclusive OS lock on <c>DIR/run/lock</c> that dies with the process.</summary>
/// <remarks>
/// The lock is <c>flock(LOCK_EX)</c>, taken by opening the file with <see cref="FileShare.None"/> (.NET does so on
/// Unix); the kernel drops it when the process exits, also on <c>kill -9</c>, so there is no stale lock to clean up.
/// The holder writes its pid into <c>DIR/run/owner</c> (the lock file itself cannot be read while locked).
/// Within one process the lock is counted: <c>socs demo</c> closes and reopens the stores, and the admin channel runs
/// verbs inside the service against the same directory (docs/operations.md, "One owner").
/// </remarks>
internal sealed class DataDirectoryLock : IDisposable
{
    /// <summary>The folder under the data directory for the lock, the owner's pid and the admin socket.</summary>
    public const string RunDirectoryName = "run";

    private static readonly Dictionary<string, (FileStream Stream, int Count)> Held = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();
    private readonly string _directory;
    private bool _disposed;

    private DataDirectoryLock(string directory) => _directory = directory;

    /// <summary>The data directory this lock owns (full path).</summary>
    public string Directory => _directory;

    /// <summary>The run folder of a data directory.</summary>
    public static string RunDirectory(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), RunDirectoryName);

    /// <summary>The admin socket of a data directory.</summary>
    public static string SocketPath(string dataDirectory) => Path.Combine(RunDirectory(dataDirectory), "admin.sock");

    /// <summary>Takes the lock, or returns null with the holder's pid (0 when it has not written it yet).</summary>
    /// <param name="dataDirectory">An existing data directory.</param>
    /// <param name="holder">The pid of the process that holds it, when null is returned.</param>
    public static DataDirectoryLock? TryAcquire(string dataDirectory, out int holder)
    {
        var directory = Path.GetFullPath(dataDirectory).TrimEnd(Path.DirectorySeparatorChar);
        holder = 0;
        lock (Gate)
        {
            if (Held.TryGetValue(directory, out var held))
            {
                Held[directory] = (held.Stream, held.Count + 1);
                return new DataDirectoryLock(directory);
            }

            var run = RunDirectory(directory);
            if (OperatingSystem.IsWindows())
            {
                System.IO.Directory.CreateDirectory(run);
            }
            else
            {
                System.IO.Directory.CreateDirectory(run, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            FileStream stream;
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                stream = new FileStream(Path.Combine(run, "lock"), options);
            }
            catch (IOException)
            {
                holder = HolderPid(directory);
                return null;
            }

            var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            stream.SetLength(0);
            stream.Write(pid);
            stream.Flush();
            File.WriteAllBytes(Path.Combine(run, "owner"), pid);
            Held[directory] = (stream, 1);
            return new DataDirectoryLock(directory);
        }
    }

    /// <summary>Takes the lock or throws <see cref="DataDirectoryBusyException"/> naming the holder.</summary>
    public static DataDirectoryLock Acquire(string dataDirectory) =>
        TryAcquire(dataDirectory, out var holder) ?? throw new DataDirectoryBusyException(Path.GetFullPath(dataDirectory), holder);

    /// <summary>Whether this process holds the lock of <paramref name="dataDirectory"/>.</summary>
    public static bool HeldHere(string dataDirectory)
    {
        lock (Gate)
        {
            return Held.ContainsKey(Path.GetFullPath(dataDirectory).TrimEnd(Path.DirectorySeparatorChar));
        }
    }

    /// <summary>Releases this hold; the OS lock goes with the last one in the process.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            var held = Held[_directory];
            if (held.Count > 1)
            {
                Held[_directory] = (held.Stream, held.Count - 1);
                return;
            }

            Held.Remove(_directory);
            try
            {
                File.Delete(Path.Combine(RunDirectory(_directory), "owner"));
            }
            catch (IOException)
            {
                // The pid file is informative; the lock is what counts.
            }

            held.Stream.Dispose();
        }
    }

    private static int HolderPid(string directory)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(RunDirectory(directory), "owner")).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }
}

/// <summary>Another process owns the data directory (<see cref="DataDirectoryLock"/>).</summary>
internal sealed class DataDirectoryBusyException : Exception
{
    /// <summary>Creates the exception; its message is the one line the CLI prints.</summary>
    public DataDirectoryBusyException(string directory, int holder)
        : base(string.Create(
            CultureInfo.InvariantCulture,
            $"the data directory {directory} is in use by process {(holder > 0 ? holder.ToString(CultureInfo.InvariantCulture) : "(unknown pid)")} (run/lock); stop it first, or run state-changing verbs while it serves"))
    {
        Directory = directory;
        Holder = holder;
    }

    /// <summary>The data directory.</summary>
    public string Directory { get; }

    /// <summary>The pid of the owner (0 when unknown).</summary>
    public int Holder { get; }
}
