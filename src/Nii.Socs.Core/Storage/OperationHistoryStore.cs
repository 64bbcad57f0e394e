using System.Globalization;
using System.Text;
using MessagePack;
using NSec.Cryptography;
using Nii.Socs.Core.Audit;

namespace Nii.Socs.Core.Storage;

/// <summary>The stored form of an <see cref="OperationEntry"/>: MessagePack, integer keys, schema 1.</summary>
[MessagePackObject]
internal sealed class StoredOperationEntry
{
    public const int CurrentSchema = 1;

    [Key(0)] public int Schema { get; set; }

    [Key(1)] public long Sequence { get; set; }

    [Key(2)] public long AtUtcTicks { get; set; }

    [Key(3)] public string Actor { get; set; } = string.Empty;

    [Key(4)] public string Action { get; set; } = string.Empty;

    [Key(5)] public string Subject { get; set; } = string.Empty;

    [Key(6)] public string Details { get; set; } = string.Empty;

    [Key(7)] public byte[] PreviousHash { get; set; } = [];

    [Key(8)] public byte[] Hash { get; set; } = [];

    public static byte[] Encode(OperationEntry entry) => MessagePackSerializer.Serialize(
        new StoredOperationEntry
        {
            Schema = CurrentSchema,
            Sequence = entry.Sequence,
            AtUtcTicks = entry.At.UtcTicks,
            Actor = entry.Actor,
            Action = entry.Action,
            Subject = entry.Subject,
            Details = entry.Details,
            PreviousHash = entry.PreviousHash.ToArray(),
            Hash = entry.Hash.ToArray(),
        },
        DetectionCodec.Options);

    /// <exception cref="InvalidDataException">The bytes are not exactly one entry of a known schema.</exception>
    public static OperationEntry Decode(ReadOnlyMemory<byte> bytes)
    {
        StoredOperationEntry dto;
        try
        {
            dto = MessagePackSerializer.Deserialize<StoredOperationEntry>(bytes, DetectionCodec.Options, out var read);
            if (read != bytes.Length)
            {
                throw new InvalidDataException($"an entry has {bytes.Length - read} trailing byte(s)");
            }
        }
        catch (MessagePackSerializationException ex)
        {
            throw new InvalidDataException("an entry is not valid MessagePack", ex);
        }

        if (dto.Schema != CurrentSchema || dto.AtUtcTicks < 0 || dto.AtUtcTicks > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"an entry has schema {dto.Schema} or an instant out of range"));
        }

        return new OperationEntry
        {
            Sequence = dto.Sequence,
            At = new DateTimeOffset(dto.AtUtcTicks, TimeSpan.Zero),
            Actor = dto.Actor,
            Action = dto.Action,
            Subject = dto.Subject,
            Details = dto.Details,
            PreviousHash = dto.PreviousHash,
            Hash = dto.Hash,
        };
    }
}

/// <summary>The operation history (R6.4) on its own FasterLog under <c>&lt;data&gt;/audit/</c>, hash-chained, with signed checkpoints.</summary>
/// <remarks>
/// R6.4. Layout: <c>audit/log/</c> (the FasterLog), <c>audit/checkpoints.txt</c> (one signed checkpoint per line,
/// flushed to disk), <c>audit/signing.key</c> (the organization's Ed25519 private key, created on first use with mode
/// 0600) and <c>audit/signing.pub</c>. A checkpoint is signed every <see cref="CheckpointInterval"/> entries and at
/// shutdown (<see cref="DisposeAsync"/>).
/// <para>There is no member that deletes or truncates entries, and the store never calls FASTER's truncation:
/// "kept at least 3 months, never deleted on a schedule" holds by construction.</para>
/// <para>Edge case: a crash after an entry is committed but before its checkpoint leaves it chained but unsigned;
/// <see cref="Verify"/> still reports "ok", with the last checkpoint before it.</para>
/// <para><b>Security:</b> whoever holds <c>signing.key</c> can sign a rewritten history; keep the data directory's
/// permissions tight, or verify against a copy of <c>signing.pub</c> kept elsewhere.</para>
/// </remarks>
public sealed class OperationHistoryStore : IOperationHistory, IAsyncDisposable, IDisposable
{
    /// <summary>The directory under the data directory.</summary>
    public const string DirectoryName = "audit";

    /// <summary>The default number of entries between signed checkpoints.</summary>
    public const int DefaultCheckpointInterval = 1000;

    internal const string CheckpointFile = "checkpoints.txt";
    private const string KeyFile = "signing.key";
    private const string PublicKeyFile = "signing.pub";

    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly Lock _checkpointGate = new();
    private readonly FasterLogHandle _log;
    private readonly Key _key;
    private readonly TimeProvider _time;
    private readonly string _directory;
    private OperationEntry? _last;
    private long _lastCheckpointNumber;
    private long _lastCheckpointSequence;
    private bool _disposed;

    private OperationHistoryStore(string directory, FasterLogHandle log, Key key, TimeProvider time, int interval)
    {
        _directory = directory;
        _log = log;
        _key = key;
        _time = time;
        CheckpointInterval = interval;
    }

    /// <summary>Entries between signed checkpoints.</summary>
    /// <value>The default is <see cref="DefaultCheckpointInterval"/> (1000).</value>
    public int CheckpointInterval { get; }

    /// <summary>The number of entries stored.</summary>
    public long Count => Volatile.Read(ref _last)?.Sequence ?? 0;

    /// <summary>Opens (creating when absent) the history and its signing key under a data directory.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="time">The clock that stamps entries; the system clock when null.</param>
    /// <param name="checkpointInterval">Entries between signed checkpoints, 1 or more.</param>
    /// <returns>The store, positioned after its last committed entry.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="checkpointInterval"/> is below 1.</exception>
    /// <exception cref="InvalidDataException">A stored entry cannot be read: run <c>socs audit verify</c>; nothing is appended to a broken history.</exception>
    public static OperationHistoryStore Open(string dataDirectory, TimeProvider? time = null, int checkpointInterval = DefaultCheckpointInterval)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpointInterval, 1);
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName);
        Directory.CreateDirectory(directory);
        var key = LoadOrCreateKey(directory);
        FasterLogHandle? log = null;
        try
        {
            log = FasterLogHandle.Open(Path.Combine(directory, "log"));
            var store = new OperationHistoryStore(directory, log, key, time ?? TimeProvider.System, checkpointInterval);
            foreach (var (_, bytes) in ScanRaw(log))
            {
                store._last = StoredOperationEntry.Decode(bytes);
            }

            foreach (var checkpoint in ReadCheckpoints(directory).checkpoints)
            {
                store._lastCheckpointNumber = Math.Max(store._lastCheckpointNumber, checkpoint.Number);
                store._lastCheckpointSequence = Math.Max(store._lastCheckpointSequence, checkpoint.Sequence);
            }

            return store;
        }
        catch
        {
            log?.Dispose();
            key.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public async Task<OperationEntry> AppendAsync(string actor, string action, string subject, string details, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        OperationEntry entry;
        long until;
        await _append.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var last = _last;
            entry = OperationEntry.Create((last?.Sequence ?? 0) + 1, _time.GetUtcNow(), actor, action, subject, details, last?.Hash ?? OperationEntry.GenesisHash);
            _log.Log.Enqueue(StoredOperationEntry.Encode(entry));
            until = _log.Log.TailAddress;
            Volatile.Write(ref _last, entry);
        }
        finally
        {
            _append.Release();
        }

        await _log.EnsureCommittedAsync(until, cancellationToken).ConfigureAwait(false);
        if (entry.Sequence % CheckpointInterval == 0)
        {
            WriteCheckpoint(entry);
        }

        return entry;
    }

    /// <summary>Every committed entry of this open history, oldest first (the portal shows a participant's, R6.4).</summary>
    /// <returns>The entries committed when the scan started; empty when none.</returns>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <remarks>R6.4. Reads the whole log on each call, so a caller that pages keeps its own
    /// window. Edge case: an entry whose append has not returned yet may be missing; it is never half-read.</remarks>
    public IReadOnlyList<OperationEntry> Entries()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ScanRaw(_log).Select(e => StoredOperationEntry.Decode(e.Bytes)).ToList();
    }

    /// <summary>Commits everything appended and signs a checkpoint of the last entry (also done at shutdown).</summary>
    /// <param name="cancellationToken">Cancels waiting for the commit.</param>
    /// <returns>A task that completes when the checkpoint is on disk.</returns>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public async Task CheckpointAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var last = Volatile.Read(ref _last);
        await _log.EnsureCommittedAsync(_log.Log.TailAddress, cancellationToken).ConfigureAwait(false);
        if (last is not null)
        {
            WriteCheckpoint(last);
        }
    }

    /// <summary>Signs a final checkpoint and closes the log.</summary>
    /// <returns>A task that completes when closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await CheckpointAsync().ConfigureAwait(false);
        Close();
    }

    /// <summary>Signs a final checkpoint and closes the log (blocking).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Verifies the history under a data directory without changing it (R6.4).</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns><c>ok N entries, last checkpoint #K signed</c>, or the first broken entry and why.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    /// <remarks>R6.4. Edge case: a data directory without a history is "ok 0 entries".</remarks>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A verifier reports any failure to read a stored entry as the first broken entry instead of crashing.")]
    public static HistoryVerification Verify(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName);
        var (checkpoints, malformed) = ReadCheckpoints(directory);
        if (malformed is { } line)
        {
            return new HistoryVerification.Broken(0, string.Create(CultureInfo.InvariantCulture, $"line {line} of {CheckpointFile} is not a checkpoint"));
        }

        var logDirectory = Path.Combine(directory, "log");
        if (!Directory.Exists(logDirectory))
        {
            return checkpoints.Count == 0
                ? new HistoryVerification.Intact(0, null)
                : new HistoryVerification.Broken(1, "the history is missing but checkpoints exist: the log was removed");
        }

        using var publicKey = LoadPublicKey(directory);
        if (publicKey is null)
        {
            return new HistoryVerification.Broken(0, $"neither {KeyFile} nor {PublicKeyFile} is present, so checkpoints cannot be checked");
        }

        var verifier = new OperationHistoryVerifier(checkpoints, publicKey.Value.Key);
        using var log = FasterLogHandle.OpenReadOnly(logDirectory);
        try
        {
            foreach (var (_, bytes) in ScanRaw(log))
            {
                OperationEntry entry;
                try
                {
                    entry = StoredOperationEntry.Decode(bytes);
                }
                catch (InvalidDataException ex)
                {
                    verifier.Unreadable(ex.Message);
                    break;
                }

                if (!verifier.TryAccept(entry))
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            verifier.Unreadable(ex.GetType().Name + ": " + ex.Message);
        }

        return verifier.Complete();
    }

    /// <summary>Every committed entry of the history under a data directory, in order (for reports and tools).</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns>The entries.</returns>
    /// <exception cref="InvalidDataException">An entry cannot be read.</exception>
    public static IReadOnlyList<OperationEntry> ReadAll(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var logDirectory = Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName, "log");
        if (!Directory.Exists(logDirectory))
        {
            return [];
        }

        using var log = FasterLogHandle.OpenReadOnly(logDirectory);
        return ScanRaw(log).Select(e => StoredOperationEntry.Decode(e.Bytes)).ToList();
    }

    /// <summary>The (address, header size, payload length) of every stored entry, for tests that corrupt bytes on purpose.</summary>
    internal static IReadOnlyList<(long Address, int HeaderSize, int Length)> EntryLocations(string dataDirectory)
    {
        using var log = FasterLogHandle.Open(Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName, "log"));
        return ScanRaw(log).Select(e => (e.Address, log.Log.HeaderSize, e.Bytes.Length)).ToList();
    }

    private static List<(long Address, byte[] Bytes)> ScanRaw(FasterLogHandle log)
    {
        var result = new List<(long, byte[])>();
        using var iterator = log.Log.Scan(log.Log.BeginAddress, log.Log.CommittedUntilAddress);
        while (iterator.GetNext(out var bytes, out var length, out var address))
        {
            result.Add((address, bytes.AsSpan(0, length).ToArray()));
        }

        return result;
    }

    private void WriteCheckpoint(OperationEntry entry)
    {
        lock (_checkpointGate)
        {
            if (entry.Sequence <= _lastCheckpointSequence)
            {
                return;
            }

            var checkpoint = HistoryCheckpoint.Sign(_lastCheckpointNumber + 1, entry, _time.GetUtcNow(), _key);
            using (var file = new FileStream(Path.Combine(_directory, CheckpointFile), FileMode.Append, FileAccess.Write, FileShare.Read))
            {
                file.Write(Encoding.ASCII.GetBytes(checkpoint.ToLine() + "\n"));
                file.Flush(flushToDisk: true);
            }

            _lastCheckpointNumber = checkpoint.Number;
            _lastCheckpointSequence = entry.Sequence;
        }
    }

    private void Close()
    {
        _disposed = true;
        _log.Dispose();
        _key.Dispose();
        _append.Dispose();
    }

    internal static (List<HistoryCheckpoint> checkpoints, int? malformedLine) ReadCheckpoints(string directory)
    {
        var path = Path.Combine(directory, CheckpointFile);
        var list = new List<HistoryCheckpoint>();
        if (!File.Exists(path))
        {
            return (list, null);
        }

        var lines = File.ReadAllText(path, Encoding.ASCII).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            // A crash in the middle of a checkpoint write leaves a partial last line without its newline: ignore it.
            if (i == lines.Length - 1)
            {
                break;
            }

            if (!HistoryCheckpoint.TryParseLine(lines[i], out var checkpoint))
            {
                return (list, i + 1);
            }

            list.Add(checkpoint!);
        }

        return (list, null);
    }

    private static Key LoadOrCreateKey(string directory)
    {
        var path = Path.Combine(directory, KeyFile);
        var creation = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        if (File.Exists(path))
        {
            return Key.Import(SignatureAlgorithm.Ed25519, File.ReadAllBytes(path), KeyBlobFormat.RawPrivateKey, in creation);
        }

        var key = Key.Create(SignatureAlgorithm.Ed25519, creation);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temp, options))
        {
            file.Write(key.Export(KeyBlobFormat.RawPrivateKey));
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: false);
        File.WriteAllBytes(Path.Combine(directory, PublicKeyFile), key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        return key;
    }

    internal static OwnedPublicKey? LoadPublicKey(string directory)
    {
        var keyPath = Path.Combine(directory, KeyFile);
        if (File.Exists(keyPath))
        {
            var key = Key.Import(SignatureAlgorithm.Ed25519, File.ReadAllBytes(keyPath), KeyBlobFormat.RawPrivateKey);
            return new OwnedPublicKey(key.PublicKey, key);
        }

        var pubPath = Path.Combine(directory, PublicKeyFile);
        return File.Exists(pubPath)
            ? new OwnedPublicKey(PublicKey.Import(SignatureAlgorithm.Ed25519, File.ReadAllBytes(pubPath), KeyBlobFormat.RawPublicKey), null)
            : null;
    }

    internal readonly record struct OwnedPublicKey(PublicKey Key, Key? Owner) : IDisposable
    {
        public void Dispose() => Owner?.Dispose();
    }
}
