using System.Collections.Immutable;
using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Tests.Generators;

/// <summary>One batch handed to the planner: how long after the previous batch, and its detections.</summary>
public sealed record PlannedBatch(TimeSpan Gap, IReadOnlyList<DetectionRecord> Detections);

/// <summary>A run of batches for the notification planner, with a small set of participants and rules so kinds repeat.</summary>
public sealed record NotificationScenario(DateTimeOffset Start, IReadOnlyList<PlannedBatch> Batches)
{
    public override string ToString() =>
        $"start {Start:O}, {Batches.Count} batch(es), {Batches.Sum(b => b.Detections.Count)} detection(s), gaps [{string.Join(", ", Batches.Select(b => b.Gap.TotalMinutes))}] min";
}

/// <summary>Generators for the notification properties (R4.5, R4.6): realistic rules, addresses, bursts and gaps around the window.</summary>
public static class NotificationGenerators
{
    public static readonly ImmutableArray<ParticipantId> Participants = [new("u-tokyo"), new("kyoto-u"), new("nii")];

    // Priorities 1–4 and classtypes on both sides of the default thresholds, including the ignored one.
    private static readonly (long Sid, string Msg, string? ClassType, int Priority)[] s_rules =
    [
        (2_100_498, "GPL ATTACK_RESPONSE id check returned root", "bad-unknown", 2),
        (2_001_219, "ET SCAN Potential SSH Scan", "attempted-recon", 2),
        (2_024_792, "ET TROJAN Cobalt Strike Beacon", "trojan-activity", 3),
        (2_013_028, "ET POLICY curl User-Agent Outbound", "not-suspicious", 1),
        (2_210_045, "SURICATA STREAM Packet with invalid ack", "protocol-command-decode", 3),
        (2_019_401, "ET EXPLOIT Apache Struts RCE 試行", "attempted-admin", 1),
        (2_400_000, "ET DROP Spamhaus DROP Listed Traffic", "misc-attack", 4),
        (9_000_001, "Local rule without classtype", null, 1),
    ];

    // Gaps around the default 1-hour window: well inside, just inside, exactly, just outside, far outside.
    private static readonly Gen<TimeSpan> s_gaps = Gen.Elements(
        TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30),
        TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(61), TimeSpan.FromHours(3));

    public static Gen<DetectionRecord> Detection(DateTimeOffset around) =>
        from participant in Gen.Elements(Participants.ToArray())
        from rule in Gen.Elements(s_rules)
        from secondsBefore in Gen.Choose(0, 3600)
        from src in Gen.Choose(1, 254)
        from dst in Gen.Choose(1, 254)
        from v6 in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from proto in Gen.Elements((byte)6, (byte)17, (byte)1)
        from sport in Gen.Choose(1024, 65535)
        from dport in Gen.Elements(22, 80, 443, 445, 3389)
        from content in Content
        from idParts in Gen.ArrayOf(Gen.Choose(int.MinValue, int.MaxValue), 4)
        select new DetectionRecord
        {
            Id = new DetectionId(new Guid(idParts.SelectMany(BitConverter.GetBytes).ToArray())), // uniform, so ids do not collide at small sizes
            Participant = participant,
            Epoch = new EpochId(participant, 1),
            Header = new DetectionHeader
            {
                ObservedAt = around.AddSeconds(-secondsBefore),
                Source = v6 ? IPAddress.Parse($"2001:db8::{src:x}") : IPAddress.Parse($"198.51.100.{src}"),
                Destination = v6 ? IPAddress.Parse($"2001:db8:1::{dst:x}") : IPAddress.Parse($"192.0.2.{dst}"),
                Protocol = proto,
                SourcePort = proto == 1 ? null : (ushort)sport,
                DestinationPort = proto == 1 ? null : (ushort)dport,
                ContentLength = content.Length,
                HeaderBytes = new byte[] { 0x45, 0x00, 0x00, 0x54 },
            },
            Rule = new RuleRef(rule.Sid, 1, rule.Msg, rule.ClassType, rule.Priority),
            SealedContent = content,
        };

    /// <summary>Content as traffic carries it: a distinctive printable marker (so a leak is visible as text) inside other bytes.</summary>
    public static Gen<byte[]> Content =>
        from marker in Gen.ArrayOf(Gen.Elements("ABCDEFGHJKLMNPQRSTUVWXYZ23456789".ToCharArray()), 16)
        from prefix in Gen.Elements("GET /admin.php?id=", "USER root\r\nPASS ", "\u0000\u0001binary")
        select Encoding.UTF8.GetBytes(prefix + "CONTENT-" + new string(marker) + "\r\n");

    public static Gen<NotificationScenario> Scenarios =>
        from start in TimeGenerators.Uniform.Where(t => t.Year is > 1971 and < 2098)
        from count in Gen.Choose(1, 8)
        from batches in Gen.ListOf(
            from gap in s_gaps
            from size in Gen.Frequency((3, Gen.Choose(0, 6)), (1, Gen.Choose(10, 40)))
            from detections in Gen.ListOf(Detection(start), size)
            select (gap, (IReadOnlyList<DetectionRecord>)detections), count)
        select Build(start, batches);

    public static Arbitrary<NotificationScenario> ScenarioArb() => Arb.From(Scenarios);

    private static NotificationScenario Build(DateTimeOffset start, IEnumerable<(TimeSpan Gap, IReadOnlyList<DetectionRecord> Detections)> shape)
    {
        // Detections were generated around the start; move each batch's to the hour before that batch's instant.
        var batches = new List<PlannedBatch>();
        var offset = TimeSpan.Zero;
        foreach (var (gap, detections) in shape)
        {
            offset += gap;
            var moved = detections.Select(d => d with { Header = d.Header with { ObservedAt = d.Header.ObservedAt + offset } }).ToList();
            batches.Add(new PlannedBatch(gap, moved));
        }

        return new NotificationScenario(start, batches);
    }
}
