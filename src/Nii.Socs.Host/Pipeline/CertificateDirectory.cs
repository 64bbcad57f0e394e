using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Host.Pipeline;

/// <summary>The operators' client certificates (public parts) under <c>&lt;data&gt;/pki/certs/&lt;sha256&gt;.pem</c>,
/// and which of them are active according to the registry (R8.1, R6.2, R6.3).</summary>
/// <remarks>The registry records each certificate's SHA-256 thumbprint and status; the certificate itself is
/// kept here so that every new epoch key can be wrapped to it. Past certificates stay (R6.3).</remarks>
internal sealed class CertificateDirectory(string dataDirectory, IRegistryStore registry) : IActiveCertificates
{
    public string Root { get; } = Path.Combine(Path.GetFullPath(dataDirectory), "pki", "certs");

    public static string ThumbprintOf(X509Certificate2 certificate) =>
        Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    /// <summary>Stores a certificate's public part; returns its SHA-256 thumbprint.</summary>
    public string Add(X509Certificate2 certificate)
    {
        PrivateFiles.CreateDirectory(Root);
        var thumbprint = ThumbprintOf(certificate);
        PrivateFiles.WriteAllText(Path.Combine(Root, thumbprint + ".pem"), certificate.ExportCertificatePem());
        return thumbprint;
    }

    public X509Certificate2? Find(string thumbprint)
    {
        var path = Path.Combine(Root, thumbprint.ToLowerInvariant() + ".pem");
        return File.Exists(path) ? X509Certificate2.CreateFromPem(File.ReadAllText(path)) : null;
    }

    public IReadOnlyList<X509Certificate2> ActiveFor(ParticipantId participant)
    {
        if (!registry.State.Participants.TryGetValue(participant, out var entry))
        {
            return [];
        }

        var result = new List<X509Certificate2>();
        foreach (var certificate in entry.Certificates.Values.Where(c => c.Status == CertificateStatus.Active).OrderBy(c => c.Thumbprint, StringComparer.Ordinal))
        {
            result.Add(Find(certificate.Thumbprint) ?? throw new InvalidOperationException(
                $"The registry lists certificate {certificate.Thumbprint} of {participant} as active, but {Root} does not hold it."));
        }

        return result;
    }
}
