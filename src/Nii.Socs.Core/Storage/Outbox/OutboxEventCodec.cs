using System.Buffers;
using System.Collections.Immutable;
using System.Net;
using MessagePack;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Storage.Outbox;

/// <summary>Outbox events as MessagePack: an array <c>[schema, kind, at-ticks, fields…]</c>, written and read by hand.</summary>
/// <remarks>Schema 1. A queued mail has 12 fields, or 13 when it carries a procedure notice. A row has 12 fields, or 13
/// with its acquisition instant (added for R7.3; rows without it read with none). Kinds 1 queued, 2 deferred, 3 sent,
/// 4 failed, 5 withdrawn; never reused. The domain types carry no serializer attributes.</remarks>
internal static class OutboxEventCodec
{
    public const int Schema = 1;

    public static byte[] Encode(OutboxEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        var w = new MessagePackWriter(buffer);
        switch (e)
        {
            case MailQueued q:
                Head(ref w, 1, q, 1);
                Mail(ref w, q.Mail);
                break;
            case RowsDeferred d:
                Head(ref w, 2, d, 3);
                w.Write(d.Participant.Value);
                Strings(ref w, d.To);
                Rows(ref w, d.Rows);
                break;
            case MailSent s:
                Head(ref w, 3, s, 1);
                w.Write(s.MailId);
                break;
            case MailWithdrawn m:
                Head(ref w, 5, m, 1);
                w.Write(m.MailId);
                break;
            case MailFailed f:
                Head(ref w, 4, f, 4);
                w.Write(f.MailId);
                w.Write(f.Attempt);
                w.Write(f.RetryAt.UtcTicks);
                w.Write(f.Reason);
                break;
            default:
                throw new ArgumentException($"Unknown outbox event {e.GetType().Name}.", nameof(e));
        }

        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private const string What = "An outbox event";

    /// <exception cref="InvalidDataException">The bytes are not exactly one event of schema 1.</exception>
    public static OutboxEvent Decode(ReadOnlyMemory<byte> bytes) => EventFraming.Decode(bytes, Schema, What, DecodeBody);

    private static OutboxEvent DecodeBody(ref MessagePackReader r, int kind, DateTimeOffset at) =>
        kind switch
        {
            1 => new MailQueued(at, ReadMail(ref r)),
            2 => new RowsDeferred(at, Participant(ref r), ReadStrings(ref r), ReadRows(ref r)),
            3 => new MailSent(at, r.ReadInt64()),
            4 => new MailFailed(at, r.ReadInt64(), r.ReadInt32(), Instant(ref r), Text(ref r)),
            5 => new MailWithdrawn(at, r.ReadInt64()),
            _ => throw new InvalidDataException($"An outbox event has unknown kind {kind}."),
        };

    private static void Head(ref MessagePackWriter w, int kind, OutboxEvent e, int fields) => EventFraming.Head(ref w, Schema, kind, e.At, fields);

    private static void Mail(ref MessagePackWriter w, OutboundMail m)
    {
        w.WriteArrayHeader(m.Notice is null ? 12 : 13);
        w.Write(m.Id);
        w.Write((int)m.Kind);
        w.Write(m.Participant.Value);
        Strings(ref w, m.To);
        w.Write(m.MessageId);
        w.Write(m.InReplyTo);
        Strings(ref w, m.References);
        w.Write(m.CreatedAt.UtcTicks);
        Rows(ref w, m.Rows);
        if (m.Sid is { } sid)
        {
            w.Write(sid);
        }
        else
        {
            w.WriteNil();
        }

        w.Write(m.RuleMessage);
        if (m.FollowUp is { } f)
        {
            w.WriteArrayHeader(3);
            w.Write(f.Knowledge);
            w.Write(f.Countermeasures);
            w.Write(f.Staff);
        }
        else
        {
            w.WriteNil();
        }

        if (m.Notice is { } n)
        {
            w.WriteArrayHeader(3);
            w.Write(n.Title);
            w.Write(n.Japanese);
            w.Write(n.English);
        }
    }

    private static OutboundMail ReadMail(ref MessagePackReader r)
    {
        var fields = r.ReadArrayHeader();
        if (fields is not (12 or 13))
        {
            throw new InvalidDataException("An outbox mail does not have 12 or 13 fields.");
        }

        var id = r.ReadInt64();
        var kind = r.ReadInt32();
        if (!Enum.IsDefined((MailKind)kind))
        {
            throw new InvalidDataException($"An outbox mail has unknown kind {kind}.");
        }

        var participant = Participant(ref r);
        var to = ReadStrings(ref r);
        var messageId = Text(ref r);
        var inReplyTo = r.ReadString();
        var references = ReadStrings(ref r);
        var created = Instant(ref r);
        var rows = ReadRows(ref r);
        long? sid = r.TryReadNil() ? null : r.ReadInt64();
        var ruleMessage = r.ReadString();
        FollowUpText? followUp = null;
        if (!r.TryReadNil())
        {
            if (r.ReadArrayHeader() != 3)
            {
                throw new InvalidDataException("An outbox follow-up is not [knowledge, countermeasures, staff].");
            }

            followUp = new FollowUpText(Text(ref r), Text(ref r), Text(ref r));
        }

        Participants.Procedures.ProcedureNotice? notice = null;
        if (fields == 13)
        {
            if (r.ReadArrayHeader() != 3)
            {
                throw new InvalidDataException("An outbox procedure notice is not [title, japanese, english].");
            }

            notice = new Participants.Procedures.ProcedureNotice(Text(ref r), Text(ref r), Text(ref r));
        }

        return new OutboundMail(id, (MailKind)kind, participant, to, messageId, inReplyTo, references, created, rows, sid, ruleMessage, followUp) { Notice = notice };
    }

    private static void Rows(ref MessagePackWriter w, ImmutableArray<NotificationRow> rows)
    {
        var items = rows.IsDefault ? [] : rows;
        w.WriteArrayHeader(items.Length);
        var id = new byte[16];
        foreach (var row in items)
        {
            w.WriteArrayHeader(row.AcquiredAt is null ? 12 : 13);
            row.Id.Value.TryWriteBytes(id, bigEndian: true, out _);
            w.Write(id);
            w.Write(row.Participant.Value);
            w.Write(row.ObservedAt.UtcTicks);
            w.Write(row.Source.GetAddressBytes());
            w.Write(row.Destination.GetAddressBytes());
            w.Write(row.Protocol);
            WritePort(ref w, row.SourcePort);
            WritePort(ref w, row.DestinationPort);
            w.Write(row.Sid);
            w.Write(row.Message);
            w.Write(row.ClassType);
            w.Write(row.Priority);
            if (row.AcquiredAt is { } acquired)
            {
                w.Write(acquired.UtcTicks);
            }
        }
    }

    private static ImmutableArray<NotificationRow> ReadRows(ref MessagePackReader r)
    {
        var n = r.ReadArrayHeader();
        var builder = ImmutableArray.CreateBuilder<NotificationRow>(n);
        for (var i = 0; i < n; i++)
        {
            var fields = r.ReadArrayHeader();
            if (fields is not (12 or 13))
            {
                throw new InvalidDataException("An outbox row does not have 12 or 13 fields.");
            }

            var id = new DetectionId(new Guid(Bytes(ref r), bigEndian: true));
            var row = new NotificationRow(id, Participant(ref r), Instant(ref r), new IPAddress(Bytes(ref r)), new IPAddress(Bytes(ref r)), r.ReadByte(), ReadPort(ref r), ReadPort(ref r), r.ReadInt64(), Text(ref r), r.ReadString(), r.ReadInt32());
            builder.Add(fields == 13 ? row with { AcquiredAt = Instant(ref r) } : row);
        }

        return builder.MoveToImmutable();
    }

    private static void WritePort(ref MessagePackWriter w, ushort? port)
    {
        if (port is { } p)
        {
            w.Write(p);
        }
        else
        {
            w.WriteNil();
        }
    }

    private static ushort? ReadPort(ref MessagePackReader r) => r.TryReadNil() ? null : r.ReadUInt16();

    private static byte[] Bytes(ref MessagePackReader r) =>
        r.ReadBytes()?.ToArray() ?? throw new InvalidDataException("An outbox event has nil bytes.");

    private static DateTimeOffset Instant(ref MessagePackReader r) => EventFraming.Instant(ref r);

    private static void Strings(ref MessagePackWriter w, ImmutableArray<string> strings) => EventFraming.Strings(ref w, strings);

    private static ImmutableArray<string> ReadStrings(ref MessagePackReader r) => EventFraming.ReadStrings(ref r, What);

    private static string Text(ref MessagePackReader r) => EventFraming.Text(ref r, What);

    private static ParticipantId Participant(ref MessagePackReader r) => EventFraming.Participant(ref r, What);
}
