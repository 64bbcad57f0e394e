namespace Nii.Socs.Core.Audit;

/// <summary>Where every operation is recorded (R6.4): portal, consent, keys, mail and retention append here.</summary>
/// <remarks>
/// R6.4: the interface is append-only on purpose. There is no member that deletes, truncates or rewrites entries,
/// so "never deleted on a schedule" holds by construction.
/// <para>Edge case: an append returns only after the entry is durable (committed); a crash before that loses
/// only entries whose append had not returned.</para>
/// </remarks>
internal interface IOperationHistory
{
    /// <summary>Appends one operation and returns the stored entry once it is durable.</summary>
    /// <param name="actor">Who acted, such as <c>org:yamada</c> or <c>participant:u-tokyo:sato</c>.</param>
    /// <param name="action">The operation, such as <c>consent.request.filed</c>.</param>
    /// <param name="subject">What it concerned.</param>
    /// <param name="details">Details; never key bytes or plaintext content.</param>
    /// <param name="cancellationToken">Cancels waiting for the commit (the entry may still become durable).</param>
    /// <returns>The entry with its sequence number and hash.</returns>
    /// <exception cref="ArgumentException">A text is null or empty (details may be empty).</exception>
    Task<OperationEntry> AppendAsync(string actor, string action, string subject, string details, CancellationToken cancellationToken = default);
}
