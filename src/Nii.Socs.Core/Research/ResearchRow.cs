using System.Net;

namespace Nii.Socs.Core.Research;

/// <summary>One detection as it appears in a research data set: anonymised, pseudonymised, without content (R9.1).</summary>
/// <remarks>
/// R9.1. What is deliberately absent: the sealed content (R2.1: content never enters a data set), the raw
/// header bytes (they carry MAC addresses, IP ids, TTLs and options that can fingerprint a host), the
/// key epoch (its index reveals the participant's key schedule and the real time) and the detection id
/// (a version-7 UUID embeds the real acquisition time; it is replaced by a pseudonym).
/// </remarks>
internal sealed record ResearchRow
{
    /// <summary>The record's pseudonym, stable within the data set.</summary>
    public required string Record { get; init; }

    /// <summary>The participant's pseudonym.</summary>
    public required string Participant { get; init; }

    /// <summary>The randomised observation time (UTC).</summary>
    public required DateTimeOffset ObservedAt { get; init; }

    /// <summary>The anonymised source address.</summary>
    public required IPAddress Source { get; init; }

    /// <summary>The anonymised destination address.</summary>
    public required IPAddress Destination { get; init; }

    /// <summary>The IANA protocol number.</summary>
    public required byte Protocol { get; init; }

    /// <summary>The source port; null without ports.</summary>
    public ushort? SourcePort { get; init; }

    /// <summary>The destination port; null without ports.</summary>
    public ushort? DestinationPort { get; init; }

    /// <summary>The TCP flags; null when not TCP.</summary>
    public byte? TcpFlags { get; init; }

    /// <summary>The captured length of the original frame.</summary>
    public int CapturedLength { get; init; }

    /// <summary>The wire length of the original frame.</summary>
    public int WireLength { get; init; }

    /// <summary>The length of the (withheld) content.</summary>
    public int ContentLength { get; init; }

    /// <summary>The rule's signature id.</summary>
    public long RuleSid { get; init; }

    /// <summary>The rule's revision.</summary>
    public int RuleRev { get; init; }

    /// <summary>The rule's message with every participant identity scrubbed.</summary>
    public required string RuleMessage { get; init; }

    /// <summary>The rule's classtype (scrubbed); empty when none.</summary>
    public required string RuleClassType { get; init; }

    /// <summary>The rule's priority.</summary>
    public int RulePriority { get; init; }

    /// <summary>Where the detection came from: <c>packet</c> or <c>eve</c>.</summary>
    public required string DetectionSource { get; init; }
}
