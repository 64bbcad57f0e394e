using System.Globalization;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Host.KeyService;

/// <summary>The key service's one request and its answers (docs/scale-out.md, "Epoch keys").</summary>
/// <remarks>
/// <c>GET /v1/participants/{participant}/current-key</c> over mTLS. Answers: 200 with the 32 key bytes as the body
/// (<c>application/octet-stream</c>, never text, so no string ever holds them) and <see cref="EpochHeader"/>,
/// <see cref="EndHeader"/>; 409 with the same headers and no key when the participant has no key this epoch (no active
/// certificate, R8.1); 404 for a participant that is not an active participant; 403 for a certificate that is not a
/// listed sensor's of the organization's CA; 503 when the key cannot be made or restored.
/// </remarks>
internal static class KeyServiceProtocol
{
    /// <summary>The route.</summary>
    public const string Route = "/v1/participants/{participant}/current-key";

    /// <summary>The epoch index of the key (or of the key-less epoch).</summary>
    public const string EpochHeader = "Socs-Epoch";

    /// <summary>The instant the epoch ends, ISO 8601 UTC: the sensor drops the key then (R8.4).</summary>
    public const string EndHeader = "Socs-Epoch-End";

    /// <summary>The relative path of a participant's current key.</summary>
    public static string PathOf(ParticipantId participant) => $"v1/participants/{Uri.EscapeDataString(participant.Value)}/current-key";

    /// <summary>An instant as the header carries it.</summary>
    public static string Format(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    /// <summary>Parses <see cref="EndHeader"/>.</summary>
    public static bool TryParse(string? text, out DateTimeOffset instant) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant);
}
