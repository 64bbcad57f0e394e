using System.Net;
using MessagePack;
using MessagePack.Resolvers;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Storage.Consent;

/// <summary>The stored form of one consent event: MessagePack, schema 1, one flat shape for every kind.</summary>
[MessagePackObject]
internal sealed class StoredConsentEvent
{
    public const int CurrentSchema = 1;

    private static readonly MessagePackSerializerOptions s_options =
        MessagePackSerializerOptions.Standard.WithResolver(StandardResolverAllowPrivate.Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    [Key(0)] public int Schema { get; set; }

    [Key(1)] public string Kind { get; set; } = string.Empty;

    [Key(2)] public long AtUtcTicks { get; set; }

    [Key(3)] public byte[] Request { get; set; } = [];

    [Key(4)] public byte[] Grant { get; set; } = [];

    [Key(5)] public string[] Actor { get; set; } = [];

    [Key(6)] public string Participant { get; set; } = string.Empty;

    [Key(7)] public byte[] Record { get; set; } = [];

    [Key(8)] public string Text { get; set; } = string.Empty;

    [Key(9)] public string Text2 { get; set; } = string.Empty;

    [Key(10)] public long[] Epochs { get; set; } = [];

    [Key(11)] public long Instant2UtcTicks { get; set; }

    // Request only: requester, scope and purpose.
    [Key(12)] public string[] Requester { get; set; } = [];

    [Key(13)] public byte[][] ScopeRecords { get; set; } = [];

    [Key(14)] public long ScopeFromUtcTicks { get; set; }

    [Key(15)] public long ScopeToUtcTicks { get; set; }

    [Key(16)] public long ScopeSid { get; set; } = -1;

    [Key(17)] public byte[] ScopeAddress { get; set; } = [];

    [Key(18)] public int Purpose { get; set; }

    public static byte[] Encode(ConsentEvent e)
    {
        var s = new StoredConsentEvent { Schema = CurrentSchema, AtUtcTicks = e.At.UtcTicks };
        switch (e)
        {
            case ConsentEvent.Requested r:
                var q = r.Request;
                s.Kind = "requested";
                s.Request = q.Id.Value.ToByteArray();
                s.Requester = ActorFields(q.Requester);
                s.Participant = q.Participant.Value;
                s.Purpose = (int)q.Purpose;
                s.Text = q.PurposeText;
                s.Instant2UtcTicks = q.Deadline.UtcTicks;
                switch (q.Scope)
                {
                    case ConsentScope.RecordList list:
                        s.ScopeRecords = [.. list.Ids.Select(i => i.Value.ToByteArray())];
                        break;
                    case ConsentScope.TimeRange range:
                        s.ScopeFromUtcTicks = range.From.UtcTicks;
                        s.ScopeToUtcTicks = range.To.UtcTicks;
                        s.ScopeSid = range.Sid ?? -1;
                        s.ScopeAddress = range.Address?.GetAddressBytes() ?? [];
                        break;
                    default:
                        throw new InvalidOperationException($"Unknown scope {q.Scope.GetType().Name}.");
                }

                break;
            case ConsentEvent.Approved a:
                s.Kind = "approved";
                s.Request = a.Request.Value.ToByteArray();
                s.Actor = ActorFields(a.Operator);
                s.Grant = a.Grant.Value.ToByteArray();
                s.Participant = a.Epochs.Count > 0 ? a.Epochs[0].Participant.Value : string.Empty;
                s.Epochs = [.. a.Epochs.Select(x => x.Index)];
                s.Instant2UtcTicks = a.GrantExpiresAt.UtcTicks;
                break;
            case ConsentEvent.Denied d:
                s.Kind = "denied";
                s.Request = d.Request.Value.ToByteArray();
                s.Actor = ActorFields(d.Operator);
                s.Text = d.Reason;
                break;
            case ConsentEvent.KeyRefused k:
                s.Kind = "key-refused";
                s.Request = k.Request.Value.ToByteArray();
                s.Actor = ActorFields(k.Operator);
                s.Participant = k.Epoch.Participant.Value;
                s.Epochs = [k.Epoch.Index];
                break;
            case ConsentEvent.Revoked v:
                s.Kind = "revoked";
                s.Grant = v.Grant.Value.ToByteArray();
                s.Actor = ActorFields(v.Operator);
                break;
            case ConsentEvent.Viewed w:
                s.Kind = "viewed";
                s.Grant = w.Grant.Value.ToByteArray();
                s.Actor = ActorFields(w.Viewer);
                s.Record = w.Record.Value.ToByteArray();
                break;
            case ConsentEvent.FaultAccessed f:
                s.Kind = "fault-access";
                s.Record = f.Record.Value.ToByteArray();
                s.Participant = f.Participant.Value;
                s.Actor = ActorFields(f.Staff);
                s.Text = f.Reason;
                s.Text2 = f.Incident;
                break;
            default:
                throw new InvalidOperationException($"Unknown consent event {e.GetType().Name}.");
        }

        return MessagePackSerializer.Serialize(s, s_options);
    }

    public static ConsentEvent Decode(ReadOnlyMemory<byte> bytes)
    {
        var s = MessagePackSerializer.Deserialize<StoredConsentEvent>(bytes, s_options);
        if (s.Schema != CurrentSchema)
        {
            throw new InvalidDataException($"Consent event schema {s.Schema} is not supported (expected {CurrentSchema}).");
        }

        var at = new DateTimeOffset(s.AtUtcTicks, TimeSpan.Zero);
        return s.Kind switch
        {
            "requested" => new ConsentEvent.Requested(new DecryptionRequest(
                new RequestId(new Guid(s.Request)),
                ActorFrom(s.Requester),
                new ParticipantId(s.Participant),
                s.ScopeRecords.Length > 0
                    ? new ConsentScope.RecordList([.. s.ScopeRecords.Select(b => new DetectionId(new Guid(b)))])
                    : new ConsentScope.TimeRange(
                        new DateTimeOffset(s.ScopeFromUtcTicks, TimeSpan.Zero),
                        new DateTimeOffset(s.ScopeToUtcTicks, TimeSpan.Zero),
                        s.ScopeSid >= 0 ? s.ScopeSid : null,
                        s.ScopeAddress.Length > 0 ? new IPAddress(s.ScopeAddress) : null),
                (Purpose)s.Purpose,
                s.Text,
                at,
                new DateTimeOffset(s.Instant2UtcTicks, TimeSpan.Zero))),
            "approved" => new ConsentEvent.Approved(
                new RequestId(new Guid(s.Request)),
                ActorFrom(s.Actor),
                new GrantId(new Guid(s.Grant)),
                [.. s.Epochs.Select(i => new EpochId(new ParticipantId(s.Participant), i))],
                new DateTimeOffset(s.Instant2UtcTicks, TimeSpan.Zero),
                at),
            "denied" => new ConsentEvent.Denied(new RequestId(new Guid(s.Request)), ActorFrom(s.Actor), s.Text, at),
            "key-refused" => new ConsentEvent.KeyRefused(new RequestId(new Guid(s.Request)), ActorFrom(s.Actor), new EpochId(new ParticipantId(s.Participant), s.Epochs[0]), at),
            "revoked" => new ConsentEvent.Revoked(new GrantId(new Guid(s.Grant)), ActorFrom(s.Actor), at),
            "viewed" => new ConsentEvent.Viewed(new GrantId(new Guid(s.Grant)), ActorFrom(s.Actor), new DetectionId(new Guid(s.Record)), at),
            "fault-access" => new ConsentEvent.FaultAccessed(new DetectionId(new Guid(s.Record)), new ParticipantId(s.Participant), ActorFrom(s.Actor), s.Text, s.Text2, at),
            _ => throw new InvalidDataException($"Unknown consent event kind '{s.Kind}'."),
        };
    }

    private static string[] ActorFields(Actor actor) =>
        [actor.Kind == ActorKind.Staff ? "staff" : "operator", actor.Name, actor.Participant?.Value ?? string.Empty];

    private static Actor ActorFrom(string[] fields) =>
        fields is [var kind, var name, var participant]
            ? kind == "staff" ? Nii.Socs.Core.Consent.Actor.Staff(name) : Nii.Socs.Core.Consent.Actor.Operator(new ParticipantId(participant), name)
            : throw new InvalidDataException("A stored actor is not [kind, name, participant].");
}
