namespace Nii.Socs.Core.Notifications;

/// <summary>The text of a mail: subject, plain-text body and HTML body, Japanese and English together (R4.5, R4.6).</summary>
/// <param name="Subject">The subject, one line.</param>
/// <param name="Body">The plain-text body, lines ending in LF, columns aligned for a fixed-width font.</param>
internal sealed record ComposedMail(string Subject, string Body)
{
    /// <summary>The same content as HTML, every text encoded, each detection linked to its portal page; empty when not composed.</summary>
    public string Html { get; init; } = string.Empty;
}
