using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Nii.Socs.Core.Scope;

/// <summary>A monitored network prefix (R3.1), IPv4 or IPv6, normalised to its network address.</summary>
/// <remarks>
/// Values are normalised on creation: <c>192.0.2.77/24</c> becomes <c>192.0.2.0/24</c>, and an
/// IPv4-mapped IPv6 address is kept as IPv6. The prefix bits are held as a <see cref="UInt128"/>
/// (IPv4 in the low 32 bits) so that scope matching (R5.1) works on integers, not on text. They are
/// stored as two 64-bit halves: ReadyToRun does not precompile code whose locals hold a
/// <see cref="UInt128"/>, so a scope file's parse and index build would otherwise start in the JIT.
/// </remarks>
public readonly record struct IPPrefix
{
    private readonly ulong _high;
    private readonly ulong _low;

    private IPPrefix(bool isIPv6, UInt128 bits, int length)
        : this(isIPv6, (ulong)(bits >> 64), (ulong)(bits & ulong.MaxValue), length)
    {
    }

    private IPPrefix(bool isIPv6, ulong high, ulong low, int length)
    {
        IsIPv6 = isIPv6;
        var (maskHigh, maskLow) = MaskHalves(isIPv6, length);
        _high = high & maskHigh;
        _low = low & maskLow;
        Length = length;
    }

    /// <summary>Whether this is an IPv6 prefix.</summary>
    public bool IsIPv6 { get; }

    /// <summary>The network address as an integer; IPv4 in the low 32 bits. Host bits are zero.</summary>
    public UInt128 Bits => new(_high, _low);

    /// <summary>The high 64 bits of <see cref="Bits"/> (0 for IPv4).</summary>
    internal ulong High => _high;

    /// <summary>The low 64 bits of <see cref="Bits"/> (the IPv4 address for IPv4).</summary>
    internal ulong Low => _low;

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

        var trimmed = text.AsSpan().Trim();
        var slash = trimmed.IndexOf('/');
        var addressText = slash < 0 ? trimmed : trimmed[..slash];
        bool isIPv6;
        ulong high = 0, low;
        if (TryParseDottedQuad(addressText, out var v4))
        {
            isIPv6 = false;
            low = v4;
        }
        else if (TryParseHexGroups(addressText, out high, out low))
        {
            isIPv6 = true;
        }
        else if (addressText.Contains('%')
            || !IPAddress.TryParse(addressText, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork && addressText.Count('.') != 3))
        {
            error = $"'{trimmed}' does not start with an IPv4 or IPv6 address";
            return false;
        }
        else
        {
            (isIPv6, high, low) = ToHalves(address);
        }

        var width = isIPv6 ? 128 : 32;
        var length = width;
        if (slash >= 0)
        {
            var lengthText = trimmed[(slash + 1)..];
            length = 0;
            foreach (var c in lengthText)
            {
                length = char.IsAsciiDigit(c) ? (length * 10) + (c - '0') : int.MaxValue;
                if (length > width)
                {
                    break;
                }
            }

            if (lengthText.Length is 0 or > 3 || length > width)
            {
                error = $"'{trimmed}' has a prefix length that is not between 0 and {width}";
                return false;
            }
        }

        prefix = new IPPrefix(isIPv6, high, low, length);
        error = null;
        return true;
    }

    /// <summary>Reads a plain dotted quad (four decimal numbers 0–255, no leading zeros) without <see cref="IPAddress"/>.</summary>
    /// <remarks>Every text it accepts <see cref="IPAddress.TryParse(ReadOnlySpan{char}, out IPAddress?)"/> reads to the same
    /// address; anything else (octal or hexadecimal parts, fewer parts, IPv6) is left to it. Most scope lines are
    /// plain IPv4, and this keeps their parse out of the JIT at start-up.</remarks>
    private static bool TryParseDottedQuad(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        var parts = 0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            var value = 0;
            while (i < text.Length && i - start < 4 && char.IsAsciiDigit(text[i]))
            {
                value = (value * 10) + (text[i] - '0');
                i++;
            }

            var digits = i - start;
            if (digits is 0 or > 3 || value > 255 || (digits > 1 && text[start] == '0'))
            {
                return false;
            }

            address = (address << 8) | (uint)value;
            parts++;
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != '.' || parts == 4)
            {
                return false;
            }

            i++;
            if (i == text.Length)
            {
                return false;
            }
        }

        return parts == 4;
    }

    /// <summary>Reads a plain IPv6 address (eight groups of 1–4 hex digits, or at most six around one <c>::</c>) without
    /// <see cref="IPAddress"/>.</summary>
    /// <remarks>Every text it accepts <see cref="IPAddress.TryParse(ReadOnlySpan{char}, out IPAddress?)"/> reads to the same
    /// address; anything else (an embedded dotted quad, a zone, brackets, seven groups around <c>::</c>) is left to it.</remarks>
    private static bool TryParseHexGroups(ReadOnlySpan<char> text, out ulong high, out ulong low)
    {
        high = 0;
        low = 0;
        Span<ushort> groups = stackalloc ushort[8];
        var count = 0;
        var gap = -1;
        var i = 0;
        if (text.Length >= 2 && text[0] == ':' && text[1] == ':')
        {
            gap = 0;
            i = 2;
        }

        while (i < text.Length)
        {
            var start = i;
            var value = 0;
            while (i < text.Length && i - start < 5 && char.IsAsciiHexDigit(text[i]))
            {
                value = (value << 4) | HexValue(text[i]);
                i++;
            }

            if (i == start || i - start > 4 || count == 8)
            {
                return false;
            }

            groups[count++] = (ushort)value;
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != ':' || ++i == text.Length)
            {
                return false;
            }

            if (text[i] == ':')
            {
                if (gap >= 0)
                {
                    return false;
                }

                gap = count;
                i++;
            }
        }

        if (gap < 0 ? count != 8 : count > 6)
        {
            return false;
        }

        // The groups after the gap move to the end; the gap is zeros.
        Span<ushort> address = stackalloc ushort[8];
        address.Clear();
        var tail = gap < 0 ? 0 : count - gap;
        groups[..(count - tail)].CopyTo(address);
        groups[(count - tail)..count].CopyTo(address[(8 - tail)..]);
        for (var g = 0; g < 4; g++)
        {
            high = (high << 16) | address[g];
            low = (low << 16) | address[g + 4];
        }

        return true;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

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
    public bool Contains(bool isIPv6, UInt128 bits)
    {
        var (maskHigh, maskLow) = MaskHalves(IsIPv6, Length);
        return isIPv6 == IsIPv6 && ((ulong)(bits >> 64) & maskHigh) == _high && ((ulong)(bits & ulong.MaxValue) & maskLow) == _low;
    }

    /// <summary>Whether two prefixes share any address (one contains the other).</summary>
    /// <param name="other">The other prefix.</param>
    /// <returns>True when they overlap.</returns>
    public bool Overlaps(IPPrefix other)
    {
        if (other.IsIPv6 != IsIPv6)
        {
            return false;
        }

        var (maskHigh, maskLow) = MaskHalves(IsIPv6, Math.Min(Length, other.Length));
        return (_high & maskHigh) == (other._high & maskHigh) && (_low & maskLow) == (other._low & maskLow);
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
        var (isIPv6, high, low) = ToHalves(address);
        return (isIPv6, new UInt128(high, low));
    }

    /// <summary>As <see cref="ToBits"/>, in two 64-bit halves (IPv4 in the low 32 bits of the low half).</summary>
    internal static (bool IsIPv6, ulong High, ulong Low) ToHalves(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException("The address could not be read.", nameof(address));
        }

        return written == 16
            ? (true, BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]))
            : (false, 0, BinaryPrimitives.ReadUInt32BigEndian(bytes));
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

    /// <summary>The mask of a prefix length in two 64-bit halves; IPv4 masks only the low 32 bits.</summary>
    private static (ulong High, ulong Low) MaskHalves(bool isIPv6, int length)
    {
        if (length == 0)
        {
            return (0, 0);
        }

        if (!isIPv6)
        {
            return (0, uint.MaxValue & (uint.MaxValue << (32 - length)));
        }

        return length <= 64 ? (ulong.MaxValue << (64 - length), 0) : (ulong.MaxValue, ulong.MaxValue << (128 - length));
    }
}
