namespace Nii.Socs.Core.Participants.Procedures;

/// <summary>Who filed a procedure on the organization's side, and when it was received (R10.2).</summary>
/// <param name="Staff">The staff member, recorded in the operation history as <c>org:&lt;staff&gt;</c>.</param>
/// <param name="ReceivedAt">The receipt instant (UTC); outside service hours the procedure is still accepted.</param>
internal sealed record ProcedureReceipt(string Staff, DateTimeOffset ReceivedAt);
