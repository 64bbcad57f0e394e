using System.Globalization;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Inspection;

/// <summary>Computes an <see cref="InspectionReport"/> from streams of stored facts, one item at a time (R13.1).</summary>
/// <remarks>
/// R13.1. Feed the consent events first (<see cref="AddConsentEvent"/>), then the operation history in log order
/// (<see cref="AddHistoryEntry"/>), the registry events in log order, the stored partitions, detections and
/// wrapped-key holders in any order; then call <see cref="Build"/>. Memory grows with the number of participants,
/// requests, grants, open epochs and findings, never with the number of history entries or detections.
/// <para>Edge case: an empty data directory gives a report with empty sections and no finding.</para>
/// </remarks>
internal sealed partial class InspectionBuilder
{
    private readonly InspectionSettings _settings;
    private readonly DateTimeOffset _asOf;
    private readonly DateTimeOffset _from;
    private readonly DateTimeOffset _until;
    private readonly DateTimeOffset _horizon;
    private readonly List<Finding> _findings = [];
    private bool _built;

    /// <summary>Starts an inspection.</summary>
    /// <param name="settings">The year and graces.</param>
    /// <param name="asOf">The instant the stored state is read (the caller's clock, read once).</param>
    /// <exception cref="ArgumentNullException"><paramref name="settings"/> is null.</exception>
    /// <remarks>R13.1. Edge case: a report on the running year, as of 2026-11-29, checks for missing key
    /// destructions only up to that day.</remarks>
    public InspectionBuilder(InspectionSettings settings, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _asOf = asOf;
        _from = settings.From;
        _until = settings.Until;
        _horizon = asOf < _until ? asOf : _until;
        _firstMonday = MondayOnOrBefore(Jst.DateOf(_from));
        var weeks = ((Jst.DateOf(_until).DayNumber - _firstMonday.DayNumber) + 6) / 7;
        _weekDetections = new long[weeks];
    }

    /// <summary>Computes the report from everything fed so far.</summary>
    /// <returns>The report.</returns>
    /// <exception cref="InvalidOperationException">The report was already built.</exception>
    /// <remarks>R13.1. Edge case: a second call throws, because building consumes the open epochs and requests.</remarks>
    public InspectionReport Build()
    {
        if (_built)
        {
            throw new InvalidOperationException("The report was already built; start a new builder.");
        }

        _built = true;
        var schedule = _registry.RetentionSchedule(_settings.DefaultRetention);
        var retention = BuildRetention(schedule);
        var keys = BuildKeys();
        var consent = BuildConsent();
        var history = BuildHistory();
        var monitoring = BuildMonitoring();
        var notifications = BuildNotifications();
        var participants = BuildParticipants();
        foreach (var unpaired in _pairs.Unpaired())
        {
            AddFinding(FindingCodes.ConsentHistoryUnpaired, "R6.4", unpaired.Description, unpaired.HistoryEntry is { } s ? [s] : []);
        }

        var findings = _findings
            .OrderBy(f => f.HistoryEntries.Count == 0 ? long.MaxValue : f.HistoryEntries[0])
            .ThenBy(f => f.Code, StringComparer.Ordinal)
            .ThenBy(f => f.Message, StringComparer.Ordinal)
            .ToList();
        return new InspectionReport(
            InspectionReport.CurrentSchema,
            _settings.Year,
            Jst.ToJst(_from),
            Jst.ToJst(_until),
            Jst.ToJst(_asOf),
            retention,
            keys,
            consent,
            history,
            monitoring,
            notifications,
            participants,
            findings);
    }

    private bool InYear(DateTimeOffset instant) => instant >= _from && instant < _until;

    private void AddFinding(string code, string requirement, string message, IReadOnlyList<long> entries, params string[] other) =>
        _findings.Add(new Finding(code, requirement, message, entries, other));

    private static string Iso(DateTimeOffset instant) => Jst.ToJst(instant).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static double Hours(TimeSpan span) => Math.Round(span.TotalHours, 2);

    private static string Describe(TimeSpan span) => span.TotalDays >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalDays:0.##} day(s)")
        : string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours:0.##} hour(s)");

    private static DateOnly MondayOnOrBefore(DateOnly date) => date.AddDays(-(((int)date.DayOfWeek + 6) % 7));

    private static List<InspectionReport.KeyCount> Counts(Dictionary<string, long> counts) =>
        [.. counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new InspectionReport.KeyCount(p.Key, p.Value))];

    private static void Increment<TKey>(Dictionary<TKey, long> counts, TKey key)
        where TKey : notnull =>
        counts[key] = counts.GetValueOrDefault(key) + 1;

    private static IEnumerable<ParticipantId> Sorted(IEnumerable<ParticipantId> participants) =>
        participants.Distinct().OrderBy(p => p.Value, StringComparer.Ordinal);
}
