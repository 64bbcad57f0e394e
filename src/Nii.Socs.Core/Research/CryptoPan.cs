using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Nii.Socs.Core.Research;

/// <summary>
/// Crypto-PAn prefix-preserving address anonymisation (Xu, Fan, Ammar, Moon, 2002) for IPv4 and its
/// 128-bit IPv6 extension, keyed by a 32-byte secret (R9.1).
/// </summary>
/// <remarks>
/// <para>R9.1: research data sets randomise IP addresses so that participants are hard to identify,
/// by a method that is disclosed and reproducible with the secret.</para>
/// <para>The algorithm, as in the original distribution: the first 16 key bytes are an AES-128 key
/// <c>K</c>; the last 16 are encrypted under <c>K</c> to give a pad <c>P</c>. For bit position
/// <c>i</c> (0 = most significant) of an address <c>a</c>, the block made of the first <c>i</c> bits of
/// <c>a</c> followed by the bits of <c>P</c> from position <c>i</c> on is encrypted under <c>K</c>;
/// the most significant bit of the result is flipped into bit <c>i</c> of the answer. So bit <c>i</c>
/// of the answer depends only on bits 0..i of the address, which is why two addresses that share
/// exactly a k-bit prefix share exactly a k-bit prefix after anonymisation. IPv4 addresses take the
/// first 32 bits of the block (the IPv6 extension with the same key and pad), so the IPv4 and IPv6
/// results for the first 32 bits agree.</para>
/// <para>Speed: the naive form costs one AES block per bit. This type instead (1) keeps a table of the
/// flip bits of every 16-bit prefix, computed at construction (65 535 blocks); (2) computes the next
/// 8 bits for a /16 once 32 addresses of that /16 have been seen (255 blocks) and keeps them, paying
/// 16 blocks per address before that; (3) for IPv6, keeps the
/// flip bits of bits 24–63 per /64 in a bounded cache; and (4) encrypts the remaining blocks of many
/// addresses in one AES-ECB call through <see cref="System.Security.Cryptography.Aes"/>, which uses
/// AES-NI where the processor has it. Worked figure: an IPv4 address of a busy /16 then costs 8 AES
/// blocks instead of 32, one of a rarely seen /16 costs 16, and those blocks are batched.</para>
/// <para>An IPv4-mapped IPv6 address (<c>::ffff:192.0.2.1</c>) is anonymised as the IPv4 address it
/// carries and stays mapped, so the same host gets one answer however it was written.</para>
/// <para><b>Security:</b> the key is the data set's secret: whoever holds it can invert the
/// anonymisation by trying prefixes. Dispose the instance to zero the key and pad; the instance is
/// not thread-safe (its caches and AES context are per instance).</para>
/// </remarks>
public sealed class CryptoPan : IDisposable
{
    /// <summary>The key length in bytes: 16 for the AES key and 16 for the pad.</summary>
    public const int KeyLength = 32;

    private const int BlockSize = 16;
    private const int TopBits = 16;
    private const int ChunkBits = 8;
    private const int Ipv6CacheLimit = 1 << 18;
    private const int Ipv4Batch = 512;
    private const int Ipv6Batch = 64;
    private const int ChunkThreshold = 32;

    private readonly Aes _aes;
    private readonly ICryptoTransform _encryptor;
    private readonly byte[] _pad = new byte[BlockSize];
    private UInt128 _padBits;
    private readonly ushort[] _top;
    private readonly byte[]?[] _chunks = new byte[]?[1 << TopBits];
    private readonly Dictionary<ulong, ulong> _ipv6Middle = [];
    private readonly byte[] _seen = new byte[1 << TopBits];
    private readonly byte[] _blocks = new byte[Ipv4Batch * (32 - TopBits) * BlockSize];
    private bool _disposed;

    /// <summary>Creates an anonymiser from a 32-byte key.</summary>
    /// <param name="key">The key: AES-128 key then pad secret. Copied; the caller may zero its copy.</param>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not 32 bytes long.</exception>
    /// <remarks>R9.1. The construction computes the 16-bit prefix table (65 535 AES blocks, about a
    /// millisecond with AES-NI), so create one instance per data set and reuse it.</remarks>
    public CryptoPan(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException($"A Crypto-PAn key is {KeyLength} bytes (AES-128 key and pad); got {key.Length}.", nameof(key));
        }

        _aes = Aes.Create();
        byte[] aesKey = key[..BlockSize].ToArray();
        try
        {
            _aes.Key = aesKey;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(aesKey);
        }

        _aes.EncryptEcb(key[BlockSize..], _pad, PaddingMode.None);

        // One reused ECB transform: the one-shot EncryptEcb sets up a native cipher context per call
        // (measured about 1.5 µs here), which would dominate batches of a few blocks.
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _encryptor = _aes.CreateEncryptor();
        _padBits = BinaryPrimitives.ReadUInt128BigEndian(_pad);
        _top = new ushort[1 << TopBits];
        var levels = ComputeFlips(0, 0, TopBits);
        for (var i = 0; i < _top.Length; i++)
        {
            _top[i] = unchecked((ushort)levels[i]);
        }
    }

    /// <summary>Anonymises an IPv4 or IPv6 address.</summary>
    /// <param name="address">The address.</param>
    /// <returns>The anonymised address of the same family.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="address"/> is neither IPv4 nor IPv6.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    /// <remarks>R9.1. With the published sample key, <c>128.11.68.132</c> becomes
    /// <c>135.242.180.132</c>. A scope id (<c>fe80::1%eth0</c>) is dropped.</remarks>
    public IPAddress Anonymize(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return new IPAddress(ToNetworkBytes(AnonymizeIPv4(ReadIPv4(address))));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"Only IPv4 and IPv6 addresses can be anonymised; got {address.AddressFamily}.", nameof(address));
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return new IPAddress(ToNetworkBytes(AnonymizeIPv4(ReadIPv4(address.MapToIPv4())))).MapToIPv6();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        var anonymised = AnonymizeIPv6(BinaryPrimitives.ReadUInt128BigEndian(bytes));
        BinaryPrimitives.WriteUInt128BigEndian(bytes, anonymised);
        return new IPAddress(bytes);
    }

    /// <summary>Anonymises one IPv4 address given as a 32-bit integer (most significant byte first).</summary>
    /// <param name="address">The address, e.g. <c>0x800B4484</c> for 128.11.68.132.</param>
    /// <returns>The anonymised address.</returns>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    /// <remarks>R9.1. For many addresses, the span overload is faster: it batches the AES calls.</remarks>
    public uint AnonymizeIPv4(uint address)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<uint> one = [address];
        AnonymizeIPv4Core(one, one);
        return one[0];
    }

    /// <summary>Anonymises many IPv4 addresses; the fast path for large data sets.</summary>
    /// <param name="source">The addresses.</param>
    /// <param name="destination">Receives the anonymised addresses; may be the same memory as <paramref name="source"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    /// <remarks>R9.1. Results equal those of the one-address overload, address by address.</remarks>
    public void AnonymizeIPv4(ReadOnlySpan<uint> source, Span<uint> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} addresses; {source.Length} are needed.", nameof(destination));
        }

        for (var start = 0; start < source.Length; start += Ipv4Batch)
        {
            var n = Math.Min(Ipv4Batch, source.Length - start);
            AnonymizeIPv4Core(source.Slice(start, n), destination.Slice(start, n));
        }
    }

    /// <summary>Anonymises one IPv6 address given as a 128-bit integer (most significant byte first).</summary>
    /// <param name="address">The address.</param>
    /// <returns>The anonymised address.</returns>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    /// <remarks>R9.1. With the published sample key, <c>::1</c> becomes <c>78ff:f001:9fc0:20df:8380:b1f1:704:ed</c>.</remarks>
    public UInt128 AnonymizeIPv6(UInt128 address)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<UInt128> one = [address];
        AnonymizeIPv6(one, one);
        return one[0];
    }

    /// <summary>Anonymises many IPv6 addresses.</summary>
    /// <param name="source">The addresses.</param>
    /// <param name="destination">Receives the anonymised addresses; may be the same memory as <paramref name="source"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    /// <remarks>R9.1. Bits 0–23 come from the prefix tables, bits 24–63 from a bounded per-/64 cache,
    /// and bits 64–127 cost 64 AES blocks per address, batched.</remarks>
    public void AnonymizeIPv6(ReadOnlySpan<UInt128> source, Span<UInt128> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} addresses; {source.Length} are needed.", nameof(destination));
        }

        for (var start = 0; start < source.Length; start += Ipv6Batch)
        {
            var n = Math.Min(Ipv6Batch, source.Length - start);
            AnonymizeIPv6Core(source.Slice(start, n), destination.Slice(start, n));
        }
    }

    /// <summary>Zeroes the pad and the prefix tables and releases the AES key.</summary>
    /// <remarks><b>Security:</b> the AES key schedule lives in the platform's cipher object, which
    /// zeroes it on dispose; this type never keeps its own copy of the key.</remarks>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CryptographicOperations.ZeroMemory(_pad);
        CryptographicOperations.ZeroMemory(_blocks);
        Array.Clear(_top);
        foreach (var chunk in _chunks)
        {
            if (chunk is not null)
            {
                CryptographicOperations.ZeroMemory(chunk);
            }
        }

        Array.Clear(_chunks);
        _padBits = UInt128.Zero;
        _ipv6Middle.Clear();
        _encryptor.Dispose();
        _aes.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => "Crypto-PAn (AES-128, prefix-preserving; key not shown)";

    /// <summary>The pad bits, for the naive reference form used by tests and benchmarks.</summary>
    internal UInt128 PadBits => _padBits;

    /// <summary>Encrypts blocks in place, for the naive reference form used by tests and benchmarks.</summary>
    internal void EncryptBlocks(byte[] blocks) => Encrypt(blocks, blocks.Length);

    /// <summary>The input block for bit position <paramref name="position"/> of the 128-bit value <paramref name="extended"/>.</summary>
    internal static UInt128 BlockFor(UInt128 extended, UInt128 pad, int position)
    {
        var high = position == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - position);
        return (extended & high) | (pad & ~high);
    }

    private void Encrypt(byte[] buffer, int length)
    {
        var written = _encryptor.TransformBlock(buffer, 0, length, buffer, 0);
        Debug.Assert(written == length, "ECB without padding transforms whole blocks.");
    }

    private static byte[] ToNetworkBytes(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static uint ReadIPv4(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private byte[] ChunkFor(uint top16)
    {
        var chunk = _chunks[top16];
        if (chunk is null)
        {
            var flips = ComputeFlips((UInt128)top16 << (128 - TopBits), TopBits, ChunkBits);
            chunk = new byte[1 << ChunkBits];
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = unchecked((byte)flips[i]);
            }

            _chunks[top16] = chunk;
        }

        return chunk;
    }

    /// <summary>The flip bits of positions start..start+count-1 for every extension of a fixed prefix.</summary>
    /// <param name="prefix">The 128-bit value whose first <paramref name="start"/> bits are fixed (the rest zero).</param>
    /// <param name="start">The first position.</param>
    /// <param name="count">How many positions (at most 16).</param>
    /// <returns>For each value v of the next <paramref name="count"/> bits, the flips with position start in the top bit.</returns>
    private uint[] ComputeFlips(UInt128 prefix, int start, int count)
    {
        Debug.Assert(count is > 0 and <= 16, "The table is indexed by at most 16 bits.");

        // Level l (0..count-1) has 2^l prefixes; all levels together are 2^count - 1 blocks.
        var total = (1 << count) - 1;
        var buffer = new byte[total * BlockSize];
        var index = 0;
        for (var level = 0; level < count; level++)
        {
            var position = start + level;
            for (var v = 0; v < 1 << level; v++)
            {
                var extended = prefix | (level == 0 ? UInt128.Zero : (UInt128)(uint)v << (128 - position));
                BinaryPrimitives.WriteUInt128BigEndian(buffer.AsSpan(index * BlockSize, BlockSize), BlockFor(extended, _padBits, position));
                index++;
            }
        }

        Encrypt(buffer, buffer.Length);
        var flips = new uint[1 << count];
        for (var v = 0; v < flips.Length; v++)
        {
            uint bits = 0;
            for (var level = 0; level < count; level++)
            {
                var blockIndex = (1 << level) - 1 + (v >> (count - level));
                bits = (bits << 1) | (uint)(buffer[blockIndex * BlockSize] >> 7);
            }

            flips[v] = bits;
        }

        CryptographicOperations.ZeroMemory(buffer);
        return flips;
    }

    private void AnonymizeIPv4Core(ReadOnlySpan<uint> source, Span<uint> destination)
    {
        var n = source.Length;
        var padTop = (uint)(_padBits >> 96);
        var padLow = _pad.AsSpan(4, BlockSize - 4);
        Span<byte> firstPosition = stackalloc byte[n];
        var blocks = _blocks.AsSpan();
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            var a = source[i];
            var top = a >> 16;

            // A /16 seen only a few times costs 8 more blocks per address; after ChunkThreshold
            // addresses its 255-block table pays for itself. So uniformly spread addresses do not
            // pay 255 blocks each, and concentrated ones soon pay 8.
            int from = TopBits + ChunkBits;
            if (_chunks[top] is null)
            {
                if (_seen[top] < ChunkThreshold)
                {
                    _seen[top]++;
                    from = TopBits;
                }
                else
                {
                    _ = ChunkFor(top);
                }
            }

            firstPosition[i] = (byte)from;
            for (var position = from; position < 32; position++)
            {
                var high = uint.MaxValue << (32 - position);
                var block = blocks.Slice(count * BlockSize, BlockSize);
                BinaryPrimitives.WriteUInt32BigEndian(block, (a & high) | (padTop & ~high));
                padLow.CopyTo(block[4..]);
                count++;
            }
        }

        Encrypt(_blocks, count * BlockSize);
        var index = 0;
        for (var i = 0; i < n; i++)
        {
            var a = source[i];
            var top = a >> 16;
            var from = firstPosition[i];
            uint flips = (uint)_top[top] << 16;
            if (from == TopBits + ChunkBits)
            {
                flips |= (uint)_chunks[top]![(a >> 8) & 0xFF] << 8;
            }

            for (var position = (int)from; position < 32; position++)
            {
                flips |= (uint)(blocks[index * BlockSize] >> 7) << (31 - position);
                index++;
            }

            destination[i] = a ^ flips;
        }
    }

    private ulong MiddleFlips(UInt128 address)
    {
        // Bits 24..63 depend only on the first 63 bits; cache them per /64, bounded.
        var key = (ulong)(address >> 64);
        if (_ipv6Middle.TryGetValue(key, out var cached))
        {
            return cached;
        }

        const int From = TopBits + ChunkBits;
        const int Count = 64 - From;
        var buffer = new byte[Count * BlockSize];
        for (var j = 0; j < Count; j++)
        {
            BinaryPrimitives.WriteUInt128BigEndian(buffer.AsSpan(j * BlockSize, BlockSize), BlockFor(address, _padBits, From + j));
        }

        Encrypt(buffer, buffer.Length);
        ulong flips = 0;
        for (var j = 0; j < Count; j++)
        {
            flips |= (ulong)(buffer[j * BlockSize] >> 7) << (63 - From - j);
        }

        if (_ipv6Middle.Count >= Ipv6CacheLimit)
        {
            _ipv6Middle.Clear();
        }

        _ipv6Middle[key] = flips;
        return flips;
    }

    private void AnonymizeIPv6Core(ReadOnlySpan<UInt128> source, Span<UInt128> destination)
    {
        const int Rest = 64;
        var n = source.Length;
        var blocks = _blocks.AsSpan(0, n * Rest * BlockSize);
        Debug.Assert(blocks.Length <= _blocks.Length, "The IPv6 batch fits the block buffer.");
        for (var i = 0; i < n; i++)
        {
            var a = source[i];
            for (var j = 0; j < Rest; j++)
            {
                BinaryPrimitives.WriteUInt128BigEndian(blocks.Slice(((i * Rest) + j) * BlockSize, BlockSize), BlockFor(a, _padBits, 64 + j));
            }
        }

        Encrypt(_blocks, blocks.Length);
        for (var i = 0; i < n; i++)
        {
            var a = source[i];
            var top = (uint)(a >> 112);
            ulong high = ((ulong)_top[top] << 48) | ((ulong)ChunkFor(top)[(int)((a >> 104) & 0xFF)] << 40) | MiddleFlips(a);
            ulong low = 0;
            for (var j = 0; j < Rest; j++)
            {
                low |= (ulong)(blocks[((i * Rest) + j) * BlockSize] >> 7) << (63 - j);
            }

            destination[i] = a ^ new UInt128(high, low);
        }
    }
}
