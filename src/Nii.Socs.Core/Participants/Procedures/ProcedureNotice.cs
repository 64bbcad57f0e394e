namespace Nii.Socs.Core.Participants.Procedures;

/// <summary>The text of the mail that tells a participant's contacts about a procedure (R3.2), in Japanese and English.</summary>
/// <param name="Title">The subject's title, both languages, such as <c>承認 / Approved</c>.</param>
/// <param name="Japanese">The Japanese body paragraph.</param>
/// <param name="English">The English body paragraph.</param>
/// <remarks>It names the procedure, the participant, the dates that follow from it and the receipt and processing instants; it never carries detection data.</remarks>
internal sealed record ProcedureNotice(string Title, string Japanese, string English);
