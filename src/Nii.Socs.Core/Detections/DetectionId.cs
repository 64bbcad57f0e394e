namespace Nii.Socs.Core.Detections;

/// <summary>The identifier of one stored detection: a version-7 UUID, so ids sort by acquisition time.</summary>
/// <param name="Value">The UUID.</param>
public readonly record struct DetectionId(Guid Value)
{
    /// <summary>Creates a fresh id ordered by <paramref name="observedAt"/>.</summary>
    /// <param name="observedAt">When the traffic was observed.</param>
    /// <returns>A new id.</returns>
    public static DetectionId New(DateTimeOffset observedAt) => new(Guid.CreateVersion7(observedAt));

    /// <summary>Parses the 32-hex-digit or hyphenated form.</summary>
    /// <param name="text">The text.</param>
    /// <param name="id">The id when valid.</param>
    /// <returns>Whether the text is an id.</returns>
    public static bool TryParse(string? text, out DetectionId id)
    {
        var ok = Guid.TryParse(text, out var guid);
        id = new DetectionId(guid);
        return ok;
    }

    /// <summary>The id as 32 lower-case hex digits.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => Value.ToString("N");
}
