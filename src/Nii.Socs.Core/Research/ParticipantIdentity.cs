using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Research;

/// <summary>Everything that identifies one participant and must never appear in a research data set (R9.1).</summary>
/// <remarks>
/// R9.1 with R3.2/R3.3: the participant id, its name, the contact mail addresses, the portal operators'
/// names and mail addresses, and the data of their client certificates (subjects, serial numbers,
/// thumbprints). The exporter replaces the id by a pseudonym and scrubs every one of these strings
/// (case-insensitive, at least <see cref="ResearchAnonymizer.MinimumScrubLength"/> characters) from free
/// text such as rule messages.
/// </remarks>
/// <param name="Id">The participant.</param>
/// <param name="Name">The institution's name, e.g. "The University of Tokyo".</param>
/// <param name="Contacts">Contact mail addresses, operator names and other contact data (R3.2, R3.3).</param>
/// <param name="CertificateData">Client certificate subjects, serial numbers and thumbprints (R3.3, R6.3).</param>
internal sealed record ParticipantIdentity(ParticipantId Id, string Name, IReadOnlyList<string> Contacts, IReadOnlyList<string> CertificateData)
{
    /// <summary>Every identifying string of this participant, the id first.</summary>
    /// <returns>The non-empty strings.</returns>
    public IEnumerable<string> Terms()
    {
        yield return Id.Value;
        if (!string.IsNullOrWhiteSpace(Name))
        {
            yield return Name;
        }

        foreach (var text in Contacts.Concat(CertificateData))
        {
            if (!string.IsNullOrWhiteSpace(text))
            {
                yield return text;
            }
        }
    }
}
