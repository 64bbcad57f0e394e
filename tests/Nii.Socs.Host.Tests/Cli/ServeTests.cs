using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>The long-running service: a capture dropped into the incoming directory is ingested; a week later the key rotates.</summary>
public sealed class ServeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "socs-serve-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }

        TestOperatorKeys.DeleteSecrets(_dir);
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public async Task Serve_ingests_dropped_captures_and_rotates_keys_at_the_epoch_boundary()
    {
        Assert.Equal(0, Cli.Run("demo", "--no-serve", "--data", _dir, "--people", _dir + "-people").ExitCode);
        var incoming = Path.Combine(_dir, "incoming");
        Directory.CreateDirectory(incoming);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "samples", "captures", "demo.pcap"), Path.Combine(incoming, "sensor-1.pcap"));
        File.WriteAllText(Path.Combine(incoming, "garbage.pcap"), "not a capture");

        // The demo ends in epoch 2970 (2026-12-08 09:00 JST); serve starts one hour later.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 1, 0, 0, TimeSpan.Zero));
        var builder = ServeCommand.CreateBuilder(["Socs:Data:Directory=" + _dir, "Socs:Capture:IncomingDirectory=" + incoming, "Socs:Capture:PollInterval=00:00:01"], time);
        builder.Services.AddSocsPipeline();
        var logs = new CapturedLogs();
        builder.Logging.AddProvider(logs);
        using (var host = builder.Build())
        {
            await host.StartAsync();
            await WaitUntil(() => File.Exists(Path.Combine(incoming, "processed", "sensor-1.pcap")) && File.Exists(Path.Combine(incoming, "failed", "garbage.pcap.error.txt")), time);

            // Past the next Monday 00:00 JST the rotation service makes epoch 2971 and destroys 2970.
            time.Advance(TimeSpan.FromDays(6));
            await WaitUntil(() => OperationHistoryStore.ReadAll(_dir).Any(e => e.Action == "keys.epoch.destroyed" && e.Subject.EndsWith("/2970", StringComparison.Ordinal)), time);
            await host.StopAsync();

            // Leave the continuation of the stopped services before the host's synchronous Dispose: it waits for their
            // stores, and must not run on the stack of one of them (a hang seen in a full run).
            await Task.Yield();
        }

        // Logs carry ids and counts, never what the traffic said (STYLE §10).
        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("passwd", StringComparison.Ordinal) || l.Contains("X5O!P", StringComparison.Ordinal) || l.Contains("UNION+ALL", StringComparison.Ordinal));

        // sensor-1.pcap is the demo's own capture again: the same source, so its 12 records are not stored twice.
        var stats = Cli.Run("store", "stats", "--data", _dir);
        Assert.Contains("12 record(s)", stats.Out, StringComparison.Ordinal);
        Assert.Contains(OperationHistoryStore.ReadAll(_dir), e => e.Action == "capture.file.ingested" && e.Subject == "capture/sensor-1.pcap" && e.Details.Contains(" stored=0 duplicates=12 ", StringComparison.Ordinal));
        var verify = Cli.Run("audit", "verify", "--data", _dir);
        Assert.True(verify.ExitCode == 0, verify.Out + verify.Error);
        // R6.4: stopping the host signs a checkpoint of the last entry, and the witness beside the data has it.
        var intact = Assert.IsType<Core.Audit.HistoryVerification.Intact>(OperationHistoryStore.Verify(_dir, _dir + ".witness", null));
        Assert.Equal(intact.Entries, intact.SignedThrough);
        Assert.Equal(intact.LastCheckpoint, intact.LastWitnessed);
        Assert.Contains("witnessed up to", verify.Out, StringComparison.Ordinal);
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(Lines);

        public void Dispose()
        {
        }

        private sealed class Logger(System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception) + " " + exception);
        }
    }

    // Bounded: polls the condition while moving the fake clock by the poll interval; fails after 600 rounds (about 30 s).
    private static async Task WaitUntil(Func<bool> condition, FakeTimeProvider time)
    {
        for (var i = 0; i < 600; i++)
        {
            if (condition())
            {
                return;
            }

            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        Assert.Fail("the service did not get there in 600 rounds");
    }
}
