using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using FASTER.core;
using MimeKit;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Benchmarks.Mail;

/// <summary>
/// Hand-timed mail benchmark (Stopwatch, best of 3, a run well under a minute).
/// 1. Planning: detections through NotificationPlanner.PlanDetections (with the fold) against the least any notifier
///    must do per detection: the importance test and building its header row.
/// 2. Outbox: MailOutbox.AppendAsync (encode + enqueue + commit + fold) against raw FasterLog Enqueue + CommitAsync of
///    the same encoded bytes.
/// 3. Rendering: a 200-row digest composed and written as MIME, against composing its text only.
/// </summary>
public static class MailBench
{
    private static readonly ParticipantId[] Participants = [new("u-tokyo"), new("kyoto-u"), new("nii"), new("tohoku-u")];

    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 1 && args[0] == "--detections" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        var batch = 1_000;
        var start = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
        var detections = Enumerable.Range(0, count).Select(i => Detection(start.AddMilliseconds(i * 10), i)).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mail bench: {count} detections in batches of {batch}, {Participants.Length} participants, 400 rules"));

        var planner = new NotificationPlanner(ImportancePolicy.Default, NotificationSettings.Default);
        var reference = Best(() =>
        {
            var rows = 0;
            foreach (var d in detections)
            {
                if (planner.Policy.IsImportant(d))
                {
                    rows += NotificationRow.From(d).Sid > 0 ? 1 : 0;
                }
            }

            return rows;
        });
        var events = new List<OutboxEvent>();
        var plan = Best(() =>
        {
            events.Clear();
            var state = NotificationState.Empty;
            for (var i = 0; i < detections.Count; i += batch)
            {
                var now = start.AddSeconds(i / 100);
                foreach (var e in planner.PlanDueDigests(state, now).Concat(planner.PlanDetections(state, detections.GetRange(i, Math.Min(batch, detections.Count - i)), Contacts, now).Events))
                {
                    state = state.Apply(e);
                    events.Add(e);
                }
            }

            return events.Count;
        });
        Report("plan", "importance test + header row (reference)", count, reference);
        Report("plan", "NotificationPlanner.PlanDetections + fold", count, plan, reference);

        var root = Directory.CreateTempSubdirectory("socs-bench-mail-").FullName;
        try
        {
            var encoded = events.Select(OutboxEventCodec.Encode).ToList();
            var rawTime = await BestAsync(async run =>
            {
                var dir = Path.Combine(root, $"raw-{run}");
                Directory.CreateDirectory(dir);
                using var device = Devices.CreateLogDevice(Path.Combine(dir, "log"), preallocateFile: false, deleteOnClose: true);
                using var log = new FasterLog(new FasterLogSettings { LogDevice = device, LogCommitDir = dir, PageSizeBits = 20, MemorySizeBits = 22, SegmentSizeBits = 28 });
                foreach (var bytes in encoded)
                {
                    log.Enqueue(bytes);
                    await log.CommitAsync();
                }
            });
            var outboxTime = await BestAsync(async run =>
            {
                using var outbox = MailOutbox.Open(Path.Combine(root, $"outbox-{run}"));
                foreach (var e in events)
                {
                    await outbox.AppendAsync([e]);
                }
            });
            Report("outbox", "raw FasterLog Enqueue + CommitAsync (reference)", events.Count, rawTime);
            Report("outbox", "MailOutbox.AppendAsync (encode+commit+fold)", events.Count, outboxTime, rawTime);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        var digest = new OutboundMail(1, MailKind.Digest, Participants[0], ["soc@u-tokyo.example"], "1.x@socs.invalid", null, [], start, [.. detections.Take(200).Select(NotificationRow.From)], null, null, null);
        var composer = new MailComposer("https://portal.socs.invalid/", 200);
        var renderer = new MimeMailRenderer(composer, MailboxAddress.Parse("soc@socs.invalid"));
        const int Renders = 500;
        var composeTime = Best(() => Enumerable.Range(0, Renders).Sum(_ => composer.Compose(digest).Body.Length));
        var renderTime = Best(() =>
        {
            var total = 0L;
            for (var i = 0; i < Renders; i++)
            {
                using var stream = new MemoryStream();
                renderer.Render(digest).WriteTo(stream);
                total += stream.Length;
            }

            return (int)total;
        });
        Report("render", "MailComposer.Compose, 200-row digest (reference)", Renders, composeTime);
        Report("render", "Compose + MIME render + write, 200-row digest", Renders, renderTime, composeTime);
        return 0;
    }

    private static ImmutableArray<string> Contacts(ParticipantId participant) => participant.Value == "nii" ? [] : [$"soc@{participant}.example"];

    private static TimeSpan Best(Func<int> work)
    {
        work();
        var best = TimeSpan.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            work();
            best = sw.Elapsed < best ? sw.Elapsed : best;
        }

        return best;
    }

    private static async Task<TimeSpan> BestAsync(Func<int, Task> work)
    {
        await work(0);
        var best = TimeSpan.MaxValue;
        for (var i = 1; i <= 3; i++)
        {
            var sw = Stopwatch.StartNew();
            await work(i);
            best = sw.Elapsed < best ? sw.Elapsed : best;
        }

        return best;
    }

    private static void Report(string part, string path, int items, TimeSpan time, TimeSpan? reference = null) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{part,-7} {path,-52} {items / time.TotalSeconds,14:N0} /s {(reference is { } r ? $"{time / r,8:F2}x reference time" : string.Empty)}"));

    private static DetectionRecord Detection(DateTimeOffset at, int i)
    {
        var participant = Participants[i % Participants.Length];
        var rule = i % 400;
        return new DetectionRecord
        {
            Id = new DetectionId(Guid.CreateVersion7(at)),
            Participant = participant,
            Epoch = new EpochId(participant, 1),
            Header = new DetectionHeader
            {
                ObservedAt = at,
                Source = new IPAddress(0xC6336400u + (uint)(i % 250)),
                Destination = new IPAddress(0xC0000200u + (uint)(i % 200)),
                Protocol = 6,
                SourcePort = (ushort)(1024 + (i % 60000)),
                DestinationPort = 443,
            },
            Rule = new RuleRef(2_000_000 + rule, 1, "ET bench rule " + rule, rule % 3 == 0 ? "trojan-activity" : "misc-activity", 1 + (rule % 4)),
        };
    }
}
