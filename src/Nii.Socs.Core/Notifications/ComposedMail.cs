namespace Nii.Socs.Core.Notifications;

/// <summary>The text of a mail: subject and plain-text body, Japanese and English together (R4.5, R4.6).</summary>
/// <param name="Subject">The subject, one line.</param>
/// <param name="Body">The body, lines ending in LF.</param>
public sealed record ComposedMail(string Subject, string Body);
