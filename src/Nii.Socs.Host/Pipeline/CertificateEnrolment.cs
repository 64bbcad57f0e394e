using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Pipeline;

/// <summary>The organization's side of an operator certificate's life: enrol (sign a CSR), renew, revoke — each leaving
/// the registry, the certificate directory and the key ring consistent (R3.3, R6.2, R6.3, R8.1).</summary>
/// <remarks>
/// The organization never sees an operator's private key: it signs the public key of a certificate request whose
/// signature it has checked (proof of possession), for an operator registered with the participant whose application
/// asked for a certificate (R3.3). Each step writes the certificate where rotation looks for it (<see cref="CertificateDirectory"/>)
/// before the registry lists it, and re-wraps the current epoch's key to exactly the active certificates at once
/// (<see cref="KeyRing.WrapCurrent"/>), so a certificate enrolled mid-epoch can open the records of this epoch.
/// Refusals are <see cref="CliUsageException"/>s thrown before anything is written.
/// </remarks>
internal static class CertificateEnrolment
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>Signs a CSR for a registered operator and enrols the certificate.</summary>
    /// <param name="data">The stores.</param>
    /// <param name="ca">The CA that signs.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="operatorText">The operator: its registered mail address or name.</param>
    /// <param name="csr">The certificate request, PEM or DER.</param>
    /// <param name="actor">Who enrols, for the history.</param>
    /// <param name="replacing">The thumbprint of the certificate this one renews (revoked once the new one is in), or null.</param>
    /// <param name="cancellationToken">Cancels waiting for commits.</param>
    /// <returns>The certificate (public part), its thumbprint, the operator's mail and what the key ring did.</returns>
    public static async Task<Enrolled> EnrolAsync(SocsData data, DevelopmentCa ca, ParticipantId participant, string operatorText, byte[] csr, string actor, string? replacing = null, CancellationToken cancellationToken = default)
    {
        var entry = ActiveParticipant(data, participant);
        var op = entry.Operators.FirstOrDefault(o => string.Equals(o.Mail, operatorText.Trim(), StringComparison.OrdinalIgnoreCase) || string.Equals(o.Name, operatorText.Trim(), StringComparison.Ordinal))
            ?? throw new CliUsageException($"--operator {operatorText} is not a registered operator of {participant} (R3.3).");
        if (!op.IssueCertificate)
        {
            throw new CliUsageException($"operator {op.Mail} of {participant} did not ask for a client certificate in the application (R3.3).");
        }

        var request = ParseRequest(csr);
        CheckKey(request.PublicKey);
        var publicKey = request.PublicKey.EncodedKeyValue.RawData;
        foreach (var other in data.Registry.State.Participants.Values.SelectMany(p => p.Certificates.Values))
        {
            using var existing = data.Certificates.Find(other.Thumbprint);
            if (existing is not null && existing.PublicKey.EncodedKeyValue.RawData.AsSpan().SequenceEqual(publicKey))
            {
                throw new CliUsageException($"the key of this request is already enrolled (certificate {other.Thumbprint}); a new certificate needs a new key pair (socs participant keygen).");
            }
        }

        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(op.Mail);
        subject.AddOrganizationalUnitName(participant.Value);
        subject.AddOrganizationName("Nii.Socs operator");
        var certificate = ca.SignClient(request.PublicKey, subject.Build());
        KeyWrapper.SuiteFor(certificate);
        var thumbprint = data.Certificates.Add(certificate);
        var now = data.Time.GetUtcNow();
        await data.Registry.AppendAsync([new CertificateIssued(now, participant, thumbprint, op.Mail)], cancellationToken).ConfigureAwait(false);
        await data.History.AppendAsync(actor, "registry.certificate.enrolled", $"certificates/{participant}/{thumbprint}", $"operator={op.Mail} key={KeyWrapper.SuiteFor(certificate)} from a CSR; the organization holds no private key{(replacing is null ? string.Empty : $" renews={replacing}")}", cancellationToken).ConfigureAwait(false);
        if (replacing is not null)
        {
            await RevokeCoreAsync(data, participant, replacing, $"renewed by {thumbprint}", actor, cancellationToken).ConfigureAwait(false);
        }

        var rotation = await KeyEpochs.WrapCurrentAsync(data, participant, cancellationToken).ConfigureAwait(false);
        return new Enrolled(certificate, thumbprint, op.Mail, rotation);
    }

    /// <summary>Signs a staff member's CSR for the portal's staff pages (the configuration lists its thumbprint).</summary>
    public static X509Certificate2 SignStaff(DevelopmentCa ca, string name, byte[] csr)
    {
        var request = ParseRequest(csr);
        CheckKey(request.PublicKey);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        subject.AddOrganizationName("Nii.Socs staff");
        return ca.SignClient(request.PublicKey, subject.Build());
    }

    /// <summary>Signs a sensor's CSR for the key service's mTLS (the configuration lists its thumbprint, Socs:KeyService:Sensors).</summary>
    public static X509Certificate2 SignSensor(DevelopmentCa ca, string name, byte[] csr)
    {
        var request = ParseRequest(csr);
        CheckKey(request.PublicKey);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        subject.AddOrganizationName("Nii.Socs sensor");
        return ca.SignClient(request.PublicKey, subject.Build());
    }

    /// <summary>Renews: enrols the new CSR for the operator of the old certificate, then revokes the old one.</summary>
    public static Task<Enrolled> RenewAsync(SocsData data, DevelopmentCa ca, ParticipantId participant, string oldThumbprint, byte[] csr, string actor, CancellationToken cancellationToken = default)
    {
        var old = ActiveCertificate(data, participant, oldThumbprint);
        return EnrolAsync(data, ca, participant, old.OperatorEmail, csr, actor, old.Thumbprint, cancellationToken);
    }

    /// <summary>Revokes an active certificate (R6.2) and re-wraps the current key to the certificates still active.</summary>
    /// <returns>What the key ring did; <see cref="KeyRotation.NoCertificate"/> when none is left.</returns>
    public static async Task<KeyRotation> RevokeAsync(SocsData data, ParticipantId participant, string thumbprint, string reason, string actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new CliUsageException("--reason must say why the certificate is revoked.");
        }

        var old = ActiveCertificate(data, participant, thumbprint);
        await RevokeCoreAsync(data, participant, old.Thumbprint, reason.Trim(), actor, cancellationToken).ConfigureAwait(false);
        return await KeyEpochs.WrapCurrentAsync(data, participant, cancellationToken).ConfigureAwait(false);
    }

    private static async Task RevokeCoreAsync(SocsData data, ParticipantId participant, string thumbprint, string reason, string actor, CancellationToken cancellationToken)
    {
        await data.Registry.AppendAsync([new CertificateRevoked(data.Time.GetUtcNow(), participant, thumbprint, reason)], cancellationToken).ConfigureAwait(false);
        await data.History.AppendAsync(actor, "registry.certificate.revoked", $"certificates/{participant}/{thumbprint}", $"reason={reason}", cancellationToken).ConfigureAwait(false);
        if (data.Registry.State.Participants[participant].Certificates.Values.All(c => c.Status != CertificateStatus.Active))
        {
            await data.History.AppendAsync(actor, "registry.certificate.none-active", $"participant/{participant}", "no active certificate left: from the next epoch no key is made and content is not stored (headers only) until one is enrolled (R8.1, R8.4)", cancellationToken).ConfigureAwait(false);
        }
    }

    private static ParticipantEntry ActiveParticipant(SocsData data, ParticipantId participant)
    {
        if (!data.Registry.State.Participants.TryGetValue(participant, out var entry))
        {
            throw new CliUsageException($"--participant {participant} is not a registered participant.");
        }

        if (entry.StatusOn(Core.Time.Jst.DateOf(data.Time.GetUtcNow())) != ParticipantStatus.Active)
        {
            throw new CliUsageException($"--participant {participant} is not an active participant.");
        }

        return entry;
    }

    private static CertificateEntry ActiveCertificate(SocsData data, ParticipantId participant, string thumbprint)
    {
        var entry = ActiveParticipant(data, participant);
        var key = thumbprint.Trim().ToLowerInvariant();
        if (!entry.Certificates.TryGetValue(key, out var certificate))
        {
            throw new CliUsageException($"--thumbprint {thumbprint} is not a certificate of {participant}.");
        }

        if (certificate.Status != CertificateStatus.Active)
        {
            throw new CliUsageException($"certificate {key} of {participant} is already revoked.");
        }

        return certificate;
    }

    /// <summary>Refuses (<see cref="CliUsageException"/>) a request that is not a validly signed CSR or holds a key
    /// other than P-256 or RSA 3072/4096. The verbs call it before they open the data directory, so such a refusal
    /// changes nothing.</summary>
    public static void CheckRequest(byte[] csr) => CheckKey(ParseRequest(csr).PublicKey);

    private static CertificateRequest ParseRequest(byte[] csr)
    {
        try
        {
            var pem = csr.AsSpan().IndexOf("-----BEGIN CERTIFICATE REQUEST-----"u8) >= 0;
            return pem
                ? CertificateRequest.LoadSigningRequestPem(Encoding.ASCII.GetString(csr), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default, RSASignaturePadding.Pkcs1)
                : CertificateRequest.LoadSigningRequest(csr, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException ex)
        {
            throw new CliUsageException($"--csr is not a certificate request with a valid signature: {ex.Message}");
        }
    }

    private static void CheckKey(PublicKey key)
    {
        switch (key.Oid.Value)
        {
            case RsaOid:
                using (var rsa = key.GetRSAPublicKey())
                {
                    if (rsa is null || rsa.KeySize < 3072)
                    {
                        throw new CliUsageException($"--csr holds an RSA key of {rsa?.KeySize} bits; 3072 or 4096 are accepted.");
                    }
                }

                break;
            case EcOid:
                using (var ec = key.GetECDsaPublicKey())
                {
                    if (ec is null || ec.ExportParameters(false).Curve.Oid.Value != P256Oid)
                    {
                        throw new CliUsageException("--csr holds an EC key on a curve other than P-256; P-256 is accepted (HPKE, DESIGN §4).");
                    }
                }

                break;
            default:
                throw new CliUsageException($"--csr holds a {key.Oid.FriendlyName ?? key.Oid.Value} key; P-256 or RSA 3072/4096 are accepted.");
        }
    }
}

/// <summary>An enrolled certificate.</summary>
internal sealed record Enrolled(X509Certificate2 Certificate, string Thumbprint, string OperatorMail, KeyRotation? Rotation);
