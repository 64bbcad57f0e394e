namespace Nii.Socs.Core.Participants;

/// <summary>A person who operates the service portal for a participant (R3.3).</summary>
/// <param name="Name">The person's name.</param>
/// <param name="Mail">The person's mail address.</param>
/// <param name="Phone">A telephone number; null when not given.</param>
/// <param name="IssueCertificate">Whether a client certificate is to be issued to the person (R3.3).</param>
internal sealed record OperatorContact(string Name, string Mail, string? Phone, bool IssueCertificate);
