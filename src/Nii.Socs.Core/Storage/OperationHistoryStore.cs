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

/// <summary>The operation history (R6.4) on its own FasterLog under <c>&lt;data&gt;/audit/</c>, hash-chained, with a
/// chain of signed checkpoints that is also published to a witness directory outside the data directory.</summary>
/// <remarks>
/// R6.4. Layout: <c>audit/log/</c> (the FasterLog), <c>audit/checkpoints.txt</c> (one signed checkpoint per line,
/// flushed to disk), <c>audit/signing.key</c> (the organization's Ed25519 private key, created on first use with mode
/// 0600) and <c>audit/signing.pub</c>. The witness directory holds <c>checkpoints.txt</c> (the same lines) and
/// <c>signing.pub</c> (the key pinned the first time it was used). A checkpoint is signed every
/// <see cref="CheckpointInterval"/> entries, every <see cref="CheckpointEvery"/> while entries are unsigned, and at shutdown
/// (<see cref="DisposeAsync"/>).
/// <para>There is no member that deletes or truncates entries, and the store never calls FASTER's truncation:
/// "kept at least 3 months, never deleted on a schedule" holds by construction.</para>
/// <para>Edge case: a crash after an entry is committed but before its checkpoint leaves it chained but unsigned;
/// <see cref="Verify(string)"/> still reports "ok", with the last checkpoint before it.</para>
/// <para><b>Security:</b> whoever holds <c>signing.key</c> can sign a rewritten history from the last witnessed
/// checkpoint on; what the witness (and each participant, who sees the latest checkpoint on the portal) holds
/// cannot be rewritten without <see cref="Verify(string, string?, string?)"/> reporting it.</para>
/// </remarks>
internal sealed class OperationHistoryStore : IOperationHistoryStore, IAsyncDisposable, IDisposable
{
    /// <summary>The directory under the data directory.</summary>
    public const string DirectoryName = "audit";

    /// <summary>The default number of entries between signed checkpoints.</summary>
    public const int DefaultCheckpointInterval = 1000;

    internal const string CheckpointFile = "checkpoints.txt";
    internal const string PublicKeyFile = "signing.pub";
    private const string KeyFile = "signing.key";

    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly Lock _checkpointGate = new();
    private readonly Lock _indexGate = new();
    private readonly List<long> _addresses = [];
    private readonly FasterLogHandle _log;
    private readonly Key _key;
    private readonly TimeProvider _time;
    private readonly string _directory;
    private readonly string? _witness;
    private CheckpointTimer? _timer;
    private OperationEntry? _last;
    private HistoryCheckpoint? _lastCheckpoint;
    private CheckpointWitness? _witnessCopy;
    private volatile bool _disposed;

    private OperationHistoryStore(string directory, FasterLogHandle log, Key key, TimeProvider time, int interval, TimeSpan every, string? witness)
    {
        _directory = directory;
        _log = log;
        _key = key;
        _time = time;
        _witness = witness is null ? null : Path.GetFullPath(witness);
        CheckpointInterval = interval;
        CheckpointEvery = every;
    }

    /// <summary>Entries between signed checkpoints.</summary>
    /// <value>The default is <see cref="DefaultCheckpointInterval"/> (1000).</value>
    public int CheckpointInterval { get; }

    /// <summary>Time between signed checkpoints while entries are unsigned; zero for none.</summary>
    public TimeSpan CheckpointEvery { get; }

    /// <summary>The number of entries stored.</summary>
    public long Count => Volatile.Read(ref _last)?.Sequence ?? 0;

    /// <summary>The last signed checkpoint; null before the first. The portal shows it to participants, who keep their own copy.</summary>
    public HistoryCheckpoint? LastCheckpoint
    {
        get
        {
            lock (_checkpointGate)
            {
                return _lastCheckpoint;
            }
        }
    }

    /// <summary>The raw Ed25519 public key that signs checkpoints (32 bytes), for participants and witnesses to pin.</summary>
    public ReadOnlyMemory<byte> SigningPublicKey => _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

    /// <summary>The witness directory in use (full path); null when none is configured.</summary>
    public string? WitnessDirectory => _witness;

    /// <summary>Why the last copy to the witness failed; null when it succeeded (it is retried at every checkpoint).</summary>
    public string? WitnessFailure => _witnessCopy?.Failure;

    /// <summary>Opens (creating when absent) the history, its signing key and its witness under a data directory.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="time">The clock that stamps entries and drives timed checkpoints; the system clock when null.</param>
    /// <param name="checkpointInterval">Entries between signed checkpoints, 1 or more.</param>
    /// <param name="checkpointEvery">Time between signed checkpoints while entries are unsigned; null or zero signs only
    /// by count and at shutdown.</param>
    /// <param name="witnessDirectory">A directory outside the data directory that receives a copy of every checkpoint
    /// and pins the public key; null for none.</param>
    /// <returns>The store, positioned after its last committed entry, with the witness caught up.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty, or the witness directory is inside the data directory.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="checkpointInterval"/> is below 1 or <paramref name="checkpointEvery"/> is negative.</exception>
    /// <exception cref="InvalidDataException">A stored entry cannot be read, the witness pinned another signing key, or
    /// the witness holds checkpoints the data directory lacks: run <c>socs audit verify</c>; nothing is appended to a broken history.</exception>
    /// <remarks>R6.4. A kill -9 leaves at most one interval (entries or time, whichever comes first) unsigned.</remarks>
    public static OperationHistoryStore Open(string dataDirectory, TimeProvider? time = null, int checkpointInterval = DefaultCheckpointInterval, TimeSpan? checkpointEvery = null, string? witnessDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpointInterval, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpointEvery ?? TimeSpan.Zero, TimeSpan.Zero, nameof(checkpointEvery));
        var root = Path.GetFullPath(dataDirectory);
        if (witnessDirectory is not null && IsInside(Path.GetFullPath(witnessDirectory), root))
        {
            throw new ArgumentException($"The witness directory '{witnessDirectory}' is inside the data directory '{dataDirectory}'; it must be kept apart from it.", nameof(witnessDirectory));
        }

        var directory = Path.Combine(root, DirectoryName);
        Directory.CreateDirectory(directory);
        var key = LoadOrCreateKey(directory);
        FasterLogHandle? log = null;
        try
        {
            log = FasterLogHandle.Open(Path.Combine(directory, "log"));
            var store = new OperationHistoryStore(directory, log, key, time ?? TimeProvider.System, checkpointInterval, checkpointEvery ?? TimeSpan.Zero, witnessDirectory);
            using (var iterator = log.Log.Scan(log.Log.BeginAddress, log.Log.CommittedUntilAddress))
            {
                while (iterator.GetNext(out var bytes, out var length, out var address))
                {
                    store._last = StoredOperationEntry.Decode(bytes.AsMemory(0, length));
                    store._addresses.Add(address);
                }
            }

            DropPartialCheckpointLine(directory);
            foreach (var checkpoint in ReadCheckpoints(directory).checkpoints)
            {
                if (store._lastCheckpoint is null || checkpoint.Number > store._lastCheckpoint.Number)
                {
                    store._lastCheckpoint = checkpoint;
                }
            }

            store.OpenWitness();
            if (store.CheckpointEvery > TimeSpan.Zero)
            {
                store._timer = new CheckpointTimer(store._time, store.CheckpointEvery, store.TimedCheckpointAsync);
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
            var address = _log.Log.Enqueue(StoredOperationEntry.Encode(entry));
            until = _log.Log.TailAddress;
            lock (_indexGate)
            {
                _addresses.Add(address);
            }

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

    /// <summary>Every committed entry of this open history, oldest first.</summary>
    /// <returns>The entries committed when the scan started; empty when none.</returns>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <remarks>R6.4. Reads the whole log; a caller that pages uses <see cref="Read"/>, which goes by position.
    /// Edge case: an entry whose append has not returned yet may be missing; it is never half-read.</remarks>
    public IReadOnlyList<OperationEntry> Entries() => Read(1, int.MaxValue);

    /// <summary>Up to <paramref name="count"/> committed entries from sequence <paramref name="first"/> on, oldest first,
    /// read from that entry's position in the log (an index kept in memory), not from the start.</summary>
    /// <param name="first">The first sequence number, 1 or more.</param>
    /// <param name="count">The most entries to return, 0 or more.</param>
    /// <returns>The entries; empty when <paramref name="first"/> is beyond the last committed entry.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="first"/> is below 1 or <paramref name="count"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <remarks>R6.4. The portal's history page and API page through the log with this.</remarks>
    public IReadOnlyList<OperationEntry> Read(long first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(first, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ObjectDisposedException.ThrowIf(_disposed, this);
        long start;
        lock (_indexGate)
        {
            if (first > _addresses.Count || count == 0)
            {
                return [];
            }

            start = _addresses[checked((int)(first - 1))];
        }

        var result = new List<OperationEntry>(Math.Min(count, 1024));
        using var iterator = _log.Log.Scan(start, _log.Log.CommittedUntilAddress);
        while (result.Count < count && iterator.GetNext(out var bytes, out var length, out _))
        {
            result.Add(StoredOperationEntry.Decode(bytes.AsMemory(0, length)));
        }

        return result;
    }

    /// <summary>Commits everything appended and signs a checkpoint of the last entry (also done at shutdown and on the timer).</summary>
    /// <param name="cancellationToken">Cancels waiting for the commit.</param>
    /// <returns>A task that completes when the checkpoint is on disk (and copied to the witness when one is configured).</returns>
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

        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        // Wait for an append in flight, so the final checkpoint covers it.
        await _append.WaitAsync().ConfigureAwait(false);
        try
        {
            await CheckpointAsync().ConfigureAwait(false);
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Signs a final checkpoint and closes the log (blocking).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Verifies the history under a data directory without changing it (R6.4), against its own checkpoints only.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns><c>ok N entries, last checkpoint #K signed (entry S)</c>, or the first broken or missing entry and why.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    /// <remarks>R6.4. Edge case: a data directory without a history is "ok 0 entries".</remarks>
    public static HistoryVerification Verify(string dataDirectory) => Verify(dataDirectory, null, null);

    /// <summary>Verifies the history under a data directory against a witness and a trusted public key, without changing anything (R6.4).</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="witnessDirectory">The witness directory (its <c>checkpoints.txt</c> and <c>signing.pub</c>); null for none.</param>
    /// <param name="publicKeyFile">A file with the trusted raw Ed25519 public key (32 bytes, or 64 hex digits); null to
    /// trust the witness's pinned key, or else the data directory's own.</param>
    /// <returns><c>ok …</c>, or the first broken or missing entry and why: a log shorter than any checkpoint (local or
    /// witnessed), a gap in the checkpoint chain, a checkpoint signed by another key, a log that ends before its own commit record.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="publicKeyFile"/> does not exist.</exception>
    /// <exception cref="InvalidDataException"><paramref name="publicKeyFile"/> is not a public key.</exception>
    public static HistoryVerification Verify(string dataDirectory, string? witnessDirectory, string? publicKeyFile) =>
        VerifyCore(dataDirectory, witnessDirectory, publicKeyFile, null);

    internal static HistoryVerification VerifyCore(string dataDirectory, string? witnessDirectory, string? publicKeyFile, Action<OperationEntry>? each)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName);
        byte[]? trusted = publicKeyFile is null ? null : ReadPublicKeyFile(publicKeyFile);
        var (checkpoints, malformed) = ReadCheckpoints(directory);
        if (malformed is { } line)
        {
            return new HistoryVerification.Broken(0, string.Create(CultureInfo.InvariantCulture, $"line {line} of {CheckpointFile} is not a checkpoint"));
        }

        var witnessed = new List<HistoryCheckpoint>();
        if (witnessDirectory is not null)
        {
            var witness = Path.GetFullPath(witnessDirectory);
            var (list, bad) = ReadCheckpoints(witness);
            if (bad is { } badLine)
            {
                return new HistoryVerification.Broken(0, string.Create(CultureInfo.InvariantCulture, $"line {badLine} of the witness's {CheckpointFile} is not a checkpoint"));
            }

            witnessed = list;
            var pinned = Path.Combine(witness, PublicKeyFile);
            if (trusted is null && File.Exists(pinned))
            {
                trusted = ReadPublicKeyFile(pinned);
            }
        }

        var logDirectory = Path.Combine(directory, "log");
        if (!Directory.Exists(logDirectory))
        {
            return checkpoints.Count == 0 && witnessed.Count == 0
                ? new HistoryVerification.Intact(0, null)
                : new HistoryVerification.Broken(1, "it is missing: the history is missing but checkpoints exist: the log was removed");
        }

        using var own = LoadPublicKey(directory);
        PublicKey publicKey;
        if (trusted is not null)
        {
            publicKey = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, trusted, KeyBlobFormat.RawPublicKey);
        }
        else if (own is { } ownKey)
        {
            publicKey = ownKey.Key;
        }
        else
        {
            if (each is not null)
            {
                using var log = FasterLogHandle.OpenReadOnly(logDirectory);
                foreach (var (_, bytes) in ScanRaw(log))
                {
                    each(StoredOperationEntry.Decode(bytes));
                }
            }

            return new HistoryVerification.Broken(0, $"neither {KeyFile} nor {PublicKeyFile} is present, so checkpoints cannot be checked");
        }

        var verifier = new OperationHistoryVerifier(checkpoints, witnessed, publicKey);
        using (var log = FasterLogHandle.OpenReadOnly(logDirectory))
        {
            ScanInto(log, verifier, each);
        }

        var result = verifier.Complete();
        if (result is HistoryVerification.Intact intact && own is { } current && trusted is not null
            && !current.Key.Export(KeyBlobFormat.RawPublicKey).AsSpan().SequenceEqual(trusted))
        {
            return new HistoryVerification.Broken(intact.SignedThrough + 1, string.Create(
                CultureInfo.InvariantCulture,
                $"the data directory's signing key {Convert.ToHexStringLower(HistoryCheckpoint.KeyIdOf(current.Key))} is not the trusted key {Convert.ToHexStringLower(HistoryCheckpoint.KeyIdOf(publicKey))}: the signing key changed after entry {intact.SignedThrough}"));
        }

        return result;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Any failure to read the log is the first broken entry.")]
    private static void ScanInto(FasterLogHandle log, OperationHistoryVerifier verifier, Action<OperationEntry>? each)
    {
        var committed = log.Log.CommittedUntilAddress;
        var end = log.Log.BeginAddress;
        var header = log.Log.HeaderSize;
        try
        {
            using var iterator = log.Log.Scan(log.Log.BeginAddress, committed);
            while (true)
            {
                bool got;
                byte[] bytes;
                int length;
                long address;
                try
                {
                    got = iterator.GetNext(out bytes, out length, out address);
                }
                catch (Exception ex)
                {
                    verifier.Unreadable(ex.GetType().Name + ": " + ex.Message);
                    return;
                }

                if (!got)
                {
                    break;
                }

                OperationEntry entry;
                try
                {
                    entry = StoredOperationEntry.Decode(bytes.AsMemory(0, length));
                }
                catch (InvalidDataException ex)
                {
                    verifier.Unreadable(ex.Message);
                    return;
                }

                var accepted = verifier.TryAccept(entry);
                each?.Invoke(entry);
                if (!accepted && each is null)
                {
                    return;
                }

                end = address + header + ((length + 3) & ~3);
            }
        }
        catch (Exception ex)
        {
            verifier.Unreadable(ex.GetType().Name + ": " + ex.Message);
            return;
        }

        if (end != committed)
        {
            verifier.EndsEarly(string.Create(
                CultureInfo.InvariantCulture,
                $"the log's commit record runs to byte {committed} and the bytes from {end} on hold no entry (zeroed or cut)"));
        }
    }

    /// <summary>Pairs every consent event of a data directory with its history entry and the other way round (R6.4, R13.1).</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns>Each record that lacks its partner; empty when all are paired (or there is neither log).</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">A stored consent event or history entry cannot be read (verify names it).</exception>
    /// <remarks>R6.4. A consent action interrupted between its two appends leaves exactly one of them: this names it.</remarks>
    public static IReadOnlyList<UnpairedRecord> CrossCheckConsent(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var check = new ConsentHistoryCrossCheck();
        foreach (var e in new Inspection.ConsentLogSource(dataDirectory).ReadEvents())
        {
            check.Add(e);
        }

        var logDirectory = Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName, "log");
        if (Directory.Exists(logDirectory))
        {
            using var log = FasterLogHandle.OpenReadOnly(logDirectory);
            using var iterator = log.Log.Scan(log.Log.BeginAddress, log.Log.CommittedUntilAddress);
            while (iterator.GetNext(out var bytes, out var length, out _))
            {
                check.Add(StoredOperationEntry.Decode(bytes.AsMemory(0, length)));
            }
        }

        return check.Unpaired();
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

    private static bool IsInside(string path, string root)
    {
        var relative = Path.GetRelativePath(root, path);
        return relative == "." || (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative));
    }

    private async Task TimedCheckpointAsync()
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && last.Sequence > (LastCheckpoint?.Sequence ?? 0))
        {
            await CheckpointAsync().ConfigureAwait(false);
        }
    }

    private void WriteCheckpoint(OperationEntry entry)
    {
        lock (_checkpointGate)
        {
            if (entry.Sequence <= (_lastCheckpoint?.Sequence ?? 0))
            {
                return;
            }

            var checkpoint = HistoryCheckpoint.Sign(_lastCheckpoint, entry, _time.GetUtcNow(), _key);
            AppendLine(Path.Combine(_directory, CheckpointFile), checkpoint.ToLine());
            _lastCheckpoint = checkpoint;
            CopyToWitness();
        }
    }

    private void OpenWitness()
    {
        if (_witness is null)
        {
            return;
        }

        var witness = CheckpointWitness.Open(_witness, _key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        witness.ThrowIfNotContinuedBy(_lastCheckpoint, "the data directory");

        lock (_checkpointGate)
        {
            _witnessCopy = witness;
            CopyToWitness();
        }
    }

    /// <summary>Appends to the witness every local checkpoint it lacks (caller holds the checkpoint gate).</summary>
    private void CopyToWitness()
    {
        if (_witnessCopy is null || _lastCheckpoint is null || _witnessCopy.WitnessedNumber >= _lastCheckpoint.Number)
        {
            return;
        }

        try
        {
            _witnessCopy.CopyMissing(ReadCheckpoints(_directory).checkpoints);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The local file could not be read: the next checkpoint retries.
        }
    }

    private static void AppendLine(string path, string line) => AppendText(path, line + "\n");

    internal static void AppendText(string path, string text)
    {
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(Encoding.ASCII.GetBytes(text));
        file.Flush(flushToDisk: true);
    }

    /// <summary>A crash in the middle of a checkpoint write leaves a last line without its newline: cut it so the next line starts clean.</summary>
    internal static void DropPartialCheckpointLine(string directory)
    {
        var path = Path.Combine(directory, CheckpointFile);
        if (!File.Exists(path))
        {
            return;
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0 || bytes[^1] == (byte)'\n')
        {
            return;
        }

        var keep = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(keep);
        file.Flush(flushToDisk: true);
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

    /// <summary>Reads a raw Ed25519 public key: 32 bytes, or 64 hex digits (surrounding white space ignored).</summary>
    /// <exception cref="InvalidDataException">The file is neither.</exception>
    internal static byte[] ReadPublicKeyFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 32)
        {
            return bytes;
        }

        var text = Encoding.ASCII.GetString(bytes).Trim();
        if (text.Length == 64)
        {
            try
            {
                return Convert.FromHexString(text);
            }
            catch (FormatException)
            {
            }
        }

        throw new InvalidDataException($"'{path}' is not an Ed25519 public key (32 raw bytes or 64 hex digits).");
    }

    /// <summary>The organization's checkpoint signing key of a data directory (<c>audit/signing.key</c>), created with
    /// mode 0600 on first use: the key this history signs with, and the one a host signs the PostgreSQL cluster's
    /// history with (every host writing one schema holds a copy of the same file).</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns>The Ed25519 key; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    public static Key OpenSigningKey(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName);
        Directory.CreateDirectory(directory);
        return LoadOrCreateKey(directory);
    }

    /// <summary>The public key checkpoints are trusted against, chosen as <see cref="Verify(string, string?, string?)"/>
    /// chooses it: <paramref name="publicKeyFile"/>, else the witness's pinned <c>signing.pub</c>, else the data
    /// directory's own key.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="witnessDirectory">The witness directory; null for none.</param>
    /// <param name="publicKeyFile">A file with the trusted raw Ed25519 public key (32 bytes, or 64 hex digits); null for the defaults.</param>
    /// <returns>The key, or null when none of the three is present.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="publicKeyFile"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">The chosen file is not a public key.</exception>
    public static PublicKey? TrustedKey(string dataDirectory, string? witnessDirectory, string? publicKeyFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var pinned = witnessDirectory is null ? null : Path.Combine(Path.GetFullPath(witnessDirectory), PublicKeyFile);
        var file = publicKeyFile ?? (pinned is not null && File.Exists(pinned) ? pinned : null);
        if (file is not null)
        {
            return PublicKey.Import(SignatureAlgorithm.Ed25519, ReadPublicKeyFile(file), KeyBlobFormat.RawPublicKey);
        }

        using var own = LoadPublicKey(Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName));
        return own is { } key ? PublicKey.Import(SignatureAlgorithm.Ed25519, key.Key.Export(KeyBlobFormat.RawPublicKey), KeyBlobFormat.RawPublicKey) : null;
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
