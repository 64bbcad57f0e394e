using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary>The incoming directory of <c>socs serve</c>: only complete files are taken; rules are parsed once per change, and a bad rule file is refused while the last good set stays.</summary>
public sealed class IncomingDirectoryTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
    private readonly string _root = Directory.CreateTempSubdirectory("socs-incoming-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait("Requirement", "R4.4")]
    public async Task A_file_being_written_is_not_taken_until_it_is_renamed_in_or_stops_growing()
    {
        var data = Path.Combine(_root, "data");
        var incoming = Path.Combine(data, "incoming");
        await ServiceKit.CreateDataAsync(data, TimeProvider.System);
        Directory.CreateDirectory(incoming);
        var whole = Path.Combine(_root, "whole.pcap");
        var frames = ServiceKit.WriteCapture(whole, cycles: 40, frameBytes: 300, T0);
        var bytes = await File.ReadAllBytesAsync(whole);
        File.Copy(whole, Path.Combine(incoming, "renamed.pcap.part"));
        File.Copy(whole, Path.Combine(incoming, ".hidden.pcap"));

        // A poll interval of 1 s, so the writer's pieces (40 ms apart) stay well within it even on a loaded machine.
        using var host = StartServe(data, Path.Combine(ServiceKit.Samples, "rules", "demo.rules"), poll: "00:00:01");
        await host.StartAsync();

        // A writer appends in pieces, each within a poll interval of the previous: never taken meanwhile.
        await using (var growing = new FileStream(Path.Combine(incoming, "growing.pcap"), FileMode.CreateNew, FileAccess.Write, FileShare.Read))
        {
            for (var offset = 0; offset < bytes.Length; offset += bytes.Length / 20)
            {
                await growing.WriteAsync(bytes.AsMemory(offset, Math.Min(bytes.Length / 20, bytes.Length - offset)));
                await growing.FlushAsync();
                await Task.Delay(40);
                Assert.True(File.Exists(Path.Combine(incoming, "growing.pcap")), "a growing file was taken");
            }
        }

        await WaitAsync(() => File.Exists(Path.Combine(incoming, "processed", "growing.pcap")));
        await Task.Delay(500);
        Assert.True(File.Exists(Path.Combine(incoming, "renamed.pcap.part")), "a .part file was taken");
        Assert.True(File.Exists(Path.Combine(incoming, ".hidden.pcap")), "a hidden file was taken");
        File.Move(Path.Combine(incoming, "renamed.pcap.part"), Path.Combine(incoming, "renamed.pcap"));
        await WaitAsync(() => File.Exists(Path.Combine(incoming, "processed", "renamed.pcap")));
        await host.StopAsync();

        var ingested = OperationHistoryStore.ReadAll(data).Where(e => e.Action == "capture.file.ingested").ToList();
        Assert.Equal(["capture/growing.pcap", "capture/renamed.pcap"], ingested.Select(e => e.Subject));
        Assert.All(ingested, e => Assert.StartsWith($"frames={frames} ", e.Details, StringComparison.Ordinal));

        // The same bytes under another name are the same source: nothing is stored twice.
        Assert.Contains(" duplicates=0 ", ingested[0].Details, StringComparison.Ordinal);
        Assert.Contains(" stored=0 duplicates=", ingested[1].Details, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R4.2")]
    public async Task Rules_are_parsed_once_per_change_and_a_bad_rule_file_keeps_the_last_good_set_and_is_recorded()
    {
        var data = Path.Combine(_root, "data");
        var incoming = Path.Combine(data, "incoming");
        var rules = Path.Combine(_root, "feed.rules");
        File.Copy(Path.Combine(ServiceKit.Samples, "rules", "demo.rules"), rules);
        await ServiceKit.CreateDataAsync(data, TimeProvider.System);
        Directory.CreateDirectory(incoming);

        using var host = StartServe(data, rules);
        await host.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            if (i == 2)
            {
                // A hostile feed: 100,000 nested '[' would once have taken 17 GB and a stack overflow, at every file.
                await File.WriteAllTextAsync(rules, "alert ip " + new string('[', 100_000) + "192.0.2.1" + new string(']', 100_000) + " any -> any any (sid:1;)\n");
            }

            ServiceKit.WriteCapture(Path.Combine(_root, $"c{i}.pcap"), cycles: 2, frameBytes: 100, T0.AddHours(i));
            File.Move(Path.Combine(_root, $"c{i}.pcap"), Path.Combine(incoming, $"c{i}.pcap"));
            await WaitAsync(() => File.Exists(Path.Combine(incoming, "processed", $"c{i}.pcap")));
        }

        await host.StopAsync();
        var history = OperationHistoryStore.ReadAll(data).ToList();
        var loaded = history.Where(e => e.Action == "capture.rules.loaded").ToList();
        var refused = history.Where(e => e.Action == "capture.rules.refused").ToList();
        var ingested = history.Where(e => e.Action == "capture.file.ingested").ToList();
        Assert.Single(loaded);
        Assert.Equal("rules/feed.rules", loaded[0].Subject);
        Assert.Single(refused);
        Assert.Contains("deeper than 32 levels", refused[0].Details, StringComparison.Ordinal);
        Assert.StartsWith("kept=6 rules", refused[0].Details, StringComparison.Ordinal);
        Assert.Equal(3, ingested.Count);
        Assert.All(ingested, e => Assert.DoesNotContain(" stored=0 ", e.Details, StringComparison.Ordinal));
        Assert.True(history.IndexOf(refused[0]) < history.IndexOf(ingested[2]));
        Assert.True(OperationHistoryStore.Verify(data) is HistoryVerification.Intact);
    }

    private static IHost StartServe(string data, string rules, string? poll = null)
    {
        var settings = ServiceKit.ServeSettings(data, rules);
        if (poll is not null)
        {
            settings = [.. settings.Where(s => !s.StartsWith("Socs:Capture:PollInterval=", StringComparison.Ordinal)), "Socs:Capture:PollInterval=" + poll];
        }

        var builder = ServeCommand.CreateBuilder(settings, TimeProvider.System);
        builder.Logging.ClearProviders();
        builder.Services.AddSocsPipeline();
        return builder.Build();
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "serve did not get there in 30 s");
            await Task.Delay(20);
        }
    }
}
