namespace Nii.Socs.Core.Consent;

/// <summary>The identifier of a decryption request (R8.5).</summary>
/// <param name="Value">The UUID.</param>
public readonly record struct RequestId(Guid Value)
{
    /// <summary>Parses the 32-hex-digit or hyphenated form.</summary>
    /// <param name="text">The text.</param>
    /// <param name="id">The id when valid.</param>
    /// <returns>Whether the text is an id.</returns>
    public static bool TryParse(string? text, out RequestId id)
    {
        var ok = Guid.TryParse(text, out var guid);
        id = new RequestId(guid);
        return ok;
    }

    /// <summary>The id as 32 lower-case hex digits.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => Value.ToString("N");
}

/// <summary>The identifier of a viewing grant (R8.6).</summary>
/// <param name="Value">The UUID.</param>
public readonly record struct GrantId(Guid Value)
{
    /// <summary>Parses the 32-hex-digit or hyphenated form.</summary>
    /// <param name="text">The text.</param>
    /// <param name="id">The id when valid.</param>
    /// <returns>Whether the text is an id.</returns>
    public static bool TryParse(string? text, out GrantId id)
    {
        var ok = Guid.TryParse(text, out var guid);
        id = new GrantId(guid);
        return ok;
    }

    /// <summary>The id as 32 lower-case hex digits.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => Value.ToString("N");
}
