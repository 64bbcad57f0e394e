using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Nii.Socs.Core.Scope;

/// <summary>A monitored network prefix (R3.1), IPv4 or IPv6, normalised to its network address.</summary>
/// <remarks>
/// Values are normalised on creation: <c>192.0.2.77/24</c> becomes <c>192.0.2.0/24</c>, and an
/// IPv4-mapped IPv6 address is kept as IPv6. The prefix bits are held as a <see cref="UInt128"/>
/// (IPv4 in the low 32 bits) so that scope matching (R5.1) works on integers, not on text.
/// </remarks>
public readonly record struct IPPrefix
{
    private IPPrefix(bool isIPv6, UInt128 bits, int length)
    {
        IsIPv6 = isIPv6;
        Bits = bits & MaskOf(isIPv6, length);
        Length = length;
    }

    /// <summary>Whether this is an IPv6 prefix.</summary>
    public bool IsIPv6 { get; }

    /// <summary>The network address as an integer; IPv4 in the low 32 bits. Host bits are zero.</summary>
    public UInt128 Bits { get; }

    /// <summary>The prefix length in bits: 0–32 for IPv4, 0–128 for IPv6.</summary>
    public int Length { get; }

    /// <summary>The width of the address family in bits: 32 or 128.</summary>
    public int Width => IsIPv6 ? 128 : 32;

    /// <summary>The network address.</summary>
    public IPAddress NetworkAddress => ToAddress(IsIPv6, Bits);

    /// <summary>Creates a prefix from an address and a length; host bits are cleared.</summary>
    /// <param name="address">An IPv4 or IPv6 address.</param>
    /// <param name="length">The prefix length.</param>
    /// <returns>The normalised prefix.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The length does not fit the family.</exception>
    public static IPPrefix Create(IPAddress address, int length)
    {
        ArgumentNullException.ThrowIfNull(address);
        var (isIPv6, bits) = ToBits(address);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, isIPv6 ? 128 : 32);
        return new IPPrefix(isIPv6, bits, length);
    }

    /// <summary>Creates a prefix from raw bits.</summary>
    /// <param name="isIPv6">The family.</param>
    /// <param name="bits">The address bits (IPv4 in the low 32 bits).</param>
    /// <param name="length">The prefix length.</param>
    /// <returns>The normalised prefix.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The length or bits do not fit the family.</exception>
    public static IPPrefix FromBits(bool isIPv6, UInt128 bits, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, isIPv6 ? 128 : 32);
        if (!isIPv6 && bits > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), "IPv4 bits must fit in 32 bits.");
        }

        return new IPPrefix(isIPv6, bits, length);
    }

    /// <summary>Parses CIDR text such as <c>192.0.2.0/24</c> or <c>2001:db8::/32</c>.</summary>
    /// <param name="text">The text; a bare address is a host prefix (/32 or /128).</param>
    /// <returns>The normalised prefix.</returns>
    /// <exception cref="FormatException">The text is not a prefix; the message says why.</exception>
    public static IPPrefix Parse(string text) =>
        TryParse(text, out var prefix, out var error) ? prefix : throw new FormatException(error);

    /// <summary>Parses CIDR text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="prefix">The prefix when valid.</param>
    /// <returns>Whether the text is a prefix.</returns>
    public static bool TryParse(string? text, out IPPrefix prefix) => TryParse(text, out prefix, out _);

    /// <summary>Parses CIDR text and says what is wrong when it is not a prefix.</summary>
    /// <param name="text">The text.</param>
    /// <param name="prefix">The prefix when valid.</param>
    /// <param name="error">Why the text is not a prefix; null when it is.</param>
    /// <returns>Whether the text is a prefix.</returns>
    public static bool TryParse(string? text, out IPPrefix prefix, out string? error)
    {
        prefix = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a prefix is required, such as 192.0.2.0/24 or 2001:db8::/32";
            return false;
        }

        var trimmed = text.Trim();
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? trimmed : trimmed[..slash];
        if (addressText.Contains('%', StringComparison.Ordinal)
            || !IPAddress.TryParse(addressText, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork && addressText.Count(c => c == '.') != 3))
        {
            error = $"'{trimmed}' does not start with an IPv4 or IPv6 address";
            return false;
        }

        var (isIPv6, bits) = ToBits(address);
        var width = isIPv6 ? 128 : 32;
        var length = width;
        if (slash >= 0)
        {
            var lengthText = trimmed[(slash + 1)..];
            if (lengthText.Length is 0 or > 3
                || !lengthText.All(char.IsAsciiDigit)
                || !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out length)
                || length > width)
            {
                error = $"'{trimmed}' has a prefix length that is not between 0 and {width}";
                return false;
            }
        }

        prefix = new IPPrefix(isIPv6, bits, length);
        error = null;
        return true;
    }

    /// <summary>Whether an address lies inside this prefix.</summary>
    /// <param name="address">The address.</param>
    /// <returns>True when the address has this prefix.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var (isIPv6, bits) = ToBits(address);
        return Contains(isIPv6, bits);
    }

    /// <summary>Whether an address, given as bits, lies inside this prefix.</summary>
    /// <param name="isIPv6">The address family.</param>
    /// <param name="bits">The address bits (IPv4 in the low 32 bits).</param>
    /// <returns>True when the address has this prefix.</returns>
    public bool Contains(bool isIPv6, UInt128 bits) =>
        isIPv6 == IsIPv6 && (bits & MaskOf(IsIPv6, Length)) == Bits;

    /// <summary>Whether two prefixes share any address (one contains the other).</summary>
    /// <param name="other">The other prefix.</param>
    /// <returns>True when they overlap.</returns>
    public bool Overlaps(IPPrefix other)
    {
        if (other.IsIPv6 != IsIPv6)
        {
            return false;
        }

        var shorter = Math.Min(Length, other.Length);
        var mask = MaskOf(IsIPv6, shorter);
        return (Bits & mask) == (other.Bits & mask);
    }

    /// <summary>The canonical CIDR text, such as <c>192.0.2.0/24</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{NetworkAddress}/{Length}");

    /// <summary>Converts an address to its family and bits; IPv4-mapped IPv6 stays IPv6.</summary>
    /// <param name="address">The address.</param>
    /// <returns>The family and the bits.</returns>
    public static (bool IsIPv6, UInt128 Bits) ToBits(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException("The address could not be read.", nameof(address));
        }

        UInt128 value = 0;
        for (var i = 0; i < written; i++)
        {
            value = (value << 8) | bytes[i];
        }

        return (written == 16, value);
    }

    /// <summary>Converts bits back to an address.</summary>
    /// <param name="isIPv6">The family.</param>
    /// <param name="bits">The bits.</param>
    /// <returns>The address.</returns>
    public static IPAddress ToAddress(bool isIPv6, UInt128 bits)
    {
        var width = isIPv6 ? 16 : 4;
        Span<byte> bytes = stackalloc byte[width];
        for (var i = width - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(bits & 0xFF);
            bits >>= 8;
        }

        return new IPAddress(bytes);
    }

    private static UInt128 MaskOf(bool isIPv6, int length)
    {
        var width = isIPv6 ? 128 : 32;
        if (length == 0)
        {
            return UInt128.Zero;
        }

        var all = isIPv6 ? UInt128.MaxValue : (UInt128)uint.MaxValue;
        return (all << (width - length)) & all;
    }
}
