using FASTER.core;

namespace Nii.Socs.Core.Storage;

/// <summary>One FasterLog with its device, opened on a directory, recovered to its last commit, with group commit.</summary>
/// <remarks>
/// Appends are acknowledged only once <see cref="EnsureCommittedAsync"/> has seen the commit cover them: FASTER's
/// <c>EnqueueAndWaitForCommit</c> waits for a commit but does not issue one (STYLE §9). Concurrent callers share one
/// <c>CommitAsync</c> (group commit): whoever finds no commit in flight starts one, the others wait on it and start
/// another only when their entry was enqueued after it began.
/// </remarks>
internal sealed class FasterLogHandle : IDisposable
{
    private readonly IDevice _device;
    private readonly Lock _gate = new();
    private readonly Func<CancellationToken, Task>? _afterCommit;
    private Task? _inflight;

    private FasterLogHandle(string directory, IDevice device, FasterLog log, Func<CancellationToken, Task>? afterCommit)
    {
        Directory = directory;
        _device = device;
        Log = log;
        _afterCommit = afterCommit;
    }

    public string Directory { get; }

    public FasterLog Log { get; }

    /// <summary>Opens (creating when absent) a log under a directory and recovers it to its last commit.</summary>
    /// <param name="directory">The directory that holds only this log.</param>
    /// <param name="afterCommit">Run after every completed commit, inside the shared commit task (e.g. indexing).</param>
    public static FasterLogHandle Open(string directory, Func<CancellationToken, Task>? afterCommit = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var device = Devices.CreateLogDevice(Path.Combine(directory, "log"), preallocateFile: false, deleteOnClose: false, recoverDevice: true);
        try
        {
            var settings = Settings(device, directory);
            settings.TryRecoverLatest = true;
            settings.RemoveOutdatedCommits = true;
            return new FasterLogHandle(directory, device, new FasterLog(settings), afterCommit);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing log to read its last commit, changing nothing on disk: FASTER's read-only mode, for
    /// readers beside the process that owns the log (<c>audit verify</c> while the service runs; issue #15).</summary>
    /// <param name="directory">The directory that holds only this log.</param>
    public static FasterLogHandle OpenReadOnly(string directory)
    {
        // FASTER lists the commit records and loads the newest it can read, ignoring any that fail. The owner writes
        // a new record and then removes the older ones, so a reader that lists between those steps may read none and
        // recover an empty log. Our writers commit only after appending, so an empty recovery beside commit records
        // is that race and never a real state: it is retried (the owner's next record is complete within
        // milliseconds), up to about a second.
        for (var attempt = 0; ; attempt++)
        {
            var device = Devices.CreateLogDevice(Path.Combine(directory, "log"), preallocateFile: false, deleteOnClose: false, recoverDevice: true);
            FasterLog? log = null;
            try
            {
                var settings = Settings(device, directory);
                settings.ReadOnlyMode = true;
                settings.RemoveOutdatedCommits = false;
                log = new FasterLog(settings);
                log.RecoverReadOnly();
                if (log.CommittedUntilAddress > FirstAddress || attempt >= ReadOnlyRetries || !HasCommitRecords(directory))
                {
                    return new FasterLogHandle(directory, device, log, null);
                }
            }
            catch
            {
                log?.Dispose();
                device.Dispose();
                throw;
            }

            log.Dispose();
            device.Dispose();
#pragma warning disable RS0030 // a back-off between two reads of another process's files, not domain time
            Thread.Sleep(10);
#pragma warning restore RS0030
        }
    }

    /// <summary>The first address of a FasterLog (FASTER's <c>kFirstValidAddress</c>): an empty log is committed until here.</summary>
    private const long FirstAddress = 64;

    /// <summary>How many times a read-only open retries an empty recovery beside commit records (10 ms apart).</summary>
    private const int ReadOnlyRetries = 100;

    private static bool HasCommitRecords(string directory)
    {
        var commits = Path.Combine(directory, "log-commits");
        return System.IO.Directory.Exists(commits) && System.IO.Directory.EnumerateFiles(commits).Any();
    }

    /// <summary>The one geometry of every log, writer and reader alike: 1 MiB pages, 4 MiB in memory per log (many
    /// partitions stay open on a small host), 256 MiB segments; the safe tail moves only on commit.</summary>
    private static FasterLogSettings Settings(IDevice device, string directory) => new()
    {
        LogDevice = device,
        LogCommitDir = directory,
        PageSizeBits = 20,
        MemorySizeBits = 22,
        SegmentSizeBits = 28,
        AutoRefreshSafeTailAddress = false,
    };

    /// <summary>Waits until the log is committed at least up to <paramref name="untilAddress"/>, committing as needed.</summary>
    public async Task EnsureCommittedAsync(long untilAddress, CancellationToken cancellationToken)
    {
        while (Log.CommittedUntilAddress < untilAddress)
        {
            Task commit;
            lock (_gate)
            {
                // A finished commit is replaced: this caller's entry was enqueued after it began, or it would be covered.
                if (_inflight is null || _inflight.IsCompleted)
                {
                    _inflight = CommitOnceAsync();
                }

                commit = _inflight;
            }

            // The commit task runs its end (and completes) on the thread pool, never on FASTER's completion thread (see
            // CommitOnceAsync), so resuming inline here is safe and costs no further hop.
            await commit.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        Log.Dispose();
        _device.Dispose();
    }

    private async Task CommitOnceAsync()
    {
        // Started at once (no yield first: under load a thread-pool hop per commit cost ~150 µs per batch, #16). Whoever
        // enqueues while it runs waits on it and then starts the next one, so commits still group.
        // Never continue on the thread that completed FASTER's commit: that can be FASTER's own completion thread, and
        // a caller chain that runs on it up to a synchronous dispose of the log waits for that very thread (seen as a
        // hang of ServeTests in a host's synchronous Dispose after StopAsync).
        await Log.CommitAsync().AsTask().ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        if (_afterCommit is not null)
        {
            await _afterCommit(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
