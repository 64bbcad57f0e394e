using System.Security.Cryptography;
using Nii.Socs.Core.Keys;

namespace Nii.Socs.Core.Hosting;

/// <summary>Loads a participant's private key from a file (R8.1): the file read lives here, outside the pure
/// <see cref="ParticipantPrivateKey"/>, which takes bytes, PEM text, a PKCS#12 or a certificate.</summary>
public static class ParticipantKeyFile
{
    /// <summary>Loads a private key from a file: PEM, DER PKCS#8 or PKCS#12 (<c>.p12</c>/<c>.pfx</c>), detected from its content.</summary>
    /// <param name="path">The file.</param>
    /// <param name="password">The password of an encrypted PKCS#8 or of a PKCS#12; null when none.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The file holds no supported private key, or the password is missing or wrong.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <remarks>R8.1. <para><b>Security:</b> the file's bytes are zeroed once the key is read.</para></remarks>
    public static ParticipantPrivateKey Load(string path, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var data = File.ReadAllBytes(path);
        try
        {
            return ParticipantPrivateKey.Load(data, password);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }
}
