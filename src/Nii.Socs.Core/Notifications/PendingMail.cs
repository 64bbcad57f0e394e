namespace Nii.Socs.Core.Notifications;

/// <summary>A queued mail not yet sent, with its delivery attempts.</summary>
/// <param name="Mail">The mail.</param>
/// <param name="FailedAttempts">Failures so far.</param>
/// <param name="NextAttemptAt">When it is due: its queue time, or the retry instant after a failure.</param>
/// <param name="LastError">The last failure's reason; null before any failure.</param>
internal sealed record PendingMail(OutboundMail Mail, int FailedAttempts, DateTimeOffset NextAttemptAt, string? LastError);
