using System.Globalization;
using System.Text;
using System.Text.Json;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Keys;

/// <summary>One epoch's key wrapped to every active certificate of its participant, with the key commitment (R8.1).</summary>
/// <remarks>
/// <para>R8.1, R8.4: after rotation this is all that remains of an epoch key. The JSON form is
/// <c>{"participant":…, "epoch":n, "commitment":base64, "wrapped":[WrappedKey…]}</c>.</para>
/// <para>Edge case: a participant with several portal operators has one entry per certificate;
/// any one of their private keys recovers the key.</para>
/// </remarks>
public sealed class WrappedKeySet
{
    /// <summary>Creates a set.</summary>
    /// <param name="commitment">The commitment to the key; its epoch is the set's epoch.</param>
    /// <param name="wrapped">At least one wrapped form.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="wrapped"/> is empty.</exception>
    /// <remarks>R8.1.</remarks>
    public WrappedKeySet(KeyCommitment commitment, IReadOnlyList<WrappedKey> wrapped)
    {
        ArgumentNullException.ThrowIfNull(commitment);
        ArgumentNullException.ThrowIfNull(wrapped);
        if (wrapped.Count == 0)
        {
            throw new ArgumentException("A wrapped set needs at least one wrapped form: a key no certificate can open is lost.", nameof(wrapped));
        }

        Commitment = commitment;
        Wrapped = [.. wrapped];
    }

    /// <summary>The epoch.</summary>
    public EpochId Epoch => Commitment.Epoch;

    /// <summary>The commitment to the key.</summary>
    public KeyCommitment Commitment { get; }

    /// <summary>The wrapped forms, one per certificate.</summary>
    public IReadOnlyList<WrappedKey> Wrapped { get; }

    /// <summary>The JSON form.</summary>
    /// <returns>One line of JSON.</returns>
    /// <remarks>R8.1.</remarks>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("participant", Epoch.Participant.Value);
            writer.WriteNumber("epoch", Epoch.Index);
            writer.WriteBase64String("commitment", Commitment.Value);
            writer.WriteStartArray("wrapped");
            foreach (var wrapped in Wrapped)
            {
                wrapped.WriteTo(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads the JSON form.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="set">The set when valid.</param>
    /// <param name="error">What is wrong when not valid.</param>
    /// <returns>Whether the text is a wrapped set.</returns>
    /// <remarks>R8.1.</remarks>
    public static bool TryParseJson(string json, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WrappedKeySet? set, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(json);
        set = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("participant", out var participant) || participant.ValueKind != JsonValueKind.String
                || !ParticipantId.IsValid(participant.GetString())
                || !root.TryGetProperty("epoch", out var epoch) || !epoch.TryGetInt64(out var index)
                || !root.TryGetProperty("commitment", out var commitment) || commitment.ValueKind != JsonValueKind.String
                || !commitment.TryGetBytesFromBase64(out var commitmentBytes) || commitmentBytes.Length != KeyCommitment.Size
                || !root.TryGetProperty("wrapped", out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
            {
                error = "a wrapped set has \"participant\", \"epoch\", a 32-byte base64 \"commitment\" and a non-empty \"wrapped\" array";
                return false;
            }

            var list = new List<WrappedKey>();
            foreach (var item in array.EnumerateArray())
            {
                if (!WrappedKey.TryRead(item, out var wrapped, out error))
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"wrapped[{list.Count}]: {error}");
                    return false;
                }

                list.Add(wrapped);
            }

            var id = new EpochId(new ParticipantId(participant.GetString()!), index);
            set = new WrappedKeySet(KeyCommitment.FromBytes(id, commitmentBytes), list);
            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            error = $"not JSON: {ex.Message}";
            return false;
        }
    }
}
