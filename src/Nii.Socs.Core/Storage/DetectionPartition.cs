using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Storage;

/// <summary>One participant's detections of one JST month: a FasterLog plus its sidecar index.</summary>
/// <remarks>
/// The sidecar (<c>index.bin</c>, fixed 56-byte entries in log order) is derived from the log. An append keeps the
/// index entry of each record it enqueues (taken from the record, with the address the log gave it); after every
/// commit the entries the commit covers are appended to the sidecar in one write. On open, any tail the sidecar
/// misses (a crash between commit and sidecar write) is rebuilt by scanning and parsing the committed records. An
/// index entry is never written for an uncommitted record. In memory the entries are kept sorted by (observed-at, id)
/// for newest-first paging.
/// <para>The metadata file (<c>meta.bin</c>, <see cref="PartitionMeta"/>) holds the record count, the epochs and the
/// observation range, so a sweep, <c>store stats</c> and the cross-month duplicate check need not open a partition.
/// It is marked dirty (durably) before the first record a process enqueues, and written clean on a close that finds
/// everything enqueued committed and indexed; a dirty or missing file means "open the partition to know".</para>
/// </remarks>
internal sealed class DetectionPartition : IDisposable
{
    public const string IndexFileName = "index.bin";

    public const string MetaFileName = PartitionMeta.FileName;

    private readonly Lock _gate = new();
    private readonly List<IndexEntry> _sorted = [];
    private readonly HashSet<long> _epochs = [];

    // Every id committed or enqueued: a record whose id is already here is not stored again (re-ingestion after a crash).
    private readonly HashSet<Guid> _ids = [];

    // Entries of records enqueued but not yet committed, in log (address) order: enqueueing and adding here are one
    // step under _gate, so the order holds with concurrent appenders.
    private readonly List<IndexEntry> _pending = [];
    private readonly FileStream _sidecar;
    private readonly FasterLogHandle _log;
    private long _indexedUntil;
    private long _minObserved = long.MaxValue;
    private long _maxObserved = long.MinValue;
    private bool _markedDirty;

    private DetectionPartition(ParticipantId participant, JstMonth month, string directory)
    {
        Participant = participant;
        Month = month;
        Directory = directory;
        _log = FasterLogHandle.Open(directory, _ => { IndexCommitted(); return Task.CompletedTask; });
        try
        {
            _sidecar = new FileStream(Path.Combine(directory, IndexFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            LoadSidecar();
            CatchUp();
            RefreshMeta();
        }
        catch
        {
            _sidecar?.Dispose();
            _log.Dispose();
            throw;
        }
    }

    public ParticipantId Participant { get; }

    public JstMonth Month { get; }

    public string Directory { get; }

    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _sorted.Count;
            }
        }
    }

    public static DetectionPartition Open(ParticipantId participant, JstMonth month, string directory) => new(participant, month, directory);

    public IReadOnlySet<long> Epochs()
    {
        lock (_gate)
        {
            return _epochs.ToHashSet();
        }
    }

    /// <summary>What the metadata file would say now (clean).</summary>
    public PartitionMeta Meta()
    {
        lock (_gate)
        {
            return new PartitionMeta(true, _sorted.Count, _minObserved, _maxObserved, [.. _epochs.Order()]);
        }
    }

    /// <summary>Whether a record with this id is committed or enqueued here.</summary>
    public bool Contains(Guid id)
    {
        lock (_gate)
        {
            return _ids.Contains(id);
        }
    }

    /// <summary>Encodes and enqueues the records whose id the partition does not hold yet; returns the tail address the commit must reach and how many were enqueued.</summary>
    /// <remarks>The check and the reservation of an id are one step under the lock, so two concurrent appends of one id
    /// store it once. Each record's MessagePack framing is encoded into this thread's buffer and FASTER copies framing
    /// and content straight into its page: no array per record, the content copied once. Its index entry is kept until a commit covers it (<see cref="IndexCommitted"/>).</remarks>
    public (long Until, int Enqueued) Enqueue(IReadOnlyList<DetectionRecord> records)
    {
        var enqueued = 0;
        lock (_gate)
        {
            foreach (var record in records)
            {
                if (!_ids.Add(record.Id.Value))
                {
                    continue;
                }

                if (!_markedDirty)
                {
                    // Before the first record of this process can be committed, the metadata stops vouching for the partition.
                    PartitionMeta.Dirty.Write(Directory);
                    _markedDirty = true;
                }

                var address = _log.Log.Enqueue(DetectionCodec.Frame(record));
                _pending.Add(IndexEntry.Of(record, address));
                enqueued++;
            }

            return (_log.Log.TailAddress, enqueued);
        }
    }

    public Task EnsureCommittedAsync(long untilAddress, CancellationToken cancellationToken) =>
        _log.EnsureCommittedAsync(untilAddress, cancellationToken);

    /// <summary>Index entries newest first, strictly below the bound, not older than <paramref name="fromTicks"/>, matching the filters.</summary>
    public List<IndexEntry> Candidates(long boundTicks, Guid boundId, long fromTicks, long? sid, uint? addressHash, int max)
    {
        var result = new List<IndexEntry>(Math.Min(max, 1024));
        lock (_gate)
        {
            // First position whose key is >= the bound; everything before it is strictly below.
            int lo = 0, hi = _sorted.Count;
            while (lo < hi)
            {
                var mid = lo + ((hi - lo) / 2);
                if (IndexEntry.CompareKey(_sorted[mid].Ticks, _sorted[mid].Id, boundTicks, boundId) < 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            for (var i = lo - 1; i >= 0 && result.Count < max; i--)
            {
                var e = _sorted[i];
                if (e.Ticks < fromTicks)
                {
                    break;
                }

                if ((sid is null || e.Sid == sid) && (addressHash is null || e.SourceHash == addressHash || e.DestinationHash == addressHash))
                {
                    result.Add(e);
                }
            }
        }

        return result;
    }

    /// <summary>Finds the index entry of an id; looks at its millisecond first when the id is a version-7 UUID.</summary>
    public bool TryFind(Guid id, out IndexEntry entry)
    {
        lock (_gate)
        {
            if (id.Version == 7)
            {
                Span<byte> bytes = stackalloc byte[16];
                id.TryWriteBytes(bytes, bigEndian: true, out _);
                long ms = 0;
                for (var i = 0; i < 6; i++)
                {
                    ms = (ms << 8) | bytes[i];
                }

                var fromTicks = DateTimeOffset.UnixEpoch.UtcTicks + (ms * TimeSpan.TicksPerMillisecond);
                var start = LowerBound(fromTicks);
                for (var i = start; i < _sorted.Count && _sorted[i].Ticks < fromTicks + TimeSpan.TicksPerMillisecond; i++)
                {
                    if (_sorted[i].Id == id)
                    {
                        entry = _sorted[i];
                        return true;
                    }
                }
            }

            foreach (var e in _sorted)
            {
                if (e.Id == id)
                {
                    entry = e;
                    return true;
                }
            }
        }

        entry = default;
        return false;
    }

    public async Task<DetectionRecord> ReadAsync(long address, CancellationToken cancellationToken)
    {
        var (bytes, length) = await _log.Log.ReadAsync(address, 0, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            throw new InvalidDataException($"No committed record at address {address} of partition {Directory}.");
        }

        return DetectionCodec.Decode(bytes.AsMemory(0, length));
    }

    /// <summary>Every committed record in log order (used by tests, stats and tools).</summary>
    public IEnumerable<(long Address, byte[] Bytes)> ScanRaw()
    {
        using var iterator = _log.Log.Scan(_log.Log.BeginAddress, _log.Log.CommittedUntilAddress);
        while (iterator.GetNext(out var bytes, out var length, out var address))
        {
            yield return (address, bytes.AsSpan(0, length).ToArray());
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            // Clean only when every enqueued record is committed and indexed; otherwise the next open recounts.
            if (_markedDirty && _indexedUntil >= _log.Log.TailAddress)
            {
                new PartitionMeta(true, _sorted.Count, _minObserved, _maxObserved, [.. _epochs.Order()]).Write(Directory);
            }
        }

        _sidecar.Dispose();
        _log.Dispose();
    }

    private int LowerBound(long ticks)
    {
        int lo = 0, hi = _sorted.Count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (_sorted[mid].Ticks < ticks)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private void LoadSidecar()
    {
        var committed = _log.Log.CommittedUntilAddress;
        var whole = _sidecar.Length / IndexEntry.Size;
        var buffer = new byte[IndexEntry.Size * 4096];
        _sidecar.Position = 0;
        long kept = 0;
        long lastAddress = -1;
        for (long read = 0; read < whole;)
        {
            var n = (int)Math.Min(4096, whole - read);
            _sidecar.ReadExactly(buffer, 0, n * IndexEntry.Size);
            for (var i = 0; i < n; i++)
            {
                var e = IndexEntry.Read(buffer.AsSpan(i * IndexEntry.Size, IndexEntry.Size));
                if (e.Address >= committed || e.Address <= lastAddress)
                {
                    // Beyond the recovered log (or out of order): the sidecar is cut here and rebuilt from the log.
                    read = whole;
                    break;
                }

                Insert(e);
                lastAddress = e.Address;
                kept++;
            }

            read += n;
        }

        if (_sidecar.Length != kept * IndexEntry.Size)
        {
            // Only when something is cut: a truncate to the same length still stamps the file as modified, so a reader
            // that opens a partition (detections list, inspect) would look like a writer.
            _sidecar.SetLength(kept * IndexEntry.Size);
        }

        _sidecar.Position = _sidecar.Length;
        _indexedUntil = lastAddress < 0 ? _log.Log.BeginAddress : NextAfter(lastAddress);
    }

    /// <summary>Brings a dirty or missing metadata file up to date after an open has caught up with the log.</summary>
    private void RefreshMeta()
    {
        if (PartitionMeta.Read(Directory) is not { Clean: true } meta || meta.Records != _sorted.Count)
        {
            new PartitionMeta(true, _sorted.Count, _minObserved, _maxObserved, [.. _epochs.Order()]).Write(Directory);
        }
    }

    private long NextAfter(long address)
    {
        using var iterator = _log.Log.Scan(address, _log.Log.CommittedUntilAddress);
        return iterator.GetNext(out _, out _, out _, out var next) ? next : _log.Log.CommittedUntilAddress;
    }

    private void CatchUp()
    {
        lock (_gate)
        {
            var committed = _log.Log.CommittedUntilAddress;
            if (_indexedUntil >= committed)
            {
                return;
            }

            var buffer = new byte[IndexEntry.Size];
            using (var iterator = _log.Log.Scan(_indexedUntil, committed))
            {
                while (iterator.GetNext(out var bytes, out var length, out var address, out var next))
                {
                    var e = DetectionCodec.ReadIndexFields(bytes.AsMemory(0, length), address);
                    e.Write(buffer);
                    _sidecar.Write(buffer);
                    Insert(e);
                    _indexedUntil = next;
                }
            }

            _sidecar.Flush();
        }
    }

    /// <summary>Moves the kept entries the last commit covers into the index and the sidecar (one write), after every commit.</summary>
    private void IndexCommitted()
    {
        lock (_gate)
        {
            // Every record enqueued since open is in _pending (Enqueue is the only writer), so the committed ones are its head.
            var committed = _log.Log.CommittedUntilAddress;
            var n = 0;
            while (n < _pending.Count && _pending[n].Address < committed)
            {
                n++;
            }

            if (n == 0)
            {
                return;
            }

            var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(n * IndexEntry.Size);
            try
            {
                for (var i = 0; i < n; i++)
                {
                    var e = _pending[i];
                    e.Write(bytes.AsSpan(i * IndexEntry.Size, IndexEntry.Size));
                    Insert(e, addId: false);
                }

                _sidecar.Write(bytes, 0, n * IndexEntry.Size);
                _sidecar.Flush();
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
            }

            _pending.RemoveRange(0, n);
            _indexedUntil = _pending.Count > 0 ? _pending[0].Address : committed;
        }
    }

    private void Insert(IndexEntry e, bool addId = true)
    {
        _epochs.Add(e.Epoch);
        _minObserved = Math.Min(_minObserved, e.Ticks);
        _maxObserved = Math.Max(_maxObserved, e.Ticks);
        if (addId)
        {
            _ids.Add(e.Id);
        }

        var count = _sorted.Count;
        if (count == 0 || IndexEntry.CompareKey(_sorted[count - 1].Ticks, _sorted[count - 1].Id, e.Ticks, e.Id) <= 0)
        {
            _sorted.Add(e);
            return;
        }

        int lo = 0, hi = count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (IndexEntry.CompareKey(_sorted[mid].Ticks, _sorted[mid].Id, e.Ticks, e.Id) <= 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        _sorted.Insert(lo, e);
    }
}
