namespace Nii.Socs.Core.Keys;

/// <summary>How an epoch key is wrapped to one client certificate (R8.1): a closed family of three suites.</summary>
/// <remarks>
/// <para>R8.1: the organization encrypts each common key with the public key of each client certificate.
/// The suite follows from the certificate's key type:</para>
/// <list type="bullet">
/// <item><c>RSA-OAEP-256</c>: RSA 2048 bits or more, OAEP with SHA-256 and MGF1-SHA-256, empty label,
/// so stock OpenSSL unwraps it.</item>
/// <item><c>HPKE-P256-SHA256-AES256GCM</c>: RFC 9180 base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.</item>
/// <item><c>HPKE-X25519-SHA256-ChaCha20Poly1305</c>: RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.</item>
/// </list>
/// <para>Edge case: the names are compared exactly (ordinal, case-sensitive): <c>rsa-oaep-256</c> is not a suite.</para>
/// </remarks>
public sealed class WrapSuite
{
    private WrapSuite(string name) => Name = name;

    /// <summary>RSA-OAEP with SHA-256 and MGF1-SHA-256.</summary>
    public static WrapSuite RsaOaep256 { get; } = new("RSA-OAEP-256");

    /// <summary>HPKE base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.</summary>
    public static WrapSuite HpkeP256Sha256Aes256Gcm { get; } = new("HPKE-P256-SHA256-AES256GCM");

    /// <summary>HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.</summary>
    public static WrapSuite HpkeX25519Sha256ChaCha20Poly1305 { get; } = new("HPKE-X25519-SHA256-ChaCha20Poly1305");

    /// <summary>Every suite.</summary>
    public static IReadOnlyList<WrapSuite> All { get; } = [RsaOaep256, HpkeP256Sha256Aes256Gcm, HpkeX25519Sha256ChaCha20Poly1305];

    /// <summary>The suite's exact name, as written in the JSON form.</summary>
    public string Name { get; }

    /// <summary>Finds a suite by its exact name.</summary>
    /// <param name="name">The name, such as <c>RSA-OAEP-256</c>.</param>
    /// <param name="suite">The suite when found.</param>
    /// <returns>Whether the name is a suite.</returns>
    /// <remarks>R8.1.</remarks>
    public static bool TryParse(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WrapSuite? suite)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Name, name, StringComparison.Ordinal))
            {
                suite = candidate;
                return true;
            }
        }

        suite = null;
        return false;
    }

    /// <summary>The suite's name.</summary>
    /// <returns>For example <c>RSA-OAEP-256</c>.</returns>
    public override string ToString() => Name;
}
