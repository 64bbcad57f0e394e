namespace Nii.Socs.Core.Inspection;

/// <content>The sections of the report and their rows.</content>
internal sealed partial record InspectionReport
{
    /// <summary>A count under a key: an action, a purpose, a reason.</summary>
    /// <param name="Key">The key.</param>
    /// <param name="Count">How many.</param>
    public sealed record KeyCount(string Key, long Count);

    /// <summary>An operation-history entry named by the report.</summary>
    /// <param name="Sequence">Its sequence number.</param>
    /// <param name="At">When it was written.</param>
    /// <param name="Action">Its action.</param>
    public sealed record EntryRef(long Sequence, DateTimeOffset At, string Action);

    /// <summary>Retention of detections (R7.3).</summary>
    /// <param name="Participants">Per participant: what is stored and how it was deleted.</param>
    /// <param name="Agreements">Retention agreements recorded in the registry.</param>
    /// <param name="DeletionsInYear">Partitions deleted during the year.</param>
    /// <param name="LateDeletions">Of those, deleted later than the grace after their expiry.</param>
    public sealed record RetentionSection(IReadOnlyList<ParticipantRetention> Participants, IReadOnlyList<AgreementRow> Agreements, long DeletionsInYear, long LateDeletions);

    /// <summary>One participant's stored detections (R7.3).</summary>
    /// <param name="Participant">The participant.</param>
    /// <param name="Partitions">Partitions stored now.</param>
    /// <param name="Records">Records stored now.</param>
    /// <param name="OldestMonth">The acquisition month of the oldest stored partition; null when none is stored.</param>
    /// <param name="OldestExpiry">When that partition expires; null when none is stored.</param>
    /// <param name="PartitionsPastExpiry">Partitions stored past their expiry (each is a finding).</param>
    /// <param name="DeletedInYear">Partitions deleted during the year.</param>
    public sealed record ParticipantRetention(string Participant, int Partitions, long Records, string? OldestMonth, DateTimeOffset? OldestExpiry, int PartitionsPastExpiry, long DeletedInYear);

    /// <summary>A retention agreement (R7.3).</summary>
    /// <param name="Participant">The participant.</param>
    /// <param name="Months">The agreed months after the acquisition month.</param>
    /// <param name="EffectiveFrom">The JST date it applies from.</param>
    /// <param name="InForce">Whether it is the agreement in force at the report's instant.</param>
    public sealed record AgreementRow(string Participant, int Months, DateOnly EffectiveFrom, bool InForce);

    /// <summary>Epoch keys (R8.2–R8.4).</summary>
    /// <param name="Participants">Per participant: epochs and destructions in the year.</param>
    /// <param name="WrappedSetsDeleted">Wrapped key sets deleted in the year because no partition needed them.</param>
    /// <param name="Warnings">Epochs whose wrapped keys are held only for revoked certificates.</param>
    public sealed record KeysSection(IReadOnlyList<ParticipantKeys> Participants, long WrappedSetsDeleted, IReadOnlyList<KeyWarning> Warnings);

    /// <summary>One participant's epochs (R8.2–R8.4).</summary>
    /// <param name="Participant">The participant.</param>
    /// <param name="EpochsCreated">Epoch keys created in the year.</param>
    /// <param name="Destroyed">Epoch keys destroyed in the year.</param>
    /// <param name="Late">Destructions later than the grace (each is a finding).</param>
    /// <param name="Missing">Epochs that ended without a recorded destruction (each is a finding).</param>
    /// <param name="MaxDelayHours">The longest time from an epoch's end to its key's destruction, in hours.</param>
    public sealed record ParticipantKeys(string Participant, long EpochsCreated, long Destroyed, long Late, long Missing, double MaxDelayHours);

    /// <summary>An epoch whose wrapped keys only revoked certificates can open (R6.3, R8.1).</summary>
    /// <param name="Participant">The participant.</param>
    /// <param name="Epoch">The epoch index.</param>
    /// <param name="Thumbprints">The certificates it is wrapped to.</param>
    public sealed record KeyWarning(string Participant, long Epoch, IReadOnlyList<string> Thumbprints);

    /// <summary>Decryption requests, decisions, views and fault accesses (R7.2, R8.5, R8.6).</summary>
    /// <param name="RequestsByRequester">Requests filed in the year by requester kind.</param>
    /// <param name="RequestsByPurpose">Requests filed in the year by purpose.</param>
    /// <param name="Approved">Requests approved in the year.</param>
    /// <param name="Denied">Requests denied in the year.</param>
    /// <param name="Expired">Requests whose deadline passed in the year without a decision.</param>
    /// <param name="Pending">Requests still open at the report's instant.</param>
    /// <param name="DecisionHoursMean">Mean time to decision in service hours (R10); 0 without decisions.</param>
    /// <param name="DecisionHoursMax">Longest time to decision in service hours.</param>
    /// <param name="DecisionsPerMonth">Approvals and denials per JST month.</param>
    /// <param name="Views">Views in the year.</param>
    /// <param name="ViewsCovered">Of those, covered by a live grant.</param>
    /// <param name="FaultAccesses">Every fault access in the year.</param>
    public sealed record ConsentSection(
        IReadOnlyList<KeyCount> RequestsByRequester,
        IReadOnlyList<KeyCount> RequestsByPurpose,
        long Approved,
        long Denied,
        long Expired,
        long Pending,
        double DecisionHoursMean,
        double DecisionHoursMax,
        IReadOnlyList<MonthDecisions> DecisionsPerMonth,
        long Views,
        long ViewsCovered,
        IReadOnlyList<FaultAccessRow> FaultAccesses)
    {
        /// <summary>Decryption requests filed by staff in the year outside service hours (R10.1: advanced investigation is served 09:00–17:00 JST on working days).</summary>
        public long StaffRequestsOutsideServiceHours { get; init; }

        /// <summary>Fault accesses in the year outside service hours (R10.1).</summary>
        public long FaultAccessesOutsideServiceHours { get; init; }
    }

    /// <summary>Decisions in one JST month.</summary>
    /// <param name="Month">The month, <c>yyyy-MM</c>.</param>
    /// <param name="Approved">Approvals.</param>
    /// <param name="Denied">Denials.</param>
    public sealed record MonthDecisions(string Month, long Approved, long Denied);

    /// <summary>A fault access (R7.2).</summary>
    /// <param name="Event">Its number in the consent log.</param>
    /// <param name="At">When.</param>
    /// <param name="Participant">Whose record.</param>
    /// <param name="Record">The record.</param>
    /// <param name="Staff">Who accessed it.</param>
    /// <param name="Reason">The stated reason.</param>
    /// <param name="Incident">The incident reference.</param>
    /// <param name="Told">Whether a notice to the participant naming the incident or record is in the history.</param>
    /// <param name="NoticeEntry">The sequence number of that notice; null when there is none.</param>
    public sealed record FaultAccessRow(long Event, DateTimeOffset At, string Participant, string Record, string Staff, string Reason, string Incident, bool Told, long? NoticeEntry)
    {
        /// <summary>Whether it happened outside service hours (R10.1), by the report's service calendar.</summary>
        public bool OutsideServiceHours { get; init; }
    }

    /// <summary>The operation history (R6.4).</summary>
    /// <param name="Verification">The store verifier's result, or the report's own chain check when the verifier did not run.</param>
    /// <param name="Intact">Whether the chain is whole from entry 1 to the last.</param>
    /// <param name="Entries">Entries in the whole history.</param>
    /// <param name="EntriesInYear">Entries written in the year.</param>
    /// <param name="First">The first entry; null for an empty history.</param>
    /// <param name="Last">The last entry; null for an empty history.</param>
    /// <param name="NothingRemoved">Whether the history starts at entry 1 and has no gap: nothing was removed, whatever its age.</param>
    /// <param name="ActionsInYear">Entries written in the year by action.</param>
    public sealed record HistorySection(string Verification, bool Intact, long Entries, long EntriesInYear, EntryRef? First, EntryRef? Last, bool NothingRemoved, IReadOnlyList<KeyCount> ActionsInYear);

    /// <summary>Monitoring coverage (R5).</summary>
    /// <param name="Exclusions">Exclusions in force during the year.</param>
    /// <param name="Participants">Per participant: exclusions touching its prefixes and their total duration in the year.</param>
    /// <param name="Weeks">Per week: detections still stored and the share of monitored time not excluded.</param>
    public sealed record MonitoringSection(IReadOnlyList<ExclusionRow> Exclusions, IReadOnlyList<ParticipantCoverage> Participants, IReadOnlyList<WeekPoint> Weeks);

    /// <summary>An exclusion (R5.2).</summary>
    /// <param name="Id">Its id.</param>
    /// <param name="Prefixes">The excluded prefixes.</param>
    /// <param name="From">Its start.</param>
    /// <param name="Until">Its end, or planned end while in force; null when open-ended.</param>
    /// <param name="Reason">Why.</param>
    /// <param name="HoursInYear">Its duration inside the year, in hours.</param>
    public sealed record ExclusionRow(string Id, IReadOnlyList<string> Prefixes, DateTimeOffset From, DateTimeOffset? Until, string Reason, double HoursInYear);

    /// <summary>One participant's coverage gaps (R5.2).</summary>
    /// <param name="Participant">The participant.</param>
    /// <param name="Exclusions">Exclusions that overlap its prefixes.</param>
    /// <param name="ExcludedHours">The time inside the year when one of them was in force, in hours (overlaps counted once).</param>
    public sealed record ParticipantCoverage(string Participant, long Exclusions, double ExcludedHours);

    /// <summary>One week of the year.</summary>
    /// <param name="Monday">The JST Monday that opens the week.</param>
    /// <param name="Detections">Detections observed in the week that are still stored.</param>
    /// <param name="Coverage">The share of participant-time in the week not under an exclusion, 0 to 1; 1 without participants.</param>
    public sealed record WeekPoint(DateOnly Monday, long Detections, double Coverage);

    /// <summary>Mail to participants (R4.5, R4.6), from the history's <c>mail.*</c> entries.</summary>
    /// <param name="Sent">Mails sent (every <c>mail.*sent</c> action).</param>
    /// <param name="Digests">Digest mails sent.</param>
    /// <param name="FollowUps">Follow-up mails sent (R4.6).</param>
    /// <param name="Failures">Failed sends.</param>
    /// <param name="Retries">Failures after which a retry was scheduled (<c>retry-at=</c> in the entry).</param>
    /// <param name="ByAction">Every <c>mail.*</c> action with its count.</param>
    public sealed record NotificationsSection(long Sent, long Digests, long FollowUps, long Failures, long Retries, IReadOnlyList<KeyCount> ByAction);

    /// <summary>Participants (R3, R11, R12).</summary>
    /// <param name="Approvals">Applications approved in the year.</param>
    /// <param name="Refusals">Applications refused in the year.</param>
    /// <param name="RefusalsByReason">Refusals by stated reason.</param>
    /// <param name="Renewals">Participants whose usage period was extended at the fiscal year start inside the year (R11.2).</param>
    /// <param name="Terminations">Terminations recorded in the year.</param>
    /// <param name="Active">Participants active at the report's instant.</param>
    public sealed record ParticipantsSection(long Approvals, long Refusals, IReadOnlyList<KeyCount> RefusalsByReason, long Renewals, IReadOnlyList<TerminationRow> Terminations, long Active);

    /// <summary>A termination (R12.1).</summary>
    /// <param name="Participant">The participant.</param>
    /// <param name="RecordedAt">When the notice was recorded.</param>
    /// <param name="EffectiveFrom">The JST date it takes effect (the day after the date on the notice).</param>
    public sealed record TerminationRow(string Participant, DateTimeOffset RecordedAt, DateOnly EffectiveFrom);
}
