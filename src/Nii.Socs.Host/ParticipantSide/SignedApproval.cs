using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Host.ParticipantSide;

/// <summary>An operator's approval of a decryption request as a CMS/PKCS#7 signed statement: the request, the epochs'
/// keys and the grant's expiry, signed with the key of the operator's client certificate (R7.2, R8.6).</summary>
/// <remarks>
/// Made on the participant's side (<c>socs participant approve</c>), checked on the organization's
/// (<c>socs consent approve --approval</c>): the signature must verify and its certificate must be an active registered
/// certificate of the request's participant, so only that participant's authenticated operator can approve. The
/// content is JSON: <c>{"type":"nii-socs/approval/v1","request":…,"participant":…,"keys":{"EPOCH":"HEX",…},
/// "grant_expires":…,"signed_at":…}</c>.
/// <para><b>Security:</b> the statement carries the epoch keys in clear inside the signed data; it is written 0600 and is
/// as secret as the keys until the grant ends.</para>
/// </remarks>
internal sealed class SignedApproval
{
    /// <summary>The statement type.</summary>
    public const string Type = "nii-socs/approval/v1";

    private SignedApproval(RequestId request, ParticipantId participant, Dictionary<long, byte[]> keys, DateTimeOffset grantExpires, X509Certificate2 signer)
    {
        Request = request;
        Participant = participant;
        Keys = keys;
        GrantExpires = grantExpires;
        Signer = signer;
    }

    public RequestId Request { get; }

    public ParticipantId Participant { get; }

    /// <summary>The presented keys by epoch index.</summary>
    public Dictionary<long, byte[]> Keys { get; }

    public DateTimeOffset GrantExpires { get; }

    /// <summary>The certificate that signed.</summary>
    public X509Certificate2 Signer { get; }

    /// <summary>The signer's SHA-256 thumbprint (the registry's form).</summary>
    public string Thumbprint => KeyWrapper.Thumbprint(Signer);

    /// <summary>Signs a statement with a certificate that carries its private key; returns the DER of the SignedCms.</summary>
    public static byte[] Sign(RequestId request, ParticipantId participant, IReadOnlyDictionary<long, byte[]> keys, DateTimeOffset grantExpires, DateTimeOffset now, X509Certificate2 certificate)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", Type);
            json.WriteString("request", request.ToString());
            json.WriteString("participant", participant.Value);
            json.WriteStartObject("keys");
            foreach (var (index, key) in keys.OrderBy(k => k.Key))
            {
                json.WriteString(index.ToString(CultureInfo.InvariantCulture), Convert.ToHexStringLower(key));
            }

            json.WriteEndObject();
            json.WriteString("grant_expires", grantExpires.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("signed_at", now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }

        var content = buffer.ToArray();
        try
        {
            var cms = new SignedCms(new ContentInfo(content), detached: false);
            var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate) { IncludeOption = X509IncludeOption.EndCertOnly, DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1") };
            cms.ComputeSignature(signer, silent: true);
            return cms.Encode();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
        }
    }

    /// <summary>The organization's check of who signed: an active registered certificate of the request's participant, and a
    /// grant expiry within 90 days. Refuses with <see cref="Cli.CliUsageException"/> (one line, nothing changed).</summary>
    /// <returns>The certificate's registry entry, which names the operator.</returns>
    public Core.Participants.Registry.CertificateEntry CheckSigner(Core.Participants.Registry.RegistryState registry, DecryptionRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(request);
        var thumbprint = Thumbprint;
        if (Request != request.Id)
        {
            throw new Cli.CliUsageException($"the approval is for request {Request}, not {request.Id}.");
        }

        if (Participant != request.Participant)
        {
            throw new Cli.CliUsageException($"the approval approves for {Participant}, but request {request.Id} is of {request.Participant}.");
        }

        var owner = registry.Participants.Values.FirstOrDefault(p => p.Certificates.ContainsKey(thumbprint))
            ?? throw new Cli.CliUsageException($"the approval is signed by certificate {thumbprint}, which is not registered.");
        if (owner.Id != request.Participant)
        {
            throw new Cli.CliUsageException($"the approval is signed by a certificate of {owner.Id}, not of {request.Participant}.");
        }

        var certificate = owner.Certificates[thumbprint];
        if (certificate.Status != Core.Participants.Registry.CertificateStatus.Active)
        {
            throw new Cli.CliUsageException($"the approval is signed by certificate {thumbprint}, which is revoked.");
        }

        if (GrantExpires <= now || GrantExpires > now.AddDays(90))
        {
            throw new Cli.CliUsageException($"the approval's grant expiry {GrantExpires.UtcDateTime:O} is not within the next 90 days.");
        }

        return certificate;
    }

    /// <summary>Reads and checks the signature of a statement (not yet whose certificate it is: the caller checks that
    /// against the registry).</summary>
    /// <returns>The statement, or null with the reason.</returns>
    public static SignedApproval? TryRead(byte[] data, out string error)
    {
        var cms = new SignedCms();
        try
        {
            cms.Decode(data);
        }
        catch (CryptographicException)
        {
            error = "the approval is not a CMS signed statement (make it with 'socs participant approve')";
            return null;
        }

        if (cms.SignerInfos.Count != 1 || cms.SignerInfos[0].Certificate is not { } certificate)
        {
            error = cms.SignerInfos.Count == 0 ? "the approval is not signed" : "the approval must carry exactly one signer with its certificate";
            return null;
        }

        try
        {
            cms.CheckSignature(verifySignatureOnly: true);
        }
        catch (CryptographicException)
        {
            error = "the approval's signature does not verify: it was changed, or not signed with the certificate's key";
            return null;
        }

        var content = cms.ContentInfo.Content;
        try
        {
            using var json = JsonDocument.Parse(content);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.GetString() != Type)
            {
                error = $"the approval's content is not of type {Type}";
                return null;
            }

            if (!RequestId.TryParse(root.GetProperty("request").GetString(), out var request)
                || root.GetProperty("participant").GetString() is not { } participantText || !ParticipantId.IsValid(participantText)
                || !DateTimeOffset.TryParse(root.GetProperty("grant_expires").GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires))
            {
                error = "the approval's request, participant or grant_expires is malformed";
                return null;
            }

            var keys = new Dictionary<long, byte[]>();
            foreach (var property in root.GetProperty("keys").EnumerateObject())
            {
                if (!long.TryParse(property.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || property.Value.GetString() is not { Length: EpochKey.Size * 2 } hex || !hex.All(Uri.IsHexDigit))
                {
                    error = $"the approval's key for epoch '{property.Name}' is not {EpochKey.Size * 2} hex digits";
                    return null;
                }

                keys[index] = Convert.FromHexString(hex);
            }

            error = string.Empty;
            return new SignedApproval(request, new ParticipantId(participantText), keys, expires, certificate);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            error = "the approval's content is not the expected JSON statement";
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
        }
    }
}
