using System.Globalization;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Storage;

/// <summary>The detection store: one FasterLog per (participant, JST acquisition month) under <c>&lt;data&gt;/detections/</c> (DESIGN §5).</summary>
/// <remarks>
/// R7.1, R7.3. Records are stored as MessagePack (schema 1) with their content already sealed. An append returns
/// only after a FasterLog commit covers it; concurrent appends share commits. After a crash the store reopens to the
/// last commit: every acknowledged record is there, nothing half-written is visible.
/// <para>The partition is the month of <see cref="DetectionRecord.AcquiredAt"/> (when the organization stored it), not
/// of the observation, whose clock belongs to a sensor. Queries (by observation time) merge the newest-first index
/// candidates of every partition whose observation range (<see cref="PartitionMeta"/>) meets the query's, and read
/// only the records of the page.</para>
/// <para>Edge case: a record acquired 2026-11-30T20:00Z goes to partition <c>2026-12</c> (JST).</para>
/// <para>A record whose partition is already past its expiry (R7.3) is not stored: it would only be deleted again.</para>
/// <para>A record whose id any partition of its participant already holds is not stored again, so re-ingesting a file
/// after a crash, or in a later month, duplicates nothing while the first copy is kept. Edge case: an append that waits for a commit the crash prevented is simply repeated.</para>
/// </remarks>
internal sealed class DetectionStore : IDetectionStore
{
    /// <summary>The directory under the data directory that holds the partitions.</summary>
    public const string DirectoryName = "detections";

    /// <summary>The prefix of a partition directory being deleted (renamed first, so no half partition is ever opened).</summary>
    internal const string DeletingPrefix = ".deleting-";

    private readonly Lock _gate = new();
    private readonly Dictionary<(ParticipantId, JstMonth), DetectionPartition> _open = [];
    private readonly Dictionary<ParticipantId, SortedSet<JstMonth>> _months = [];
    private readonly TimeProvider _time;
    private RetentionSchedule _schedule;
    private int _opened;
    private bool _disposed;

    private DetectionStore(string dataDirectory, RetentionSchedule schedule, TimeProvider time)
    {
        DataDirectory = dataDirectory;
        Root = Path.Combine(dataDirectory, DirectoryName);
        _schedule = schedule;
        _time = time;
        Directory.CreateDirectory(Root);
        foreach (var participantDir in Directory.EnumerateDirectories(Root))
        {
            var name = Path.GetFileName(participantDir);
            if (!ParticipantId.IsValid(name))
            {
                continue;
            }

            var participant = new ParticipantId(name);
            foreach (var monthDir in Directory.EnumerateDirectories(participantDir))
            {
                if (TryParseMonth(Path.GetFileName(monthDir), out var month))
                {
                    MonthsOf(participant).Add(month);
                }
            }
        }
    }

    /// <summary>The data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The directory of the partitions: <c>&lt;data&gt;/detections</c>.</summary>
    public string Root { get; }

    /// <summary>The retention in force; appends to expired partitions are refused by it.</summary>
    /// <value>The default is <see cref="RetentionSchedule.Default"/> (3 months, R7.3).</value>
    public RetentionSchedule Schedule
    {
        get => ScheduleSource?.Invoke() ?? Volatile.Read(ref _schedule);
        set => Volatile.Write(ref _schedule, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>Where <see cref="Schedule"/> is read from at each use, when set: e.g. the registry's agreements as they are
    /// recorded (R7.3), so that appends, sweeps and statistics never use a schedule older than the registry.</summary>
    /// <value>Null by default: <see cref="Schedule"/> is the value last set.</value>
    public Func<RetentionSchedule>? ScheduleSource { get; set; }

    /// <summary>Opens (creating when absent) the store under a data directory.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="schedule">The retention in force; <see cref="RetentionSchedule.Default"/> when null.</param>
    /// <param name="time">The clock that decides whether an append is already expired; the system clock when null.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    public static DetectionStore Open(string dataDirectory, RetentionSchedule? schedule = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        return new DetectionStore(Path.GetFullPath(dataDirectory), schedule ?? RetentionSchedule.Default, time ?? TimeProvider.System);
    }

    /// <summary>Stores records and returns once every stored one is committed.</summary>
    /// <param name="records">The records; they may span participants and months.</param>
    /// <param name="cancellationToken">Cancels waiting (records may still become durable).</param>
    /// <returns>How many were stored; the others were already past their retention expiry (R7.3), or their id is
    /// already in the store (the same detection ingested again, e.g. after a crash: see <see cref="DetectionId.FromSource"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="records"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public async Task<int> AppendAsync(IReadOnlyList<DetectionRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var now = _time.GetUtcNow();
        var schedule = Schedule;
        var groups = new Dictionary<(ParticipantId, JstMonth), List<DetectionRecord>>();
        var stored = 0;
        Dictionary<ParticipantId, List<JstMonth>>? others = null;
        foreach (var record in records)
        {
            var key = (record.Participant, JstMonth.Of(record.AcquiredAt));
            if (schedule.IsExpired(key.Participant, key.Item2, now) || HeldInAnotherMonth(record, key.Item2, ref others))
            {
                continue;
            }

            if (!groups.TryGetValue(key, out var list))
            {
                list = [];
                groups.Add(key, list);
            }

            list.Add(record);
        }

        var commits = new List<Task>(groups.Count);
        foreach (var ((participant, month), group) in groups)
        {
            var partition = GetOrOpen(participant, month, create: true)!;
            var (until, enqueued) = partition.Enqueue(group);
            stored += enqueued;
            commits.Add(partition.EnsureCommittedAsync(until, cancellationToken));
        }

        await Task.WhenAll(commits).ConfigureAwait(false);
        return stored;
    }

    /// <summary>Stores one record and returns once it is committed; concurrent callers share commits.</summary>
    /// <param name="record">The record.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>True when stored; false when its partition is already past expiry (R7.3).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public async Task<bool> AppendAsync(DetectionRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return await AppendAsync([record], cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>One page of a participant's detections, newest first (R4.7).</summary>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The page and the cursor of the next one.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not between 1 and <see cref="DetectionQuery.MaxLimit"/>.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public async Task<DetectionPage> QueryAsync(DetectionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, DetectionQuery.MaxLimit);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var results = new List<DetectionRecord>(query.Limit + 1);
        long boundTicks = query.To.UtcTicks;
        var boundId = Guid.Empty;
        if (query.Cursor is { } cursor && IndexEntry.CompareKey(cursor.ObservedAtUtcTicks, cursor.Id.Value, boundTicks, boundId) < 0)
        {
            (boundTicks, boundId) = (cursor.ObservedAtUtcTicks, cursor.Id.Value);
        }

        var fromTicks = query.From.UtcTicks;
        if (boundTicks <= fromTicks)
        {
            return new DetectionPage([], null);
        }

        var hash = query.Address is null ? (uint?)null : IndexEntry.HashOf(query.Address);

        // Partitions are acquisition months and a record's observation may lie anywhere (a sensor's clock), so every
        // partition whose observation range meets the query's takes part, and their newest-first candidates are merged.
        var partitions = new List<DetectionPartition>();
        foreach (var month in MonthsBetween(query.Participant, new JstMonth(1, 1), new JstMonth(9998, 12)))
        {
            var open = OpenIfMayHold(query.Participant, month, fromTicks, boundTicks - 1);
            if (open is not null)
            {
                partitions.Add(open);
            }
        }

        while (results.Count <= query.Limit && partitions.Count > 0)
        {
            // The newest `want` of the union of each partition's newest `want` are the newest `want` overall.
            var want = query.Limit + 1 - results.Count;
            var merged = new List<(DetectionPartition Partition, IndexEntry Entry)>();
            var more = false;
            foreach (var partition in partitions)
            {
                var candidates = partition.Candidates(boundTicks, boundId, fromTicks, query.RuleSid, hash, want);
                more |= candidates.Count == want;
                merged.AddRange(candidates.Select(e => (partition, e)));
            }

            merged.Sort((a, b) => IndexEntry.CompareKey(b.Entry.Ticks, b.Entry.Id, a.Entry.Ticks, a.Entry.Id));
            foreach (var (partition, entry) in merged.Take(want))
            {
                (boundTicks, boundId) = (entry.Ticks, entry.Id);
                var record = await partition.ReadAsync(entry.Address, cancellationToken).ConfigureAwait(false);
                if (query.Address is null || record.Header.Source.Equals(query.Address) || record.Header.Destination.Equals(query.Address))
                {
                    results.Add(record);
                }
            }

            if (!more && merged.Count <= want)
            {
                break;
            }
        }

        if (results.Count > query.Limit)
        {
            results.RemoveAt(results.Count - 1);
            return new DetectionPage(results, DetectionCursor.After(results[^1]));
        }

        return new DetectionPage(results, null);
    }

    /// <summary>One record of a participant by id.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="id">The record id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The record; null when the participant has no record with that id.</returns>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <remarks>A version-7 id names its millisecond, so only that month's partition is searched; other ids search
    /// every partition of the participant, newest first.</remarks>
    public async Task<DetectionRecord?> FindAsync(ParticipantId participant, DetectionId id, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var months = MonthsBetween(participant, new JstMonth(1, 1), new JstMonth(9998, 12));
        if (id.Value.Version == 7)
        {
            Span<byte> bytes = stackalloc byte[16];
            id.Value.TryWriteBytes(bytes, bigEndian: true, out _);
            long ms = 0;
            for (var i = 0; i < 6; i++)
            {
                ms = (ms << 8) | bytes[i];
            }

            if (ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                var likely = JstMonth.Of(DateTimeOffset.FromUnixTimeMilliseconds(ms));
                if (months.Remove(likely))
                {
                    months.Insert(0, likely);
                }
            }
        }

        foreach (var month in months)
        {
            var partition = GetOrOpen(participant, month, create: false);
            if (partition is not null && partition.TryFind(id.Value, out var entry))
            {
                return await partition.ReadAsync(entry.Address, cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }

    /// <summary>Every partition on disk, by participant then month.</summary>
    /// <returns>The partitions.</returns>
    public IReadOnlyList<(ParticipantId Participant, JstMonth Month)> Partitions()
    {
        lock (_gate)
        {
            return _months.OrderBy(p => p.Key.Value, StringComparer.Ordinal)
                .SelectMany(p => p.Value.Select(m => (p.Key, m)))
                .ToList();
        }
    }

    /// <summary>Record count and size on disk of a partition.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="month">The month.</param>
    /// <returns>The figures; null when the partition does not exist.</returns>
    public PartitionStats? Stats(ParticipantId participant, JstMonth month)
    {
        if (Facts(participant, month) is not { } facts)
        {
            return null;
        }

        var directory = new DirectoryInfo(PartitionDirectory(participant, month));
        var bytes = directory.Exists ? directory.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
        return new PartitionStats(participant, month, facts.Records, bytes);
    }

    /// <summary>Disposes every open partition.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var partition in _open.Values)
            {
                partition.Dispose();
            }

            _open.Clear();
        }
    }

    internal static string MonthDirectoryName(JstMonth month) => month.ToString();

    internal static bool TryParseMonth(string name, out JstMonth month)
    {
        month = default;
        return name.Length == 7 && name[4] == '-' && JstMonth.TryParse(name, out month);
    }

    internal string PartitionDirectory(ParticipantId participant, JstMonth month) =>
        Path.Combine(Root, participant.Value, MonthDirectoryName(month));

    /// <summary>The epochs a partition's records reference, from its metadata when clean (else it is opened).</summary>
    internal IReadOnlySet<long> EpochsOf(ParticipantId participant, JstMonth month) =>
        Facts(participant, month)?.Epochs.ToHashSet() ?? new HashSet<long>();

    /// <summary>How many partitions this store has opened (loaded their index) since it was opened itself.</summary>
    internal int PartitionsOpened => Volatile.Read(ref _opened);

    /// <summary>A partition's summary: the open partition's, else its clean metadata file's, else it is opened to know.</summary>
    internal PartitionMeta? Facts(ParticipantId participant, JstMonth month)
    {
        lock (_gate)
        {
            if (_open.TryGetValue((participant, month), out var open))
            {
                return open.Meta();
            }
        }

        var directory = PartitionDirectory(participant, month);
        if (!Directory.Exists(directory))
        {
            return null;
        }

        return PartitionMeta.Read(directory) is { Clean: true } meta ? meta : GetOrOpen(participant, month, create: false)?.Meta();
    }

    internal DetectionPartition? Partition(ParticipantId participant, JstMonth month) => GetOrOpen(participant, month, create: false);

    /// <summary>Closes a partition and renames its directory to a <see cref="DeletingPrefix"/> name; returns that path.</summary>
    internal string? Detach(ParticipantId participant, JstMonth month)
    {
        lock (_gate)
        {
            if (_open.Remove((participant, month), out var partition))
            {
                partition.Dispose();
            }

            if (_months.TryGetValue(participant, out var set))
            {
                set.Remove(month);
            }

            var directory = PartitionDirectory(participant, month);
            if (!Directory.Exists(directory))
            {
                return null;
            }

            var target = Path.Combine(Root, participant.Value, DeletingPrefix + MonthDirectoryName(month));
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            Directory.Move(directory, target);
            return target;
        }
    }

    /// <summary>Directories left by an interrupted deletion.</summary>
    internal IReadOnlyList<(ParticipantId Participant, JstMonth Month, string Path)> PendingDeletions()
    {
        var result = new List<(ParticipantId, JstMonth, string)>();
        foreach (var participantDir in Directory.EnumerateDirectories(Root))
        {
            var name = Path.GetFileName(participantDir);
            if (!ParticipantId.IsValid(name))
            {
                continue;
            }

            foreach (var dir in Directory.EnumerateDirectories(participantDir, DeletingPrefix + "*"))
            {
                if (TryParseMonth(Path.GetFileName(dir)[DeletingPrefix.Length..], out var month))
                {
                    result.Add((new ParticipantId(name), month, dir));
                }
            }
        }

        return result;
    }

    /// <summary>The partition when it may hold a record observed in [<paramref name="fromTicks"/>, <paramref name="toTicks"/>]; null when its metadata says it cannot.</summary>
    private DetectionPartition? OpenIfMayHold(ParticipantId participant, JstMonth month, long fromTicks, long toTicks)
    {
        lock (_gate)
        {
            if (_open.TryGetValue((participant, month), out var open))
            {
                return open;
            }
        }

        if (PartitionMeta.Read(PartitionDirectory(participant, month)) is { Clean: true } meta
            && (meta.Records == 0 || meta.MaxObservedTicks < fromTicks || meta.MinObservedTicks > toTicks))
        {
            return null;
        }

        return GetOrOpen(participant, month, create: false);
    }

    /// <summary>Whether another partition of the record's participant already holds its id: a re-ingestion in a later
    /// month (the partition is the acquisition month) must find the copy acquired earlier (#15, R7.3).</summary>
    /// <remarks>Only partitions whose observation range may hold the record are opened, so live traffic opens none.</remarks>
    private bool HeldInAnotherMonth(DetectionRecord record, JstMonth month, ref Dictionary<ParticipantId, List<JstMonth>>? others)
    {
        others ??= [];
        if (!others.TryGetValue(record.Participant, out var months))
        {
            months = MonthsBetween(record.Participant, new JstMonth(1, 1), new JstMonth(9998, 12));
            others.Add(record.Participant, months);
        }

        var ticks = record.Header.ObservedAt.UtcTicks;
        foreach (var other in months)
        {
            if (other != month && OpenIfMayHold(record.Participant, other, ticks, ticks) is { } partition && partition.Contains(record.Id.Value))
            {
                return true;
            }
        }

        return false;
    }

    private List<JstMonth> MonthsBetween(ParticipantId participant, JstMonth oldest, JstMonth newest)
    {
        List<JstMonth> months;
        lock (_gate)
        {
            if (!_months.TryGetValue(participant, out var set) || oldest > newest)
            {
                return [];
            }

            months = set.GetViewBetween(oldest, newest).Reverse().ToList();
        }

        return months;
    }

    private SortedSet<JstMonth> MonthsOf(ParticipantId participant)
    {
        if (!_months.TryGetValue(participant, out var set))
        {
            set = [];
            _months.Add(participant, set);
        }

        return set;
    }

    private DetectionPartition? GetOrOpen(ParticipantId participant, JstMonth month, bool create)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open.TryGetValue((participant, month), out var partition))
            {
                return partition;
            }

            var directory = PartitionDirectory(participant, month);
            if (!create && !Directory.Exists(directory))
            {
                return null;
            }

            partition = DetectionPartition.Open(participant, month, directory);
            _opened++;
            _open.Add((participant, month), partition);
            MonthsOf(participant).Add(month);
            return partition;
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"DetectionStore({Root})");
}
