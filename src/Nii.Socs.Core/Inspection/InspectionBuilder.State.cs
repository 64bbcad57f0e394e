using System.Collections.Immutable;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Inspection;

/// <content>The stored state: registry, partitions, detections, wrapped keys; and the sections built from it.</content>
internal sealed partial class InspectionBuilder
{
    private readonly Dictionary<string, long> _refusalsByReason = new(StringComparer.Ordinal);
    private readonly List<InspectionReport.TerminationRow> _terminations = [];
    private readonly List<(ParticipantId Participant, JstMonth Month, long Records)> _partitions = [];
    private readonly List<(EpochId Epoch, IReadOnlyList<string> Thumbprints)> _holders = [];
    private readonly long[] _weekDetections;
    private readonly DateOnly _firstMonday;
    private RegistryState _registry = RegistryState.Empty;
    private long _approvals;
    private long _refusals;
    private long? _renewals;

    /// <summary>Feeds the next registry event, in log order.</summary>
    /// <param name="registryEvent">The event.</param>
    /// <exception cref="ArgumentNullException"><paramref name="registryEvent"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The report was already built.</exception>
    /// <remarks>R3, R11, R12. Renewals (R11.2) are counted at the fiscal year's start inside the year (1 April):
    /// every participant approved before it and not terminated is extended.
    /// Edge case: a participant terminated effective 2026-04-01 was not renewed in 2026.</remarks>
    public void AddRegistryEvent(RegistryEvent registryEvent)
    {
        ArgumentNullException.ThrowIfNull(registryEvent);
        ThrowIfBuilt();
        TakeRenewalsBefore(registryEvent.At);
        var inYear = InYear(registryEvent.At);
        switch (registryEvent)
        {
            case ApplicationApproved a when inYear && IsPending(a.ApplicationId):
                _approvals++;
                break;
            case ApplicationRefused r when inYear && IsPending(r.ApplicationId):
                _refusals++;
                Increment(_refusalsByReason, r.Reason);
                break;
            case ParticipantTerminated t when inYear && _registry.Participants.ContainsKey(t.Participant):
                _terminations.Add(new InspectionReport.TerminationRow(t.Participant.Value, Jst.ToJst(t.At), t.EffectiveFrom));
                break;
            default:
                break;
        }

        _registry = _registry.Apply(registryEvent);
    }

    /// <summary>Feeds a detection partition stored now.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="month">The JST acquisition month.</param>
    /// <param name="records">Records in it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="records"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The report was already built.</exception>
    /// <remarks>R7.3. Its expiry comes from the registry's agreements, so the check runs in <see cref="Build"/>.
    /// Edge case: a 2026-01 partition under the default policy expires 2026-05-01T00:00+09:00; stored on
    /// 2026-05-03 it is two days past expiry.</remarks>
    public void AddPartition(ParticipantId participant, JstMonth month, long records)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(records);
        ThrowIfBuilt();
        _partitions.Add((participant, month, records));
    }

    /// <summary>Counts one stored detection in the week it was observed.</summary>
    /// <param name="observedAt">When it was observed.</param>
    /// <exception cref="InvalidOperationException">The report was already built.</exception>
    /// <remarks>R4.2. Detections outside the year are ignored. Edge case: 2026-01-01 is a Thursday, so the first
    /// week of 2026 starts Monday 2025-12-29 and counts only detections from 2026-01-01 00:00 JST on.</remarks>
    public void AddDetection(DateTimeOffset observedAt)
    {
        ThrowIfBuilt();
        if (!InYear(observedAt))
        {
            return;
        }

        _weekDetections[(Jst.DateOf(observedAt).DayNumber - _firstMonday.DayNumber) / 7]++;
    }

    /// <summary>Feeds the certificates an epoch's stored wrapped keys were made for.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="thumbprints">The certificate thumbprints of its wrapped keys.</param>
    /// <exception cref="ArgumentNullException"><paramref name="thumbprints"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The report was already built.</exception>
    /// <remarks>R6.3, R8.1. An epoch all of whose certificates are revoked is a warning, not a finding: the
    /// participant keeps past certificates (R6.3) and can still unwrap. Edge case: an epoch wrapped to a
    /// certificate the registry does not know counts as not revoked.</remarks>
    public void AddWrappedKeyHolders(EpochId epoch, IReadOnlyList<string> thumbprints)
    {
        ArgumentNullException.ThrowIfNull(thumbprints);
        ThrowIfBuilt();
        _holders.Add((epoch, thumbprints));
    }

    private bool IsPending(string applicationId) =>
        _registry.Applications.TryGetValue(applicationId, out var app) && app.Status == ApplicationStatus.Pending;

    private void TakeRenewalsBefore(DateTimeOffset instant)
    {
        var fiscalStart = Jst.At(new DateOnly(_settings.Year, 4, 1));
        if (_renewals is null && instant >= fiscalStart && _asOf >= fiscalStart)
        {
            _renewals = _registry.Participants.Values.Count(p => p.TerminatedFrom is null);
        }
    }

    private InspectionReport.RetentionSection BuildRetention(RetentionSchedule schedule)
    {
        FinishDeletions(schedule);
        var rows = new List<InspectionReport.ParticipantRetention>();
        var byParticipant = _partitions.GroupBy(p => p.Participant).ToDictionary(g => g.Key, g => g.OrderBy(p => p.Month).ToList());
        foreach (var participant in Sorted(_registry.Participants.Keys.Concat(byParticipant.Keys).Concat(_deletedInYear.Keys)))
        {
            var partitions = byParticipant.GetValueOrDefault(participant) ?? [];
            var past = 0;
            foreach (var (_, month, _) in partitions)
            {
                var expiry = schedule.ExpiryOf(participant, month);
                if (expiry <= _asOf)
                {
                    past++;
                    AddFinding(
                        FindingCodes.PartitionPastExpiry,
                        "R7.3",
                        $"partition {participant}/{month} expired {Iso(expiry)} and is still stored {Describe(_asOf - expiry)} later",
                        [],
                        $"detections/{participant}/{month}");
                }
            }

            var oldest = partitions.Count == 0 ? (JstMonth?)null : partitions[0].Month;
            rows.Add(new InspectionReport.ParticipantRetention(
                participant.Value,
                partitions.Count,
                partitions.Sum(p => p.Records),
                oldest?.ToString(),
                oldest is { } m ? Jst.ToJst(schedule.ExpiryOf(participant, m)) : null,
                past,
                _deletedInYear.GetValueOrDefault(participant)));
        }

        var agreements = new List<InspectionReport.AgreementRow>();
        foreach (var participant in Sorted(_registry.Participants.Keys))
        {
            var all = _registry.Participants[participant].Agreements;
            var inForce = all.Where(a => a.EffectiveAt <= _asOf).OrderBy(a => a.EffectiveFrom).LastOrDefault();
            agreements.AddRange(all.OrderBy(a => a.EffectiveFrom).Select(a => new InspectionReport.AgreementRow(participant.Value, a.Policy.Months, a.EffectiveFrom, ReferenceEquals(a, inForce))));
        }

        return new InspectionReport.RetentionSection(rows, agreements, _deletions, _lateDeletions);
    }

    private InspectionReport.KeysSection BuildKeys()
    {
        FinishEpochs();
        var rows = Sorted(_keyTallies.Keys)
            .Select(p => _keyTallies[p] is var t
                ? new InspectionReport.ParticipantKeys(p.Value, t.Created, t.Destroyed, t.Late, t.Missing, Hours(t.MaxDelay))
                : null!)
            .ToList();
        var warnings = new List<InspectionReport.KeyWarning>();
        foreach (var (epoch, thumbprints) in _holders.OrderBy(h => h.Epoch.Participant.Value, StringComparer.Ordinal).ThenBy(h => h.Epoch.Index))
        {
            var certificates = _registry.Participants.TryGetValue(epoch.Participant, out var entry) ? entry.Certificates : null;
            if (thumbprints.Count > 0 && certificates is not null
                && thumbprints.All(t => certificates.TryGetValue(t, out var c) && c.Status == CertificateStatus.Revoked))
            {
                warnings.Add(new InspectionReport.KeyWarning(epoch.Participant.Value, epoch.Index, [.. thumbprints.Order(StringComparer.Ordinal)]));
            }
        }

        return new InspectionReport.KeysSection(rows, _wrappedDeleted, warnings);
    }

    private InspectionReport.HistorySection BuildHistory()
    {
        var removed = _removed || (_firstEntry is { } first && first.Sequence != 1);
        string verification;
        var intact = !_removed && !_broken;
        switch (_verification)
        {
            case Audit.HistoryVerification.Broken b:
                intact = false;
                verification = b.ToString();
                AddFinding(FindingCodes.HistoryChainBroken, "R6.4", "the store's verifier reports the history " + b, b.Sequence > 0 ? [b.Sequence] : []);
                break;
            case { } v:
                verification = intact ? v.ToString() : "broken: see findings";
                break;
            default:
                verification = intact ? $"ok {_entries} entries, chain checked without signed checkpoints" : "broken: see findings";
                break;
        }

        return new InspectionReport.HistorySection(
            verification,
            intact,
            _entries,
            _entriesInYear,
            Ref(_firstEntry),
            Ref(_lastEntry),
            !removed,
            Counts(_actionsInYear));

        static InspectionReport.EntryRef? Ref(Audit.OperationEntry? e) => e is null ? null : new(e.Sequence, Jst.ToJst(e.At), e.Action);
    }

    private InspectionReport.MonitoringSection BuildMonitoring()
    {
        var exclusions = new List<(ExclusionEntry Entry, DateTimeOffset Start, DateTimeOffset End)>();
        var rows = new List<InspectionReport.ExclusionRow>();
        foreach (var x in _registry.Exclusions.Values.OrderBy(x => x.From).ThenBy(x => x.Id, StringComparer.Ordinal))
        {
            var end = x.EndedAt ?? (x.Until is { } u && u < _asOf ? u : _asOf);
            var start = x.From > _from ? x.From : _from;
            var stop = end < _horizon ? end : _horizon;
            if (stop <= start)
            {
                continue;
            }

            exclusions.Add((x, start, stop));
            rows.Add(new InspectionReport.ExclusionRow(x.Id, [.. x.Prefixes.Select(p => p.ToString())], Jst.ToJst(x.From), x.EndedAt is { } e ? Jst.ToJst(e) : x.Until is { } until ? Jst.ToJst(until) : null, x.Reason, Hours(stop - start)));
        }

        var participants = new List<InspectionReport.ParticipantCoverage>();
        var gaps = new List<List<(DateTimeOffset Start, DateTimeOffset End)>>();
        foreach (var participant in Sorted(_registry.Participants.Keys))
        {
            var prefixes = _registry.Participants[participant].Prefixes;
            var touching = exclusions.Where(x => Overlaps(x.Entry.Prefixes, prefixes)).ToList();
            var merged = Merge(touching.Select(x => (x.Start, x.End)));
            gaps.Add(merged);
            participants.Add(new InspectionReport.ParticipantCoverage(participant.Value, touching.Count, Hours(TimeSpan.FromTicks(merged.Sum(g => (g.End - g.Start).Ticks)))));
        }

        var weeks = new List<InspectionReport.WeekPoint>();
        for (var i = 0; i < _weekDetections.Length; i++)
        {
            var monday = _firstMonday.AddDays(7 * i);
            var weekStart = Max(Jst.At(monday), _from);
            var weekEnd = Min(Jst.At(monday.AddDays(7)), _until);
            double coverage = 1;
            if (gaps.Count > 0)
            {
                var excluded = gaps.Sum(list => list.Sum(g => Math.Max(0, (Min(g.End, weekEnd) - Max(g.Start, weekStart)).Ticks)));
                coverage = 1 - (excluded / ((double)gaps.Count * (weekEnd - weekStart).Ticks));
            }

            weeks.Add(new InspectionReport.WeekPoint(monday, _weekDetections[i], Math.Round(coverage, 4)));
        }

        return new InspectionReport.MonitoringSection(rows, participants, weeks);
    }

    private InspectionReport.NotificationsSection BuildNotifications()
    {
        // Action names as the mail module writes them: mail.sent, mail.digest.sent, mail.followup.sent, mail.failed.
        long Sum(params string[] words) => _mailByAction.Where(p => words.All(w => p.Key.Contains(w, StringComparison.Ordinal))).Sum(p => p.Value);
        return new InspectionReport.NotificationsSection(Sum("sent"), Sum("digest", "sent"), Sum("follow", "sent"), Sum("fail"), _mailRetries, Counts(_mailByAction));
    }

    private InspectionReport.ParticipantsSection BuildParticipants()
    {
        TakeRenewalsBefore(_asOf);
        var today = Jst.DateOf(_asOf);
        var active = _registry.Participants.Values.Count(p => p.TerminatedFrom is not { } t || t > today);
        return new InspectionReport.ParticipantsSection(_approvals, _refusals, Counts(_refusalsByReason), _renewals ?? 0, _terminations, active);
    }

    private static bool Overlaps(ImmutableArray<IPPrefix> a, ImmutableArray<IPPrefix> b) => a.Any(x => b.Any(x.Overlaps));

    private static List<(DateTimeOffset Start, DateTimeOffset End)> Merge(IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> intervals)
    {
        var merged = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        foreach (var (start, end) in intervals.OrderBy(i => i.Start))
        {
            if (merged.Count > 0 && start <= merged[^1].End)
            {
                merged[^1] = (merged[^1].Start, Max(end, merged[^1].End));
            }
            else
            {
                merged.Add((start, end));
            }
        }

        return merged;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
