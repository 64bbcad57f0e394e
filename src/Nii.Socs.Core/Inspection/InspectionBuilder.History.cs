using System.Globalization;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Inspection;

/// <content>The operation history: integrity, retention deletions, key destruction, mail.</content>
internal sealed partial class InspectionBuilder
{
    private const string PartitionDeleted = "retention.partition.deleted";
    private const string WrappedDeleted = "keys.wrapped.deleted";
    private const string MailPrefix = "mail.";
    private const string FaultNotice = "consent.fault-access.notice";
    private const string NoCertificateAction = "keys.epoch.no-certificate";

    private readonly Dictionary<string, long> _actionsInYear = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _mailByAction = new(StringComparer.Ordinal);
    private readonly Dictionary<ParticipantId, long> _deletedInYear = [];
    private readonly List<(long Sequence, DateTimeOffset At, ParticipantId Participant, JstMonth Month)> _deletionsWithoutExpiry = [];
    private readonly Dictionary<EpochId, (long Sequence, DateTimeOffset End)> _openEpochs = [];
    private readonly Dictionary<ParticipantId, KeyTally> _keyTallies = [];
    private readonly Dictionary<string, List<long>> _noCertificate = new(StringComparer.Ordinal);
    private HistoryVerification? _verification;
    private OperationEntry? _firstEntry;
    private OperationEntry? _lastEntry;
    private long _entries;
    private long _entriesInYear;
    private bool _removed;
    private bool _broken;
    private long _deletions;
    private long _lateDeletions;
    private long _wrappedDeleted;
    private long _mailRetries;

    /// <summary>Feeds the next operation-history entry, in log order.</summary>
    /// <param name="entry">The entry.</param>
    /// <exception cref="ArgumentNullException"><paramref name="entry"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The report was already built.</exception>
    /// <remarks>R6.4, R7.3, R8.4. The builder checks the chain itself: a sequence that does not start at 1 or
    /// skips a number is a removed entry; a previous-entry hash that does not match is a broken chain.
    /// Edge case: removing the last entry leaves no gap; only the store's signed checkpoints reveal it
    /// (<see cref="SetHistoryVerification"/>).</remarks>
    public void AddHistoryEntry(OperationEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ThrowIfBuilt();
        _historyStarted = true;
        _pairs.Add(entry);
        CheckChain(entry);
        _entries++;
        _firstEntry ??= entry;
        _lastEntry = entry;
        var inYear = InYear(entry.At);
        if (inYear)
        {
            _entriesInYear++;
            Increment(_actionsInYear, entry.Action);
        }

        switch (entry.Action)
        {
            case PartitionDeleted:
                ObservePartitionDeletion(entry, inYear);
                break;
            case WrappedDeleted when inYear:
                _wrappedDeleted++;
                break;
            case KeyRotationRecord.CreatedAction:
                ObserveEpochCreated(entry, inYear);
                break;
            case KeyRotationRecord.DestroyedAction:
                ObserveEpochDestroyed(entry, inYear);
                break;
            case FaultNotice:
                ObserveNotice(entry);
                break;
            case NoCertificateAction when inYear:
                // One finding per participant and epoch (subject keys/<participant>/<epoch>); a restart in the same epoch may note it again.
                if (!_noCertificate.TryGetValue(entry.Subject, out var seen))
                {
                    _noCertificate[entry.Subject] = seen = [];
                }

                seen.Add(entry.Sequence);
                break;
            default:
                if (entry.Action.StartsWith(MailPrefix, StringComparison.Ordinal))
                {
                    ObserveMail(entry, inYear);
                }

                break;
        }
    }

    /// <summary>Records the store's own verification of the history (hash chain and signed checkpoints).</summary>
    /// <param name="verification">The verifier's result.</param>
    /// <exception cref="ArgumentNullException"><paramref name="verification"/> is null.</exception>
    /// <remarks>R6.4. Edge case: a truncated tail that a checkpoint signed is a finding even though the remaining
    /// entries chain correctly.</remarks>
    public void SetHistoryVerification(HistoryVerification verification)
    {
        ArgumentNullException.ThrowIfNull(verification);
        ThrowIfBuilt();
        _verification = verification;
    }

    private void CheckChain(OperationEntry entry)
    {
        var previous = _lastEntry;
        var expected = (previous?.Sequence ?? 0) + 1;
        if (entry.Sequence != expected)
        {
            _removed = true;
            var message = entry.Sequence > expected
                ? string.Create(CultureInfo.InvariantCulture, $"operation-history entries {expected}..{entry.Sequence - 1} are missing")
                : string.Create(CultureInfo.InvariantCulture, $"operation-history entry {entry.Sequence} follows entry {expected - 1}: the order was changed");
            AddFinding(FindingCodes.HistoryEntriesRemoved, "R6.4", message, previous is null ? [entry.Sequence] : [previous.Sequence, entry.Sequence]);
            return;
        }

        var linked = previous is null
            ? entry.PreviousHash.Span.SequenceEqual(OperationEntry.GenesisHash.Span)
            : entry.PreviousHash.Span.SequenceEqual(previous.Hash.Span);
        if (!linked || !entry.ComputeHash().AsSpan().SequenceEqual(entry.Hash.Span))
        {
            _broken = true;
            AddFinding(
                FindingCodes.HistoryChainBroken,
                "R6.4",
                string.Create(CultureInfo.InvariantCulture, $"operation-history entry {entry.Sequence} does not chain to the entry before it or does not match its own hash"),
                [entry.Sequence]);
        }
    }

    private void ObservePartitionDeletion(OperationEntry entry, bool inYear)
    {
        if (!inYear || !TryParsePartitionSubject(entry.Subject, out var participant, out var month))
        {
            return;
        }

        _deletions++;
        Increment(_deletedInYear, participant);
        if (TryParseInstantAfter(entry.Details, "expired ", out var expiry))
        {
            CheckDeletion(entry.Sequence, entry.At, participant, month, expiry);
        }
        else
        {
            _deletionsWithoutExpiry.Add((entry.Sequence, entry.At, participant, month));
        }
    }

    private void CheckDeletion(long sequence, DateTimeOffset at, ParticipantId participant, JstMonth month, DateTimeOffset expiry)
    {
        var delay = at - expiry;
        if (delay > _settings.DeletionGrace)
        {
            _lateDeletions++;
            AddFinding(
                FindingCodes.DeletionLate,
                "R7.3",
                $"partition {participant}/{month} expired {Iso(expiry)} and was deleted {Describe(delay)} later",
                [sequence],
                $"detections/{participant}/{month}");
        }
    }

    private void FinishDeletions(RetentionSchedule schedule)
    {
        foreach (var (sequence, at, participant, month) in _deletionsWithoutExpiry)
        {
            CheckDeletion(sequence, at, participant, month, schedule.ExpiryOf(participant, month));
        }
    }

    private void ObserveEpochCreated(OperationEntry entry, bool inYear)
    {
        if (!KeyRotationRecord.TryParseSubject(entry.Subject, out var epoch))
        {
            return;
        }

        if ((TryParseInstantAfter(entry.Details, "end=", out var stated) ? stated : EndOf(epoch)) is not { } end)
        {
            return;
        }

        _openEpochs[epoch] = (entry.Sequence, end);
        if (inYear)
        {
            TallyOf(epoch.Participant).Created++;
        }
    }

    private void ObserveEpochDestroyed(OperationEntry entry, bool inYear)
    {
        if (!KeyRotationRecord.TryParseSubject(entry.Subject, out var epoch))
        {
            return;
        }

        long? created = null;
        DateTimeOffset? end = EndOf(epoch);
        if (_openEpochs.Remove(epoch, out var open))
        {
            created = open.Sequence;
            end = open.End;
        }

        if (TryParseInstantAfter(entry.Details, "end=", out var recordedEnd))
        {
            end = recordedEnd;
        }

        if (!inYear)
        {
            return;
        }

        var tally = TallyOf(epoch.Participant);
        tally.Destroyed++;
        if (end is not { } ended)
        {
            return;
        }

        var delay = entry.At - ended;
        tally.MaxDelay = delay > tally.MaxDelay ? delay : tally.MaxDelay;
        if (delay > _settings.DestructionGrace)
        {
            tally.Late++;
            AddFinding(
                FindingCodes.DestructionLate,
                "R8.4",
                $"the key of epoch {epoch} ended {Iso(ended)} and was destroyed {Describe(delay)} later",
                created is { } c ? [c, entry.Sequence] : [entry.Sequence]);
        }
    }

    private void FinishEpochs()
    {
        foreach (var (subject, entries) in _noCertificate.OrderBy(p => p.Value[0]))
        {
            AddFinding(
                FindingCodes.NoCertificate,
                "R8.1",
                $"{subject}: no active certificate in this epoch; no key was made and detections were stored with headers only",
                entries);
        }

        foreach (var (epoch, (sequence, end)) in _openEpochs.OrderBy(p => p.Value.Sequence))
        {
            var due = end + _settings.DestructionGrace;
            if (due >= _from && due < _horizon)
            {
                TallyOf(epoch.Participant).Missing++;
                AddFinding(
                    FindingCodes.DestructionMissing,
                    "R8.4",
                    $"the key of epoch {epoch} ended {Iso(end)} and no destruction is recorded",
                    [sequence]);
            }
        }

        _openEpochs.Clear();
    }

    private DateTimeOffset? EndOf(EpochId epoch)
    {
        try
        {
            return _settings.Schedule.EndOf(epoch);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private KeyTally TallyOf(ParticipantId participant)
    {
        if (!_keyTallies.TryGetValue(participant, out var tally))
        {
            tally = new KeyTally();
            _keyTallies.Add(participant, tally);
        }

        return tally;
    }

    private void ObserveMail(OperationEntry entry, bool inYear)
    {
        if (inYear)
        {
            Increment(_mailByAction, entry.Action);
            if (entry.Details.Contains("retry-at=", StringComparison.Ordinal))
            {
                _mailRetries++;
            }
        }

        if (!entry.Action.Contains("fail", StringComparison.Ordinal) && !entry.Action.Contains("queued", StringComparison.Ordinal))
        {
            ObserveNotice(entry);
        }
    }

    private void ObserveNotice(OperationEntry entry)
    {
        foreach (var fault in _faults)
        {
            if (fault.NoticeEntry is null && entry.At >= fault.At
                && (Mentions(entry, fault.Incident) || Mentions(entry, fault.Record)))
            {
                fault.NoticeEntry = entry.Sequence;
            }
        }
    }

    private static bool Mentions(OperationEntry entry, string text) =>
        text.Length > 0 && (entry.Subject.Contains(text, StringComparison.Ordinal) || entry.Details.Contains(text, StringComparison.Ordinal));

    private static bool TryParsePartitionSubject(string subject, out ParticipantId participant, out JstMonth month)
    {
        participant = default;
        month = default;
        var parts = subject.Split('/');
        if (parts is not ["detections", var id, var text] || !ParticipantId.IsValid(id) || !JstMonth.TryParse(text, out month))
        {
            return false;
        }

        participant = new ParticipantId(id);
        return true;
    }

    private static bool TryParseInstantAfter(string details, string marker, out DateTimeOffset instant)
    {
        instant = default;
        var start = details.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }

        start += marker.Length;
        var end = details.IndexOf(';', start);
        var text = end < 0 ? details[start..] : details[start..end];
        return DateTimeOffset.TryParseExact(text.Trim(), "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
    }

    private sealed class KeyTally
    {
        public long Created { get; set; }

        public long Destroyed { get; set; }

        public long Late { get; set; }

        public long Missing { get; set; }

        public TimeSpan MaxDelay { get; set; }
    }
}
