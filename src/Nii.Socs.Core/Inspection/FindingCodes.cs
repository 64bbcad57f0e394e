namespace Nii.Socs.Core.Inspection;

/// <summary>The codes of <see cref="Finding"/>s (R13.1).</summary>
/// <remarks>R13.1. The codes are part of the report's schema: they never change meaning.
/// Edge case: one removed entry gives <see cref="HistoryEntriesRemoved"/> and, when the store's verifier also ran,
/// <see cref="HistoryChainBroken"/>.</remarks>
internal static class FindingCodes
{
    /// <summary>A detection partition is still stored after its expiry (R7.3).</summary>
    public const string PartitionPastExpiry = "retention.partition-past-expiry";

    /// <summary>A partition was deleted later than the deletion grace after its expiry (R7.3).</summary>
    public const string DeletionLate = "retention.deletion-late";

    /// <summary>An epoch key was destroyed later than the destruction grace after its epoch ended (R8.4).</summary>
    public const string DestructionLate = "keys.destruction-late";

    /// <summary>An epoch ended, the grace passed, and no destruction of its key is recorded (R8.4).</summary>
    public const string DestructionMissing = "keys.destruction-missing";

    /// <summary>A participant had no active certificate in an epoch: no key was made and content was not stored (R8.1).</summary>
    public const string NoCertificate = "keys.no-certificate";

    /// <summary>Content was viewed without a live grant that covers it (R7.2, R8.6).</summary>
    public const string ViewWithoutGrant = "consent.view-without-grant";

    /// <summary>A fault access without a recorded notice to the participant (R7.2).</summary>
    public const string FaultAccessNotTold = "consent.fault-access-not-told";

    /// <summary>Operation-history entries are missing: a gap in the sequence or a missing start (R6.4).</summary>
    public const string HistoryEntriesRemoved = "history.entries-removed";

    /// <summary>A consent event without its operation-history entry, or a consent history entry without its consent event (R6.4, R8.5).</summary>
    public const string ConsentHistoryUnpaired = "history.consent-unpaired";

    /// <summary>The store's verifier reports a broken chain or checkpoint (R6.4).</summary>
    public const string HistoryChainBroken = "history.chain-broken";
}
