using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>What one shipping pass did.</summary>
/// <param name="Read">Records read from the spool.</param>
/// <param name="Stored">Records the target stored (the others it already held, or they were expired).</param>
/// <param name="Trimmed">Spool partitions removed after the target committed them.</param>
internal sealed record ShipReport(long Read, long Stored, IReadOnlyList<(ParticipantId Participant, JstMonth Month)> Trimmed);

/// <summary>Copies a sensor's local FASTER detection store (its spool) to the cluster in batches, and trims a spool
/// partition only after the cluster committed every record of it.</summary>
/// <remarks>
/// R7.1. Idempotent by record id: the target stores an id once, so a pass repeated after a crash or a failover
/// duplicates nothing, and a batch the cluster did not acknowledge is simply sent again by the next pass (the spool
/// rides out a failover). A partition is trimmed once its JST month ended at least <see cref="TrimGrace"/> ago: it is
/// shipped, detached from the spool (new records for that month start a fresh partition), moved under
/// <c>&lt;data&gt;/shipping/</c>, shipped again from there (records that arrived between the two passes), and only
/// then deleted. A work directory left by a crash is shipped and deleted by the next pass.
/// <para>The open month is shipped in full on every pass (no watermark yet): cheap at a sensor's rate, and the
/// target skips what it holds.</para>
/// </remarks>
internal sealed class DetectionShipper
{
    /// <summary>The directory under the spool's data directory that holds partitions being trimmed.</summary>
    public const string WorkDirectoryName = "shipping";

    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly DetectionStore _spool;
    private readonly IDetectionStore _target;
    private readonly TimeProvider _time;
    private readonly int _batch;

    /// <summary>Creates a shipper.</summary>
    /// <param name="spool">The sensor's local store.</param>
    /// <param name="target">The cluster's store.</param>
    /// <param name="time">The clock that decides which months are closed.</param>
    /// <param name="batchSize">Records per append to the target.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not between 1 and <see cref="DetectionQuery.MaxLimit"/>.</exception>
    public DetectionShipper(DetectionStore spool, IDetectionStore target, TimeProvider time, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(spool);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, DetectionQuery.MaxLimit);
        _spool = spool;
        _target = target;
        _time = time;
        _batch = batchSize;
    }

    /// <summary>How long after its JST month ends a spool partition is trimmed (late captures still land in it before).</summary>
    /// <value>The default is one day.</value>
    public TimeSpan TrimGrace { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Ships every spool partition and trims the closed ones.</summary>
    /// <param name="cancellationToken">Cancels between batches; what was acknowledged stays acknowledged.</param>
    /// <returns>What was shipped and trimmed.</returns>
    /// <exception cref="Exception">The target failed (e.g. during a failover): nothing is trimmed that was not committed; run the pass again.</exception>
    public async Task<ShipReport> ShipAsync(CancellationToken cancellationToken = default)
    {
        long read = 0;
        long stored = 0;
        var trimmed = new List<(ParticipantId, JstMonth)>();
        var work = Path.Combine(_spool.DataDirectory, WorkDirectoryName);
        if (Directory.Exists(work))
        {
            foreach (var leftover in Directory.EnumerateDirectories(work))
            {
                var (r, s) = await ShipWorkDirectoryAsync(leftover, cancellationToken).ConfigureAwait(false);
                read += r;
                stored += s;
            }
        }

        var partitions = _spool.Partitions();
        foreach (var participant in partitions.Select(p => p.Participant).Distinct())
        {
            var (r, s) = await ShipPartitionAsync(_spool, participant, cancellationToken).ConfigureAwait(false);
            read += r;
            stored += s;
        }

        var now = _time.GetUtcNow();
        foreach (var (participant, month) in partitions)
        {
            if (now < month.Plus(1).Start + TrimGrace)
            {
                continue;
            }

            var detached = _spool.Detach(participant, month);
            if (detached is null)
            {
                continue;
            }

            var target = Path.Combine(work, $"{participant}_{month}_{Guid.NewGuid():N}");
            var into = Path.Combine(target, DetectionStore.DirectoryName, participant.Value, month.ToString());
            Directory.CreateDirectory(Path.GetDirectoryName(into)!);
            Directory.Move(detached, into);
            var (r, s) = await ShipWorkDirectoryAsync(target, cancellationToken).ConfigureAwait(false);
            read += r;
            stored += s;
            trimmed.Add((participant, month));
        }

        return new ShipReport(read, stored, trimmed);
    }

    private async Task<(long Read, long Stored)> ShipWorkDirectoryAsync(string directory, CancellationToken cancellationToken)
    {
        (long, long) result = (0, 0);
        using (var detached = DetectionStore.Open(directory, _spool.Schedule, _time))
        {
            foreach (var participant in detached.Partitions().Select(p => p.Participant).Distinct())
            {
                var (r, s) = await ShipPartitionAsync(detached, participant, cancellationToken).ConfigureAwait(false);
                result = (result.Item1 + r, result.Item2 + s);
            }
        }

        // Every record of it is committed on the target: only now is the spool's copy removed.
        Directory.Delete(directory, recursive: true);
        return result;
    }

    private async Task<(long Read, long Stored)> ShipPartitionAsync(DetectionStore source, ParticipantId participant, CancellationToken cancellationToken)
    {
        long read = 0;
        long stored = 0;
        DetectionCursor? cursor = null;
        do
        {
            var page = await source.QueryAsync(new DetectionQuery { Participant = participant, From = Earliest, To = Latest, Limit = _batch, Cursor = cursor }, cancellationToken).ConfigureAwait(false);
            if (page.Records.Count > 0)
            {
                stored += await _target.AppendAsync(page.Records, cancellationToken).ConfigureAwait(false);
                read += page.Records.Count;
            }

            cursor = page.Next;
        }
        while (cursor is not null);
        return (read, stored);
    }
}
