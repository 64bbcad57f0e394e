namespace Nii.Socs.Core.Notifications;

/// <summary>What staff write for a follow-up mail (R4.6).</summary>
/// <param name="Knowledge">What the organization knows about the attack.</param>
/// <param name="Countermeasures">General countermeasures.</param>
/// <param name="Staff">The staff member who wrote it, recorded in the operation history as <c>org:&lt;staff&gt;</c>.</param>
/// <remarks>R4.6. Staff may write either language or both; the mail's frame is bilingual.</remarks>
internal sealed record FollowUpText(string Knowledge, string Countermeasures, string Staff);
