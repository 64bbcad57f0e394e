namespace Nii.Socs.Core.Inspection;

/// <summary>The yearly inspection report: compliance computed from the stored state and the operation history (R13.1).</summary>
/// <param name="Schema">The schema version of the report; it changes only when a field's meaning changes.</param>
/// <param name="Year">The calendar year inspected, counted in JST.</param>
/// <param name="From">The first instant of the year (00:00 JST on 1 January).</param>
/// <param name="Until">The first instant after the year (00:00 JST on 1 January of the next year).</param>
/// <param name="AsOf">The instant the stored state was read.</param>
/// <param name="Retention">Retention of detections (R7.3).</param>
/// <param name="Keys">Epoch keys (R8.2–R8.4).</param>
/// <param name="Consent">Decryption requests, views and fault accesses (R7.2, R8.5, R8.6).</param>
/// <param name="History">The operation history (R6.4).</param>
/// <param name="Monitoring">Exclusions and coverage (R5).</param>
/// <param name="Notifications">Mail sent to participants (R4.5, R4.6).</param>
/// <param name="Participants">Approvals, refusals, renewals and terminations (R3, R11, R12).</param>
/// <param name="Findings">Every deviation found, with its evidence; empty when the operation complied.</param>
/// <remarks>
/// R13.1. Instants are in JST (+09:00). A deviation is reported when it happened inside the year, or, for the
/// stored state (a partition kept past its expiry, a broken history), when it exists at <paramref name="AsOf"/>.
/// <para>Edge case: a key whose epoch ended on 2026-12-28 and whose destruction is recorded on 2027-01-02 is a
/// late destruction of the 2027 report, because that is when the deviation became visible.</para>
/// </remarks>
internal sealed partial record InspectionReport(
    int Schema,
    int Year,
    DateTimeOffset From,
    DateTimeOffset Until,
    DateTimeOffset AsOf,
    InspectionReport.RetentionSection Retention,
    InspectionReport.KeysSection Keys,
    InspectionReport.ConsentSection Consent,
    InspectionReport.HistorySection History,
    InspectionReport.MonitoringSection Monitoring,
    InspectionReport.NotificationsSection Notifications,
    InspectionReport.ParticipantsSection Participants,
    IReadOnlyList<Finding> Findings)
{
    /// <summary>The current schema version.</summary>
    public const int CurrentSchema = 1;

    /// <summary>Whether the report found no deviation.</summary>
    public bool Clean => Findings.Count == 0;
}
