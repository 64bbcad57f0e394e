using System.Security.Cryptography;
using System.Text;

namespace Nii.Socs.Core.Research;

/// <summary>Replaces an identifying value by a per-data-set keyed pseudonym (R9.1).</summary>
/// <remarks>
/// <para>R9.1: participant ids, names, contact data and certificate data never appear in a research data
/// set; where a value must stay linkable inside the data set (the same participant across records) it is
/// replaced by <c>prefix-</c> followed by the first 64 bits of HMAC-SHA-256(key, kind ‖ 0x00 ‖ value) in
/// hex. Different data sets use different keys, so pseudonyms do not link across data sets unless the
/// organization reuses the secret on request.</para>
/// <para>Worked example: kind <c>participant</c>, value <c>u-tokyo</c> gives something like
/// <c>p-3f9c0a1b2d4e5f60</c>; the same value always gives the same pseudonym in one data set.</para>
/// <para><b>Security:</b> pseudonyms of guessable values (a list of university ids) can be confirmed by
/// whoever holds the key; the key therefore never leaves the organization. Dispose to zero it. Not
/// thread-safe: one instance per export.</para>
/// </remarks>
internal sealed class Pseudonymizer : IDisposable
{
    private readonly byte[] _key;
    private readonly IncrementalHash _hmac;
    private bool _disposed;

    /// <summary>Creates a pseudonymiser.</summary>
    /// <param name="key">The HMAC key, at least 32 bytes; copied.</param>
    /// <exception cref="ArgumentException"><paramref name="key"/> is shorter than 32 bytes.</exception>
    public Pseudonymizer(ReadOnlySpan<byte> key)
    {
        if (key.Length < 32)
        {
            throw new ArgumentException($"A pseudonym key is at least 32 bytes; got {key.Length}.", nameof(key));
        }

        _key = key.ToArray();

        // Reused: a one-shot HMAC sets up a native context per call, which dominates short inputs.
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
    }

    /// <summary>The pseudonym of a value.</summary>
    /// <param name="kind">What the value is (<c>participant</c>, <c>record</c>, …): the same text of two kinds gets two pseudonyms.</param>
    /// <param name="prefix">The visible prefix of the pseudonym, such as <c>p</c>.</param>
    /// <param name="value">The identifying value.</param>
    /// <returns><c>prefix-</c> and 16 hex digits.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    /// <remarks>R9.1.</remarks>
    public string Pseudonym(string kind, string prefix, string value)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(value);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var input = Encoding.UTF8.GetBytes(kind + "\0" + value);
        Span<byte> mac = stackalloc byte[32];
        _hmac.AppendData(input);
        _hmac.GetHashAndReset(mac);
        return prefix + "-" + Convert.ToHexStringLower(mac[..8]);
    }

    /// <summary>Zeroes the key.</summary>
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_key);
        _hmac.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => "Pseudonymizer (HMAC-SHA-256, key not shown)";
}
