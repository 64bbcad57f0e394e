using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary>
/// Runs the real service (<c>dotnet socs.dll serve</c>) on one data directory and kills it with SIGKILL at random
/// points, again and again, while captures keep arriving; then lets it finish and compares the store and the mail
/// outbox with one uninterrupted run over the same captures. Shared by the test (50 kills) and the benchmark (200).
/// </summary>
/// <remarks>
/// A kill lands anywhere: during start-up and store recovery, mid-file (records stored, not yet mailed), between a
/// file's last commit and its move to <c>processed/</c>, or while idle. After every kill the directory must hold no
/// record twice, no record the uninterrupted run would not hold, no detection planned for mail twice, and an intact
/// history.
/// </remarks>
internal sealed class ServeCrashLoop(string root, int kills, Action<string> log)
{
    private const int CyclesPerCapture = 30;
    private readonly string _rules = Path.Combine(ServiceKit.Samples, "rules", "demo.rules");
    private readonly List<string> _captures = [];

    public async Task<ServeCrashReport> RunAsync()
    {
        var template = Path.Combine(root, "template");
        await ServiceKit.CreateDataAsync(template, TimeProvider.System);
        var crashed = Path.Combine(root, "crashed");
        CopyData(template, crashed);

        // Calibration life: the time to start (until the service loads its rules, just before its first capture) and per capture.
        Feed(crashed, 3);
        var clock = Stopwatch.StartNew();
        TimeSpan startup, perCapture;
        var calibrationReady = new TaskCompletionSource();
        using (var process = ServiceKit.StartServe(crashed, _rules, line => Ready(line, calibrationReady)))
        {
            await WaitAsync(() => calibrationReady.Task.IsCompleted, TimeSpan.FromSeconds(60), "its rules");
            startup = clock.Elapsed;
            await WaitAsync(() => ServiceKit.Waiting(crashed) <= 1, TimeSpan.FromSeconds(60), "two captures");
            perCapture = (clock.Elapsed - startup) / 2;
            Kill(process);
        }

        // One kill in five lands anywhere in start-up (store recovery, key ring, portal); the others after the service
        // began ingesting, within two captures' time: mid-batch, between the store's commit and the outbox's,
        // between a file's last commit and its move to processed/, or idle.
        var window = perCapture * 2;
        log($"calibration: start-up {ServiceKit.Ms(startup)} ms, {ServiceKit.Ms(perCapture)} ms per capture");
        var delays = new List<int>();
        var lives = Stopwatch.StartNew();
        // A kill meets stored records of an unfinished file only in a short part of each capture; when the planned kills all
        // missed it, up to as many more are made until one does, so the run always tests re-ingestion.
        for (var kill = 0; kill < kills || (kill < 2 * kills && Reingested(crashed) == 0); kill++)
        {
            Feed(crashed, 3 - ServiceKit.Waiting(crashed));
            var ready = new TaskCompletionSource();
            var duringStartup = kill % 5 == 0;
            var delay = RandomNumberGenerator.GetInt32((int)(duringStartup ? startup : window).TotalMilliseconds + 1);
            delays.Add(delay);
            using (var process = ServiceKit.StartServe(crashed, _rules, line => Ready(line, ready)))
            {
                if (!duringStartup)
                {
                    await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30)));
                }

                await Task.Delay(delay);
                Kill(process);
            }

            await CheckAsync(crashed, $"after kill {kill + 1} ({(duringStartup ? "start-up" : "ingesting")}, {delay} ms)");
        }

        var killTime = lives.Elapsed;
        await RunToEndAsync(crashed);
        var reference = Path.Combine(root, "reference");
        CopyData(template, reference);
        Directory.CreateDirectory(Path.Combine(reference, "incoming"));
        foreach (var capture in _captures)
        {
            File.Copy(capture, Path.Combine(reference, "incoming", Path.GetFileName(capture)));
        }

        await RunToEndAsync(reference);
        var (crashedRecords, crashedTotal) = await ServiceKit.ReadStoreAsync(crashed);
        var (referenceRecords, referenceTotal) = await ServiceKit.ReadStoreAsync(reference);
        var crashedMail = ServiceKit.PlannedMailRows(crashed);
        var referenceMail = ServiceKit.PlannedMailRows(reference);
        Require(referenceTotal > 0 && referenceRecords.Count == referenceTotal, $"the uninterrupted run stored {referenceTotal} records, {referenceRecords.Count} distinct");
        Require(crashedTotal == crashedRecords.Count, $"{crashedTotal - crashedRecords.Count} record(s) stored twice");
        Require(crashedRecords.SetEquals(referenceRecords), $"{referenceRecords.Except(crashedRecords).Count()} record(s) lost, {crashedRecords.Except(referenceRecords).Count()} extra");
        Require(crashedMail.Count == crashedMail.Distinct().Count(), $"{crashedMail.Count - crashedMail.Distinct().Count()} detection(s) planned for mail twice");
        Require(crashedMail.ToHashSet().SetEquals(referenceMail), $"mail rows differ: {crashedMail.Count} planned after kills, {referenceMail.Count} without");
        Require(OperationHistoryStore.Verify(crashed) is HistoryVerification.Intact, $"history after the kills: {OperationHistoryStore.Verify(crashed)}");
        Require(OperationHistoryStore.Verify(reference) is HistoryVerification.Intact, $"history of the reference: {OperationHistoryStore.Verify(reference)}");
        var reingested = Reingested(crashed);
        return new ServeCrashReport(delays.Count, _captures.Count, (int)crashedTotal, crashedMail.Count, reingested, delays, killTime);
    }

    /// <summary>The service logs that it loaded its rules (event 110) just before it ingests its first capture.</summary>
    private static void Ready(string line, TaskCompletionSource ready)
    {
        if (line.Contains("[110]", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static async Task CheckAsync(string data, string when)
    {
        var (records, total) = await ServiceKit.ReadStoreAsync(data);
        Require(total == records.Count, $"{when}: {total - records.Count} record(s) stored twice");
        var mail = ServiceKit.PlannedMailRows(data);
        Require(mail.Count == mail.Distinct().Count(), $"{when}: a detection is planned for mail twice");
        var history = OperationHistoryStore.Verify(data);
        Require(history is HistoryVerification.Intact, $"{when}: history {history}");
    }

    private static async Task RunToEndAsync(string data)
    {
        using var process = ServiceKit.StartServe(data, Path.Combine(ServiceKit.Samples, "rules", "demo.rules"));
        await WaitAsync(() => ServiceKit.Waiting(data) == 0, TimeSpan.FromMinutes(3), "every capture");

        // A clean stop (SIGTERM) closes the stores and signs a checkpoint; SIGKILL only if it hangs.
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw new InvalidOperationException("serve did not stop within 20 s of SIGTERM");
        }
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"serve did not take {what} within {limit}");
            }

            await Task.Delay(10);
        }
    }

    private static void Kill(Process process)
    {
        process.Kill(); // SIGKILL: no finally blocks, no flush, no checkpoint.
        process.WaitForExit();
    }

    private static void CopyData(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        Directory.CreateDirectory(to + ".secrets");
        File.Copy(Path.Combine(from + ".secrets", "host.kek"), Path.Combine(to + ".secrets", "host.kek"));
    }

    /// <summary>Adds captures the way a sensor should: written under a .part name, then renamed in.</summary>
    private void Feed(string data, int count)
    {
        var incoming = Path.Combine(data, "incoming");
        var staging = Path.Combine(root, "captures");
        Directory.CreateDirectory(incoming);
        Directory.CreateDirectory(staging);
        for (var i = 0; i < count; i++)
        {
            var name = $"sensor-{_captures.Count:D4}.pcap";
            var capture = Path.Combine(staging, name);
            ServiceKit.WriteCapture(capture, CyclesPerCapture, 200, new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero).AddMinutes(_captures.Count));
            _captures.Add(capture);
            File.Copy(capture, Path.Combine(incoming, name + ".part"));
            File.Move(Path.Combine(incoming, name + ".part"), Path.Combine(incoming, name));
        }
    }

    /// <summary>How many ingestions met records a killed run had already stored (their history entry counts duplicates).</summary>
    private static int Reingested(string data) =>
        OperationHistoryStore.ReadAll(data).Count(e => e.Action == "capture.file.ingested" && !e.Details.Contains(" duplicates=0 ", StringComparison.Ordinal));
}

/// <summary>What a crash loop did.</summary>
internal sealed record ServeCrashReport(int Kills, int Captures, int Records, int MailRows, int Reingested, IReadOnlyList<int> DelaysMs, TimeSpan KillTime)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Kills} SIGKILLs of socs serve (delays {DelaysMs.Min()}–{DelaysMs.Max()} ms) over {Captures} captures in {KillTime.TotalSeconds:0.0} s; {Reingested} ingestion(s) met records stored before a kill; {Records} records and {MailRows} mail rows, each once, equal to the uninterrupted run");
}
