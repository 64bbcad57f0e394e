using System.Text.RegularExpressions;

namespace Nii.Socs.Core.Research;

/// <summary>A recipient of research data sets, decided by the director and registered by the organization (R9).</summary>
/// <remarks>
/// Art. 9: recipients are decided by the director; every export names its recipient. The name is the
/// short handle used on the command line (<c>--recipient kyoto-lab</c>): 1 to 63 lower-case letters,
/// digits or hyphens, starting with a letter or digit.
/// </remarks>
internal sealed partial record ResearchRecipient
{
    /// <summary>Creates a recipient.</summary>
    /// <param name="name">The handle.</param>
    /// <param name="organization">The receiving organization or research group, as shown to participants.</param>
    /// <param name="contact">A contact for the recipient (mail address or person); may be empty.</param>
    /// <exception cref="ArgumentException">The handle is malformed or the organization is empty.</exception>
    public ResearchRecipient(string name, string organization, string contact)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(organization);
        ArgumentNullException.ThrowIfNull(contact);
        if (!IsValidName(name))
        {
            throw new ArgumentException($"A recipient name is 1 to 63 lower-case letters, digits or hyphens, starting with a letter or digit; got '{name}'.", nameof(name));
        }

        if (string.IsNullOrWhiteSpace(organization))
        {
            throw new ArgumentException("A recipient's organization is required.", nameof(organization));
        }

        Name = name;
        Organization = organization.Trim();
        Contact = contact.Trim();
    }

    /// <summary>The handle.</summary>
    public string Name { get; }

    /// <summary>The receiving organization or research group.</summary>
    public string Organization { get; }

    /// <summary>A contact for the recipient; empty when none was given.</summary>
    public string Contact { get; }

    /// <summary>Whether a text is a valid recipient handle.</summary>
    /// <param name="name">The text.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Organization})";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
