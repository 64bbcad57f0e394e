using System.Buffers;
using System.Collections.Immutable;
using MessagePack;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Storage;

/// <summary>Registry events as MessagePack: an array <c>[schema, kind, at-ticks, fields…]</c>, written and read by hand.</summary>
/// <remarks>Schema 1. Kinds are fixed numbers and never reused (13–17 carry the procedures' dates, R12.2 reasons and agreement references); the domain events carry no serializer attributes.</remarks>
internal static class RegistryEventCodec
{
    public const int Schema = 1;

    public static byte[] Encode(RegistryEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var w = new MessagePackWriter(buffer);
        switch (e)
        {
            case ApplicationSubmitted s:
                Head(ref w, 1, s, 5);
                w.Write(s.ApplicationId);
                w.Write(s.Participant.Value);
                w.Write(s.Name);
                Prefixes(ref w, s.Prefixes);
                Strings(ref w, s.Contacts);
                Operators(ref w, s.Operators);
                break;
            case ApplicationApproved { On: { } on } a:
                Head(ref w, 13, a, 2);
                w.Write(a.ApplicationId);
                w.Write(on.DayNumber);
                break;
            case ApplicationApproved a:
                Head(ref w, 2, a, 1);
                w.Write(a.ApplicationId);
                break;
            case ApplicationRefused { Ground: { } ground } r:
                Head(ref w, 14, r, 3);
                w.Write(r.ApplicationId);
                w.Write(r.Reason);
                w.Write((int)ground);
                break;
            case ApplicationRefused r:
                Head(ref w, 3, r, 2);
                w.Write(r.ApplicationId);
                w.Write(r.Reason);
                break;
            case PrefixesChanged p:
                Head(ref w, 4, p, 2);
                w.Write(p.Participant.Value);
                Prefixes(ref w, p.Prefixes);
                break;
            case ContactsChanged c:
                Head(ref w, 5, c, 2);
                w.Write(c.Participant.Value);
                Strings(ref w, c.Contacts);
                break;
            case OperatorsChanged o:
                Head(ref w, 6, o, 2);
                w.Write(o.Participant.Value);
                Operators(ref w, o.Operators);
                break;
            case CertificateIssued i:
                Head(ref w, 7, i, 3);
                w.Write(i.Participant.Value);
                w.Write(i.Thumbprint);
                w.Write(i.OperatorEmail);
                break;
            case CertificateRevoked r:
                Head(ref w, 8, r, 3);
                w.Write(r.Participant.Value);
                w.Write(r.Thumbprint);
                w.Write(r.Reason);
                break;
            case AgreementMade { Reference: { } reference } m:
                Head(ref w, 15, m, 4);
                w.Write(m.Participant.Value);
                w.Write(m.Months);
                w.Write(m.EffectiveFrom.DayNumber);
                w.Write(reference);
                break;
            case AgreementMade m:
                Head(ref w, 9, m, 3);
                w.Write(m.Participant.Value);
                w.Write(m.Months);
                w.Write(m.EffectiveFrom.DayNumber);
                break;
            case ExclusionStarted x:
                Head(ref w, 10, x, 4);
                w.Write(x.ExclusionId);
                Prefixes(ref w, x.Prefixes);
                if (x.Until is { } until)
                {
                    w.Write(until.UtcTicks);
                }
                else
                {
                    w.WriteNil();
                }

                w.Write(x.Reason);
                break;
            case ExclusionEnded x:
                Head(ref w, 11, x, 1);
                w.Write(x.ExclusionId);
                break;
            case ParticipantTerminated t:
                Head(ref w, 12, t, 2);
                w.Write(t.Participant.Value);
                w.Write(t.EffectiveFrom.DayNumber);
                break;
            case ApprovalRevoked v:
                Head(ref w, 16, v, 4);
                w.Write(v.Participant.Value);
                w.Write((int)v.Reason);
                w.Write(v.Note);
                w.Write(v.On.DayNumber);
                break;
            case ExtensionDeclined d:
                Head(ref w, 17, d, 3);
                w.Write(d.Participant.Value);
                w.Write(d.LastFiscalYear.StartYear);
                w.Write(d.Reason);
                break;
            default:
                throw new ArgumentException($"Unknown registry event {e.GetType().Name}.", nameof(e));
        }

        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private const string What = "A registry event";

    /// <exception cref="InvalidDataException">The bytes are not exactly one event of schema 1.</exception>
    public static RegistryEvent Decode(ReadOnlyMemory<byte> bytes) => EventFraming.Decode(bytes, Schema, What, DecodeBody);

    private static RegistryEvent DecodeBody(ref MessagePackReader r, int kind, DateTimeOffset at) =>
        kind switch
        {
            1 => new ApplicationSubmitted(at, Text(ref r), Participant(ref r), Text(ref r), ReadPrefixes(ref r), ReadStrings(ref r), ReadOperators(ref r)),
            2 => new ApplicationApproved(at, Text(ref r)),
            3 => new ApplicationRefused(at, Text(ref r), Text(ref r)),
            4 => new PrefixesChanged(at, Participant(ref r), ReadPrefixes(ref r)),
            5 => new ContactsChanged(at, Participant(ref r), ReadStrings(ref r)),
            6 => new OperatorsChanged(at, Participant(ref r), ReadOperators(ref r)),
            7 => new CertificateIssued(at, Participant(ref r), Text(ref r), Text(ref r)),
            8 => new CertificateRevoked(at, Participant(ref r), Text(ref r), Text(ref r)),
            9 => new AgreementMade(at, Participant(ref r), r.ReadInt32(), DateOnly.FromDayNumber(r.ReadInt32())),
            10 => new ExclusionStarted(at, Text(ref r), ReadPrefixes(ref r), r.TryReadNil() ? null : new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero), Text(ref r)),
            11 => new ExclusionEnded(at, Text(ref r)),
            12 => new ParticipantTerminated(at, Participant(ref r), DateOnly.FromDayNumber(r.ReadInt32())),
            13 => new ApplicationApproved(at, Text(ref r)) { On = Date(ref r) },
            14 => new ApplicationRefused(at, Text(ref r), Text(ref r)) { Ground = Reason(ref r) },
            15 => new AgreementMade(at, Participant(ref r), r.ReadInt32(), Date(ref r)) { Reference = Text(ref r) },
            16 => new ApprovalRevoked(at, Participant(ref r), Reason(ref r), Text(ref r), Date(ref r)),
            17 => new ExtensionDeclined(at, Participant(ref r), new Time.FiscalYear(r.ReadInt32()), Text(ref r)),
            _ => throw new InvalidDataException($"A registry event has unknown kind {kind}."),
        };

    private static DateOnly Date(ref MessagePackReader r) => DateOnly.FromDayNumber(r.ReadInt32());

    private static RefusalReason Reason(ref MessagePackReader r)
    {
        var value = (RefusalReason)r.ReadInt32();
        return Enum.IsDefined(value) ? value : throw new InvalidDataException($"A registry event has R12.2 reason {(int)value}, not 1 to 6.");
    }

    private static void Head(ref MessagePackWriter w, int kind, RegistryEvent e, int fields) => EventFraming.Head(ref w, Schema, kind, e.At, fields);

    private static void Prefixes(ref MessagePackWriter w, ImmutableArray<IPPrefix> prefixes)
    {
        var items = prefixes.IsDefault ? [] : prefixes;
        w.WriteArrayHeader(items.Length);
        foreach (var p in items)
        {
            w.Write(p.ToString());
        }
    }

    private static void Operators(ref MessagePackWriter w, ImmutableArray<OperatorContact> operators)
    {
        var items = operators.IsDefault ? [] : operators;
        w.WriteArrayHeader(items.Length);
        foreach (var o in items)
        {
            w.WriteArrayHeader(4);
            w.Write(o.Name);
            w.Write(o.Mail);
            w.Write(o.Phone);
            w.Write(o.IssueCertificate);
        }
    }

    private static void Strings(ref MessagePackWriter w, ImmutableArray<string> strings) => EventFraming.Strings(ref w, strings);

    private static string Text(ref MessagePackReader r) => EventFraming.Text(ref r, What);

    private static ParticipantId Participant(ref MessagePackReader r) => EventFraming.Participant(ref r, What);

    private static ImmutableArray<string> ReadStrings(ref MessagePackReader r) => EventFraming.ReadStrings(ref r, What);

    private static ImmutableArray<IPPrefix> ReadPrefixes(ref MessagePackReader r)
    {
        var n = r.ReadArrayHeader();
        var builder = ImmutableArray.CreateBuilder<IPPrefix>(n);
        for (var i = 0; i < n; i++)
        {
            builder.Add(IPPrefix.Parse(Text(ref r)));
        }

        return builder.MoveToImmutable();
    }

    private static ImmutableArray<OperatorContact> ReadOperators(ref MessagePackReader r)
    {
        var n = r.ReadArrayHeader();
        var builder = ImmutableArray.CreateBuilder<OperatorContact>(n);
        for (var i = 0; i < n; i++)
        {
            if (r.ReadArrayHeader() != 4)
            {
                throw new InvalidDataException("A registry operator is not [name, mail, phone, issue-certificate].");
            }

            builder.Add(new OperatorContact(Text(ref r), Text(ref r), r.ReadString(), r.ReadBoolean()));
        }

        return builder.MoveToImmutable();
    }
}
