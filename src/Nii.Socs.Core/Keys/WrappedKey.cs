using System.Text;
using System.Text.Json;

namespace Nii.Socs.Core.Keys;

/// <summary>An epoch key wrapped to one client certificate (R8.1).</summary>
/// <remarks>
/// <para>R8.1. The JSON form is <c>{"suite":…, "thumbprint":…, "enc":base64, "ct":base64, "info":base64, "aad":base64}</c>;
/// <c>enc</c> is empty for <c>RSA-OAEP-256</c>, whose <c>ct</c> is the bare OAEP ciphertext. HPKE's
/// <c>info</c> and <c>aad</c> are carried so a participant's tool needs no convention to open it.</para>
/// <para>Edge case: the thumbprint is the lower-case hex SHA-256 of the certificate's DER, so the
/// participant can tell which of its (past) certificates (R6.3) it needs.</para>
/// </remarks>
/// <param name="Suite">How the key was wrapped.</param>
/// <param name="Thumbprint">The SHA-256 thumbprint of the certificate, 64 lower-case hex digits.</param>
/// <param name="Enc">HPKE's encapsulated key; empty for RSA.</param>
/// <param name="Ciphertext">The wrapped key.</param>
/// <param name="Info">HPKE's info; empty for RSA.</param>
/// <param name="Aad">HPKE's associated data; empty for RSA.</param>
public sealed record WrappedKey(WrapSuite Suite, string Thumbprint, ReadOnlyMemory<byte> Enc, ReadOnlyMemory<byte> Ciphertext, ReadOnlyMemory<byte> Info, ReadOnlyMemory<byte> Aad)
{
    /// <summary>The JSON form, as printed by <c>socs keys wrap --json</c>.</summary>
    /// <returns>One line of JSON.</returns>
    /// <remarks>R8.1.</remarks>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads the JSON form.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="wrapped">The wrapped key when valid.</param>
    /// <param name="error">What is wrong when not valid.</param>
    /// <returns>Whether the text is a wrapped key.</returns>
    /// <remarks>R8.1. Edge case: an unknown suite name is an error naming the three valid ones.</remarks>
    public static bool TryParseJson(string json, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WrappedKey? wrapped, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(json);
        wrapped = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            return TryRead(document.RootElement, out wrapped, out error);
        }
        catch (JsonException ex)
        {
            error = $"not JSON: {ex.Message}";
            return false;
        }
    }

    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("suite", Suite.Name);
        writer.WriteString("thumbprint", Thumbprint);
        writer.WriteBase64String("enc", Enc.Span);
        writer.WriteBase64String("ct", Ciphertext.Span);
        writer.WriteBase64String("info", Info.Span);
        writer.WriteBase64String("aad", Aad.Span);
        writer.WriteEndObject();
    }

    internal static bool TryRead(JsonElement element, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WrappedKey? wrapped, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        wrapped = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = "a wrapped key is a JSON object";
            return false;
        }

        if (!TryString(element, "suite", out var suiteName, out error) || !TryString(element, "thumbprint", out var thumbprint, out error))
        {
            return false;
        }

        if (!WrapSuite.TryParse(suiteName, out var suite))
        {
            error = $"unknown suite '{suiteName}'; expected {string.Join(", ", WrapSuite.All)}";
            return false;
        }

        if (!TryBytes(element, "enc", out var enc, out error)
            || !TryBytes(element, "ct", out var ct, out error)
            || !TryBytes(element, "info", out var info, out error)
            || !TryBytes(element, "aad", out var aad, out error))
        {
            return false;
        }

        wrapped = new WrappedKey(suite, thumbprint, enc, ct, info, aad);
        return true;
    }

    private static bool TryString(JsonElement element, string name, out string value, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        value = string.Empty;
        if (!element.TryGetProperty(name, out var property) || property.ValueKind != JsonValueKind.String)
        {
            error = $"field \"{name}\" is missing or not a string";
            return false;
        }

        value = property.GetString()!;
        error = null;
        return true;
    }

    private static bool TryBytes(JsonElement element, string name, out byte[] value, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        value = [];
        if (!TryString(element, name, out _, out error))
        {
            return false;
        }

        if (!element.GetProperty(name).TryGetBytesFromBase64(out var bytes))
        {
            error = $"field \"{name}\" is not base64";
            return false;
        }

        value = bytes;
        return true;
    }
}
