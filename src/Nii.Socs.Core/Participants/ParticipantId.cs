using System.Text.RegularExpressions;

namespace Nii.Socs.Core.Participants;

/// <summary>The identifier of a participant (参加機関), such as <c>u-tokyo</c>.</summary>
/// <remarks>
/// Lower-case ASCII letters, digits and hyphens, 1 to 63 characters, starting with a letter or
/// digit: safe as a directory name for the participant's storage partitions (DESIGN §5).
/// </remarks>
public readonly partial record struct ParticipantId
{
    private readonly string? _value;

    /// <summary>Creates an identifier.</summary>
    /// <param name="value">The identifier text.</param>
    /// <exception cref="ArgumentException">The text is not a valid identifier.</exception>
    public ParticipantId(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!IsValid(value))
        {
            throw new ArgumentException(
                $"A participant id is 1 to 63 lower-case letters, digits or hyphens, starting with a letter or digit; got '{value}'.",
                nameof(value));
        }

        _value = value;
    }

    /// <summary>The identifier text.</summary>
    public string Value => _value ?? throw new InvalidOperationException("The participant id is uninitialised.");

    /// <summary>Whether a text is a valid participant identifier.</summary>
    /// <param name="value">The text.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    /// <inheritdoc />
    public override string ToString() => _value ?? string.Empty;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
