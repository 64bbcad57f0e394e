namespace Nii.Socs.Core.Participants;

/// <summary>An application to use the service, as the participant filed it (R3.1–R3.3): not yet validated.</summary>
/// <remarks>Validate with <see cref="ApplicationValidator.Validate"/>, which reports every error with its field.</remarks>
internal sealed record Application
{
    /// <summary>The participant id asked for, such as <c>u-tokyo</c>; required when the application is filed (<c>socs participants apply</c>), optional for a plain validation.</summary>
    public string? Participant { get; init; }

    /// <summary>The applying institution's name.</summary>
    public string InstitutionName { get; init; } = string.Empty;

    /// <summary>The monitored network addresses as written, IPv4 or IPv6 CIDR (R3.1).</summary>
    public IReadOnlyList<string> Prefixes { get; init; } = [];

    /// <summary>The contact mail addresses that receive notifications (R3.2).</summary>
    public IReadOnlyList<string> ContactMails { get; init; } = [];

    /// <summary>The portal operators and whether each gets a client certificate (R3.3).</summary>
    public IReadOnlyList<OperatorContact> Operators { get; init; } = [];
}
