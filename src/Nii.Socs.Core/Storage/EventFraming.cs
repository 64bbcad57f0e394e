using System.Collections.Immutable;
using MessagePack;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Storage;

/// <summary>The framing every hand-written event codec shares: a MessagePack array <c>[schema, kind, at-ticks, fields…]</c>,
/// read as untrusted bytes (exactly one event, nothing trailing; any decoding failure is <see cref="InvalidDataException"/>).</summary>
internal static class EventFraming
{
    /// <summary>Reads the fields of one event kind after its header.</summary>
    public delegate T BodyReader<out T>(ref MessagePackReader reader, int kind, DateTimeOffset at);

    public static void Head(ref MessagePackWriter w, int schema, int kind, DateTimeOffset at, int fields)
    {
        w.WriteArrayHeader(3 + fields);
        w.Write(schema);
        w.Write(kind);
        w.Write(at.UtcTicks);
    }

    /// <exception cref="InvalidDataException">The bytes are not exactly one event of <paramref name="schema"/>.</exception>
    public static T Decode<T>(ReadOnlyMemory<byte> bytes, int schema, string what, BodyReader<T> body)
    {
        try
        {
            var r = new MessagePackReader(bytes);
            if (r.ReadArrayHeader() < 3 || r.ReadInt32() != schema)
            {
                throw new InvalidDataException($"{what} is not schema {schema}.");
            }

            var kind = r.ReadInt32();
            var at = Instant(ref r);
            var e = body(ref r, kind, at);
            if (r.Consumed != bytes.Length)
            {
                throw new InvalidDataException($"{what} has trailing bytes.");
            }

            return e;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or ArgumentException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{what} cannot be decoded: {ex.Message}", ex);
        }
    }

    public static void Strings(ref MessagePackWriter w, ImmutableArray<string> strings)
    {
        var items = strings.IsDefault ? [] : strings;
        w.WriteArrayHeader(items.Length);
        foreach (var s in items)
        {
            w.Write(s);
        }
    }

    public static ImmutableArray<string> ReadStrings(ref MessagePackReader r, string what)
    {
        var n = r.ReadArrayHeader();
        var builder = ImmutableArray.CreateBuilder<string>(n);
        for (var i = 0; i < n; i++)
        {
            builder.Add(Text(ref r, what));
        }

        return builder.MoveToImmutable();
    }

    public static string Text(ref MessagePackReader r, string what) =>
        r.ReadString() ?? throw new InvalidDataException($"{what} has a nil text.");

    public static ParticipantId Participant(ref MessagePackReader r, string what) => new(Text(ref r, what));

    public static DateTimeOffset Instant(ref MessagePackReader r) => new(r.ReadInt64(), TimeSpan.Zero);
}
