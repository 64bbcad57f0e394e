using System.Security.Cryptography;
using System.Text;

namespace Nii.Socs.Core.Research;

/// <summary>The per-data-set secret: 32 random bytes from which the address key, the time shift and the
/// pseudonym key of one research data set are derived (R9.1).</summary>
/// <remarks>
/// <para>R9.1: the method is disclosed and reproducible with the secret, never with the secret
/// published. The organization keeps this secret outside the data set, so a later export for the same
/// recipient can be made consistent on request by reusing it.</para>
/// <para>Derivation: HKDF-SHA-256 (RFC 5869) with the secret as input keying material, no salt, and the
/// info strings <c>nii-socs/research/v1/crypto-pan</c> (32 bytes: the Crypto-PAn key),
/// <c>nii-socs/research/v1/time-shift</c> (8 bytes) and <c>nii-socs/research/v1/pseudonym</c> (32 bytes: the
/// HMAC key). A commitment, HMAC-SHA-256 of <c>nii-socs/research/v1/commitment</c> under the secret, may
/// be published: it identifies the secret without revealing it.</para>
/// <para><b>Security:</b> dispose to zero the bytes; <see cref="ToString"/> never prints them.</para>
/// </remarks>
internal sealed class ResearchSecret : IDisposable
{
    /// <summary>The secret's length in bytes.</summary>
    public const int Length = 32;

    private readonly byte[] _bytes;
    private bool _disposed;

    private ResearchSecret(byte[] bytes) => _bytes = bytes;

    /// <summary>Draws a fresh secret from the operating system's CSPRNG.</summary>
    /// <returns>A new secret; the caller disposes it.</returns>
    /// <remarks>R9.1: one secret per export. This is key material, so it comes from
    /// <see cref="RandomNumberGenerator"/> and nothing else.</remarks>
    public static ResearchSecret Generate() => new(RandomNumberGenerator.GetBytes(Length));

    /// <summary>Wraps existing secret bytes (read back from the organization's secrets file).</summary>
    /// <param name="bytes">Exactly 32 bytes; copied.</param>
    /// <returns>The secret.</returns>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes long.</exception>
    /// <remarks>R9.1: reusing a secret reproduces the same addresses, shift and pseudonyms.</remarks>
    public static ResearchSecret FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"A research data-set secret is {Length} bytes; got {bytes.Length}.", nameof(bytes));
        }

        return new ResearchSecret(bytes.ToArray());
    }

    /// <summary>Copies the secret bytes out, for the organization's secrets file only.</summary>
    /// <param name="destination">At least 32 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    /// <exception cref="ObjectDisposedException">The secret was disposed.</exception>
    /// <remarks>R9.1. <b>Security:</b> never write these bytes into a data set or its manifest.</remarks>
    public void CopyTo(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination must hold {Length} bytes.", nameof(destination));
        }

        _bytes.CopyTo(destination);
    }

    /// <summary>Creates the Crypto-PAn anonymiser of this data set.</summary>
    /// <returns>A new anonymiser; the caller disposes it.</returns>
    /// <exception cref="ObjectDisposedException">The secret was disposed.</exception>
    /// <remarks>R9.1.</remarks>
    public CryptoPan CreateAddressAnonymizer()
    {
        Span<byte> key = stackalloc byte[CryptoPan.KeyLength];
        try
        {
            Derive("crypto-pan", key);
            return new CryptoPan(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Creates the pseudonymiser of this data set.</summary>
    /// <returns>A new pseudonymiser; the caller disposes it.</returns>
    /// <exception cref="ObjectDisposedException">The secret was disposed.</exception>
    /// <remarks>R9.1.</remarks>
    public Pseudonymizer CreatePseudonymizer()
    {
        Span<byte> key = stackalloc byte[32];
        try
        {
            Derive("pseudonym", key);
            return new Pseudonymizer(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Draws this data set's time shift within the bounds of <paramref name="settings"/>.</summary>
    /// <param name="settings">The time randomisation settings.</param>
    /// <returns>The shift, a multiple of <see cref="TimeRandomization.ShiftUnit"/> within ±<see cref="TimeRandomization.MaxShift"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="settings"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The secret was disposed.</exception>
    /// <remarks>R9.1. The shift is uniform over the 2n+1 multiples of the unit in range, up to the bias
    /// of reducing a 64-bit value modulo 2n+1, which is below (2n+1)/2^64: about 2^-39 for the default
    /// (±180 days in seconds).</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The settings are invalid (see <see cref="TimeRandomization.Validate"/>).</exception>
    public TimeSpan DeriveTimeShift(TimeRandomization settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Span<byte> raw = stackalloc byte[8];
        Derive("time-shift", raw);
        var value = BitConverter.ToUInt64(raw);
        var n = (ulong)(settings.MaxShift.Ticks / settings.ShiftUnit.Ticks);
        var choice = (long)(value % ((2 * n) + 1)) - (long)n;
        return TimeSpan.FromTicks(choice * settings.ShiftUnit.Ticks);
    }

    /// <summary>A public commitment to the secret: HMAC-SHA-256 of a fixed label, hex.</summary>
    /// <returns>64 lower-case hex digits.</returns>
    /// <exception cref="ObjectDisposedException">The secret was disposed.</exception>
    /// <remarks>R9.1: lets the manifest name the secret that was used without disclosing it.</remarks>
    public string Commitment()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Convert.ToHexStringLower(HMACSHA256.HashData(_bytes, "nii-socs/research/v1/commitment"u8));
    }

    /// <summary>Zeroes the secret.</summary>
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_bytes);
    }

    /// <inheritdoc />
    public override string ToString() => "ResearchSecret (32 bytes, not shown)";

    private void Derive(string label, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _bytes, output, [], Encoding.ASCII.GetBytes("nii-socs/research/v1/" + label));
    }
}
