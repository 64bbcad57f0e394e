using System.Diagnostics;
using System.Globalization;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Inspection;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Benchmarks.Inspection;

/// <summary>
/// Hand-timed inspection benchmark (R13.1). Writes a history of N entries for 2026 straight into the audit FasterLog
/// (keys rotated weekly for 200 participants, retention deletions, mail, consent views), then times
/// <see cref="StoredInspection.Run"/> against the store's own <see cref="OperationHistoryStore.Verify"/> over the
/// same log (the reference: one read and one hash per entry). Run at N and 4N: the managed heap left after the
/// report shows the memory does not grow with the history.
/// </summary>
public static class InspectionBench
{
    public static int Run(string[] args)
    {
        var count = args.Length > 1 && args[0] == "--entries" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        var root = Directory.CreateTempSubdirectory("socs-bench-inspection-").FullName;
        try
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"inspection bench: history of {count} and {4 * count} entries, 200 participants, year 2026"));
            Console.WriteLine($"{"entries",10} {"verify ms",10} {"inspect ms",11} {"ratio",7} {"entries/s",12} {"heap after (MiB)",17} {"findings",9}");
            Measure(Path.Combine(root, "warm"), 2_000, print: false);
            Measure(Path.Combine(root, "n"), count, print: true);
            Measure(Path.Combine(root, "4n"), 4 * count, print: true);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):0} MiB"));
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Measure(string directory, int count, bool print)
    {
        Write(directory, count);
        GC.Collect();
        var clock = Stopwatch.StartNew();
        var verified = OperationHistoryStore.Verify(directory);
        var verify = clock.Elapsed;
        GC.Collect();
        clock.Restart();
        var report = StoredInspection.Run(directory, new InspectionSettings(2026), Jst.At(new DateOnly(2027, 1, 1)));
        var inspect = clock.Elapsed;
        var heap = GC.GetTotalMemory(forceFullCollection: true) / (1024.0 * 1024);
        if (verified is not HistoryVerification.Intact || report.History.Entries != count)
        {
            throw new InvalidOperationException($"the bench history did not verify: {verified}, {report.History.Entries} entries");
        }

        if (print)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{count,10} {verify.TotalMilliseconds,10:0} {inspect.TotalMilliseconds,11:0} {inspect / verify,7:0.00} {count / inspect.TotalSeconds,12:0} {heap,17:0.0} {report.Findings.Count,9}"));
        }

        GC.KeepAlive(report);
    }

    private static void Write(string directory, int count)
    {
        // Opening the store once creates the signing key that Verify needs.
        OperationHistoryStore.Open(directory).Dispose();
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        var participants = Enumerable.Range(0, 200).Select(i => new ParticipantId("u-" + i.ToString(CultureInfo.InvariantCulture))).ToArray();
        var from = Jst.At(new DateOnly(2026, 1, 1));
        var step = TimeSpan.FromTicks((Jst.At(new DateOnly(2027, 1, 1)) - from).Ticks / count);
        using var log = FasterLogHandle.Open(Path.Combine(directory, OperationHistoryStore.DirectoryName, "log"));
        var previous = OperationEntry.GenesisHash;
        var open = new Dictionary<ParticipantId, EpochId>();
        for (var i = 0; i < count; i++)
        {
            var at = from + (step * i);
            var participant = participants[i % participants.Length];
            string action, subject, details;
            var epoch = schedule.EpochOf(participant, at);
            if (!open.TryGetValue(participant, out var held) || held != epoch)
            {
                if (open.ContainsKey(participant))
                {
                    action = KeyRotationRecord.DestroyedAction;
                    subject = KeyRotationRecord.SubjectOf(held);
                    details = "end=" + schedule.EndOf(held).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
                    open.Remove(participant);
                }
                else
                {
                    action = KeyRotationRecord.CreatedAction;
                    subject = KeyRotationRecord.SubjectOf(epoch);
                    details = KeyRotationRecord.DetailsOfCreation(schedule.StartOf(epoch), schedule.EndOf(epoch));
                    open[participant] = epoch;
                }
            }
            else
            {
                (action, subject, details) = (i % 3) switch
                {
                    0 => ("mail.sent", "mail/" + participant, "important detection"),
                    1 => ("consent.viewed", "detections/" + participant, "grant 0"),
                    _ => ("portal.login", "portal/" + participant, "operator"),
                };
            }

            // A compliant ring rotates at the boundary: its entries carry the boundary's time, not the next visit's.
            var written = action.StartsWith("keys.", StringComparison.Ordinal) ? schedule.StartOf(epoch).AddMinutes(1) : at;
            var entry = OperationEntry.Create(i + 1, written, "bench", action, subject, details, previous);
            log.Log.Enqueue(StoredOperationEntry.Encode(entry));
            previous = entry.Hash;
        }

        log.Log.Commit(spinWait: true);
    }
}
