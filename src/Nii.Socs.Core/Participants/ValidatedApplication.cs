using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Participants;

/// <summary>An application that passed validation: prefixes normalised to their network address.</summary>
/// <param name="InstitutionName">The institution's name, trimmed.</param>
/// <param name="Prefixes">The monitored prefixes, normalised, in the order filed (R3.1).</param>
/// <param name="ContactMails">The contact mail addresses, trimmed (R3.2).</param>
/// <param name="Operators">The portal operators (R3.3).</param>
internal sealed record ValidatedApplication(
    string InstitutionName,
    IReadOnlyList<IPPrefix> Prefixes,
    IReadOnlyList<string> ContactMails,
    IReadOnlyList<OperatorContact> Operators);
