using System.Globalization;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants.Registry;

namespace Nii.Socs.Host.Portal;

/// <summary>A detection's header as the API shows it (never content, R2.1).</summary>
internal sealed record DetectionDto(string Id, string Participant, long Epoch, DateTimeOffset ObservedAt, string Source, string Destination, int Protocol, int? SourcePort, int? DestinationPort, int? TcpFlags, int CapturedLength, int WireLength, int ContentLength, long Sid, int Rev, string Message, string? ClassType, int Priority)
{
    /// <summary>When the organization acquired it; its month starts the retention (R7.3).</summary>
    public DateTimeOffset AcquiredAt { get; init; }

    /// <summary>Whether the observation time is far from the acquisition (a sensor's clock).</summary>
    public bool ObservationSkewed { get; init; }

    public static DetectionDto From(DetectionRecord r) => new(
        r.Id.ToString(), r.Participant.Value, r.Epoch.Index, r.Header.ObservedAt, r.Header.Source.ToString(), r.Header.Destination.ToString(), r.Header.Protocol,
        r.Header.SourcePort, r.Header.DestinationPort, r.Header.TcpFlags, r.Header.CapturedLength, r.Header.WireLength, r.Header.ContentLength,
        r.Rule.Sid, r.Rule.Rev, r.Rule.Message, r.Rule.ClassType, r.Rule.Priority)
    {
        AcquiredAt = r.AcquiredAt,
        ObservationSkewed = r.ObservationSkewed,
    };
}

/// <summary>A page of detections with the cursor of the next.</summary>
internal sealed record DetectionPageDto(IReadOnlyList<DetectionDto> Detections, string? Next);

/// <summary>A decryption request and where it stands.</summary>
internal sealed record RequestDto(string Id, string Participant, string Requester, string Scope, string Purpose, string PurposeText, DateTimeOffset RequestedAt, DateTimeOffset Deadline, string Status, GrantDto? Grant)
{
    public static RequestDto From(ConsentLedger ledger, DecryptionRequest r, DateTimeOffset now) => new(
        r.Id.ToString(), r.Participant.Value, r.Requester.ToString(), r.Scope.ToString(), r.Purpose.ToString(), r.PurposeText, r.RequestedAt, r.Deadline,
        ledger.StatusOf(r.Id, now).ToString(), ledger.GrantOf(r.Id) is { } g ? GrantDto.From(g, now) : null);
}

/// <summary>A grant (no key material).</summary>
internal sealed record GrantDto(string Id, string Grantee, IReadOnlyList<long> Epochs, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, bool Live)
{
    public static GrantDto From(Grant g, DateTimeOffset now) => new(g.Id.ToString(), g.Grantee.ToString(), [.. g.Epochs.Select(e => e.Index).Order()], g.ExpiresAt, g.RevokedAt, g.IsLive(now));
}

/// <summary>The keys an approval presents: hex by epoch index, and the grant's lifetime.</summary>
internal sealed record ApprovalDto(Dictionary<string, string>? Keys, int? GrantHours)
{
    public Dictionary<long, string> KeysByIndex()
    {
        var result = new Dictionary<long, string>();
        foreach (var (index, hex) in Keys ?? [])
        {
            if (long.TryParse(index, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
            {
                result[i] = hex;
            }
        }

        return result;
    }
}

/// <summary>A denial's reason.</summary>
internal sealed record DenialDto(string? Reason);

/// <summary>A compromise report's note.</summary>
internal sealed record CompromiseDto(string? Note);

/// <summary>A fault access: which record, why, which incident (R7.2).</summary>
internal sealed record FaultAccessDto(string? Participant, string? Record, string? Reason, string? Incident);

/// <summary>Opened content, base64.</summary>
internal sealed record ContentDto(string Record, string Content);

/// <summary>A coverage gap (R5.2).</summary>
internal sealed record GapDto(string Id, IReadOnlyList<string> Prefixes, DateTimeOffset From, DateTimeOffset? Until, DateTimeOffset? EndedAt, string Reason)
{
    public static GapDto Of(ExclusionEntry x) => new(x.Id, [.. x.Prefixes.Select(p => p.ToString())], x.From, x.Until, x.EndedAt, x.Reason);
}

/// <summary>An epoch's wrapped forms, listed.</summary>
internal sealed record WrappedKeyDto(long Epoch, IReadOnlyList<string> Thumbprints, string Download);

/// <summary>A history entry.</summary>
internal sealed record HistoryDto(long Sequence, DateTimeOffset At, string Actor, string Action, string Subject, string Details, string Hash)
{
    public static HistoryDto From(OperationEntry e) => new(e.Sequence, e.At, e.Actor, e.Action, e.Subject, e.Details, Convert.ToHexStringLower(e.Hash.Span));
}

/// <summary>A signed checkpoint of the history, with the public key that signs it (R6.4).</summary>
internal sealed record CheckpointDto(long Number, long Sequence, string EntryHash, string PreviousCheckpointHash, DateTimeOffset At, string KeyId, string Signature, string Line, string PublicKey)
{
    public static CheckpointDto From(Core.Audit.HistoryCheckpoint c, ReadOnlyMemory<byte> publicKey) => new(
        c.Number,
        c.Sequence,
        Convert.ToHexStringLower(c.EntryHash.Span),
        Convert.ToHexStringLower(c.PreviousCheckpointHash.Span),
        c.At,
        Convert.ToHexStringLower(c.KeyId.Span),
        Convert.ToHexStringLower(c.Signature.Span),
        c.ToLine(),
        Convert.ToHexStringLower(publicKey.Span));
}

/// <summary>Who is signed in.</summary>
internal sealed record MeDto(string Actor, string Kind, string? Participant, string Thumbprint);

/// <summary>A participant as staff sees it.</summary>
internal sealed record ParticipantDto(string Id, string Name, IReadOnlyList<string> Prefixes, IReadOnlyList<string> Contacts, int ActiveCertificates, int Certificates, DateOnly? TerminatedFrom);
