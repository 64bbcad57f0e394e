using Nii.Socs.Host.ParticipantSide;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests;

/// <summary>Test fixtures' operator certificates: the operator's key made by <see cref="OperatorKeys"/> outside the data
/// directory (in <c>&lt;data&gt;.secrets/operators/</c>), its CSR signed by the CA — the same parts as
/// <c>socs participant keygen</c> and <c>socs certificates enrol</c>, without the registry checks.</summary>
internal static class TestOperatorKeys
{
    public static IssuedCertificate IssueClient(this DevelopmentCa ca, string name, ClientKeyType type)
    {
        var directory = Path.Combine(Path.GetDirectoryName(ca.SecretDirectory)!, "operators");
        var (_, csrPath) = OperatorKeys.Generate(directory, name, type);
        var request = System.Security.Cryptography.X509Certificates.CertificateRequest.LoadSigningRequestPem(
            File.ReadAllText(csrPath), System.Security.Cryptography.HashAlgorithmName.SHA256);
        var subject = new System.Security.Cryptography.X509Certificates.X500DistinguishedName($"CN={name}, O=Nii.Socs operator");
        using var certificate = ca.SignClient(request.PublicKey, subject);
        return OperatorKeys.Bundle(directory, name, certificate);
    }

    /// <summary>Deletes what a test's data directory left beside it: its secrets directory and the demo's people directories.</summary>
    public static void DeleteSecrets(string dataDirectory)
    {
        foreach (var directory in new[] { dataDirectory + ".secrets", dataDirectory + "-people", dataDirectory + ".witness" })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        File.Delete(dataDirectory + ".kek");
    }
}
