using System.Buffers;
using System.Net;
using MessagePack;
using MessagePack.Resolvers;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Storage;

/// <summary>The stored form of a <see cref="DetectionRecord"/>: MessagePack, integer keys, explicit schema version.</summary>
/// <remarks>Schema 1. New fields get new keys; a reader refuses a schema it does not know rather than guess.
/// <para>Key 22 (the acquisition instant, R7.3) was added later: a record written without it (an array of 22) reads
/// with acquisition = observation, which was the partition rule when it was written.</para></remarks>
[MessagePackObject]
internal sealed class StoredDetection
{
    public const int CurrentSchema = 1;

    [Key(0)] public int Schema { get; set; }

    [Key(1)] public byte[] Id { get; set; } = [];

    [Key(2)] public string Participant { get; set; } = string.Empty;

    [Key(3)] public long Epoch { get; set; }

    [Key(4)] public long ObservedAtUtcTicks { get; set; }

    [Key(5)] public byte[] Source { get; set; } = [];

    [Key(6)] public byte[] Destination { get; set; } = [];

    [Key(7)] public byte Protocol { get; set; }

    [Key(8)] public int SourcePort { get; set; } = -1;

    [Key(9)] public int DestinationPort { get; set; } = -1;

    [Key(10)] public int TcpFlags { get; set; } = -1;

    [Key(11)] public int CapturedLength { get; set; }

    [Key(12)] public int WireLength { get; set; }

    [Key(13)] public int ContentLength { get; set; }

    [Key(14)] public byte[] HeaderBytes { get; set; } = [];

    [Key(15)] public long RuleSid { get; set; }

    [Key(16)] public int RuleRev { get; set; }

    [Key(17)] public string RuleMessage { get; set; } = string.Empty;

    [Key(18)] public string? RuleClassType { get; set; }

    [Key(19)] public int RulePriority { get; set; }

    [Key(20)] public int DetectionSource { get; set; }

    [Key(21)] public byte[] SealedContent { get; set; } = [];

    /// <summary>The acquisition instant in UTC ticks; 0 when the record predates the field.</summary>
    [Key(22)] public long AcquiredAtUtcTicks { get; set; }
}

/// <summary>Maps detection records to and from their stored bytes.</summary>
internal static class DetectionCodec
{
    /// <summary>Stored bytes are read as untrusted data (STYLE §9): depth limits, collision-resistant hashing.</summary>
    public static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(StandardResolverAllowPrivate.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>The number of fields written, in key order 0–22 (records written before the acquisition field have 22).</summary>
    internal const int FieldCount = 23;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>Encodes a record into a new array (tests, tools, the benchmark's reference).</summary>
    public static byte[] Encode(DetectionRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Encode(record, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>This thread's encoding buffer, emptied: the append path encodes each record into it and enqueues the
    /// written bytes before encoding the next, so no record allocates a buffer of its own.</summary>
    public static ArrayBufferWriter<byte> ThreadBuffer()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        return buffer;
    }

    /// <summary>Encodes a record as schema 1 into a writer, allocating nothing.</summary>
    /// <remarks>Writes the very bytes MessagePack's contract serializer writes for <see cref="StoredDetection"/> (an
    /// array of <see cref="FieldCount"/> fields in key order; <c>StoredDetectionProperties</c> checks it byte for
    /// byte), without the intermediate object, the id and address arrays, and the copies of header and content.</remarks>
    public static void Encode(DetectionRecord record, IBufferWriter<byte> output)
    {
        var writer = new MessagePackWriter(output);
        WriteHead(ref writer, record);
        writer.WriteRaw(record.SealedContent.Span);
        WriteTail(ref writer, record);
        writer.Flush();
    }

    /// <summary>Encodes everything of a record but its sealed content's bytes into this thread's buffer: the head (up to
    /// and including the content's bin header), then the tail. The append path copies head, content and tail straight
    /// into the log page (<see cref="LogEntry"/>), so the ~1 KiB content is copied once, as by a raw enqueue.</summary>
    public static LogEntry Frame(DetectionRecord record)
    {
        var buffer = ThreadBuffer();
        var writer = new MessagePackWriter(buffer);
        WriteHead(ref writer, record);
        writer.Flush();
        var head = buffer.WrittenCount;
        writer = new MessagePackWriter(buffer);
        WriteTail(ref writer, record);
        writer.Flush();
        return new LogEntry(buffer.WrittenMemory, head, record.SealedContent);
    }

    /// <summary>A record framed by <see cref="Frame"/>, serialised by FASTER straight into its page: exactly the bytes
    /// <see cref="Encode(DetectionRecord, IBufferWriter{byte})"/> writes (<c>StoredDetectionProperties</c> checks it).</summary>
    internal readonly struct LogEntry(ReadOnlyMemory<byte> framing, int headLength, ReadOnlyMemory<byte> content) : FASTER.core.ILogEnqueueEntry
    {
        public int SerializedLength => framing.Length + content.Length;

        public void SerializeTo(Span<byte> dest)
        {
            var f = framing.Span;
            f[..headLength].CopyTo(dest);
            content.Span.CopyTo(dest[headLength..]);
            f[headLength..].CopyTo(dest[(headLength + content.Length)..]);
        }
    }

    private static void WriteHead(ref MessagePackWriter writer, DetectionRecord record)
    {
        var header = record.Header;
        writer.WriteArrayHeader(FieldCount);
        writer.Write(StoredDetection.CurrentSchema);
        writer.WriteBinHeader(16);
        record.Id.Value.TryWriteBytes(writer.GetSpan(16), bigEndian: true, out _);
        writer.Advance(16);
        writer.Write(record.Participant.Value);
        writer.Write(record.Epoch.Index);
        writer.Write(header.ObservedAt.UtcTicks);
        WriteAddress(ref writer, header.Source);
        WriteAddress(ref writer, header.Destination);
        writer.Write(header.Protocol);
        writer.Write(header.SourcePort ?? -1);
        writer.Write(header.DestinationPort ?? -1);
        writer.Write(header.TcpFlags ?? -1);
        writer.Write(header.CapturedLength);
        writer.Write(header.WireLength);
        writer.Write(header.ContentLength);
        writer.Write(header.HeaderBytes.Span);
        writer.Write(record.Rule.Sid);
        writer.Write(record.Rule.Rev);
        writer.Write(record.Rule.Message);
        writer.Write(record.Rule.ClassType);
        writer.Write(record.Rule.Priority);
        writer.Write((int)record.Source);
        writer.WriteBinHeader(record.SealedContent.Length);
    }

    private static void WriteTail(ref MessagePackWriter writer, DetectionRecord record) => writer.Write(record.AcquiredAt.UtcTicks);

    // As GetAddressBytes would give them (4 or 16 bytes), written straight into the output.
    private static void WriteAddress(ref MessagePackWriter writer, IPAddress address)
    {
        var length = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 16;
        writer.WriteBinHeader(length);
        if (!address.TryWriteBytes(writer.GetSpan(length), out var written) || written != length)
        {
            throw new ArgumentException("The address could not be written.", nameof(address));
        }

        writer.Advance(length);
    }

    /// <summary>Decodes stored bytes; every byte must belong to the record.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a complete record of a known schema.</exception>
    public static DetectionRecord Decode(ReadOnlyMemory<byte> bytes)
    {
        StoredDetection dto;
        try
        {
            dto = MessagePackSerializer.Deserialize<StoredDetection>(bytes, Options, out var read);
            if (read != bytes.Length)
            {
                throw new InvalidDataException($"A stored detection has {bytes.Length - read} trailing byte(s).");
            }
        }
        catch (MessagePackSerializationException ex)
        {
            throw new InvalidDataException("A stored detection is not valid MessagePack: " + ex.Message, ex);
        }

        if (dto.Schema != StoredDetection.CurrentSchema)
        {
            throw new InvalidDataException($"A stored detection has schema {dto.Schema}; this reader knows schema {StoredDetection.CurrentSchema}.");
        }

        if (dto.Id.Length != 16 || dto.Source.Length is not (4 or 16) || dto.Destination.Length is not (4 or 16)
            || !ParticipantId.IsValid(dto.Participant) || dto.ObservedAtUtcTicks < 0 || dto.ObservedAtUtcTicks > DateTimeOffset.MaxValue.UtcTicks
            || dto.AcquiredAtUtcTicks < 0 || dto.AcquiredAtUtcTicks > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw new InvalidDataException("A stored detection has a field out of range.");
        }

        try
        {
            return ToRecord(dto);
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentException)
        {
            throw new InvalidDataException("A stored detection has a field out of range: " + ex.Message, ex);
        }
    }

    /// <summary>Reads only what the sidecar index needs, without materialising the record or copying its content.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a record of a known schema.</exception>
    public static IndexEntry ReadIndexFields(ReadOnlyMemory<byte> bytes, long address)
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            var count = reader.ReadArrayHeader();
            if (count < 22 || reader.ReadInt32() != StoredDetection.CurrentSchema)
            {
                throw new InvalidDataException($"A stored detection at address {address} is not schema {StoredDetection.CurrentSchema}.");
            }

            var id = ReadBytes(ref reader, 16);
            reader.Skip(); // participant
            var epoch = reader.ReadInt64();
            var ticks = reader.ReadInt64();
            var source = ReadAddress(ref reader);
            var destination = ReadAddress(ref reader);
            for (var key = 7; key < 15; key++)
            {
                reader.Skip();
            }

            var sid = reader.ReadInt64();
            return new IndexEntry(ticks, new Guid(id, bigEndian: true), address, sid, IndexEntry.HashOf(source), IndexEntry.HashOf(destination), epoch);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"A stored detection at address {address} cannot be indexed: {ex.Message}", ex);
        }
    }

    private static byte[] ReadBytes(ref MessagePackReader reader, int length)
    {
        var sequence = reader.ReadBytes() ?? throw new InvalidDataException("A stored detection has a nil binary field.");
        if (sequence.Length != length)
        {
            throw new InvalidDataException($"A stored detection has a {sequence.Length}-byte field where {length} bytes were expected.");
        }

        return System.Buffers.BuffersExtensions.ToArray(sequence);
    }

    private static IPAddress ReadAddress(ref MessagePackReader reader)
    {
        var sequence = reader.ReadBytes() ?? throw new InvalidDataException("A stored detection has a nil address.");
        if (sequence.Length is not (4 or 16))
        {
            throw new InvalidDataException("A stored detection has an address that is neither 4 nor 16 bytes.");
        }

        return new IPAddress(System.Buffers.BuffersExtensions.ToArray(sequence));
    }

    private static DetectionRecord ToRecord(StoredDetection dto)
    {
        var participant = new ParticipantId(dto.Participant);
        return new DetectionRecord
        {
            Id = new DetectionId(new Guid(dto.Id, bigEndian: true)),
            Participant = participant,
            Epoch = new EpochId(participant, dto.Epoch),
            Header = new DetectionHeader
            {
                ObservedAt = new DateTimeOffset(dto.ObservedAtUtcTicks, TimeSpan.Zero),
                Source = new IPAddress(dto.Source),
                Destination = new IPAddress(dto.Destination),
                Protocol = dto.Protocol,
                SourcePort = dto.SourcePort < 0 ? null : checked((ushort)dto.SourcePort),
                DestinationPort = dto.DestinationPort < 0 ? null : checked((ushort)dto.DestinationPort),
                TcpFlags = dto.TcpFlags < 0 ? null : checked((byte)dto.TcpFlags),
                CapturedLength = dto.CapturedLength,
                WireLength = dto.WireLength,
                ContentLength = dto.ContentLength,
                HeaderBytes = dto.HeaderBytes,
            },
            Rule = new RuleRef(dto.RuleSid, dto.RuleRev, dto.RuleMessage, dto.RuleClassType, dto.RulePriority),
            Source = (DetectionSource)dto.DetectionSource,
            SealedContent = dto.SealedContent,
            AcquiredAt = new DateTimeOffset(dto.AcquiredAtUtcTicks == 0 ? dto.ObservedAtUtcTicks : dto.AcquiredAtUtcTicks, TimeSpan.Zero),
        };
    }
}
