using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Host.Tests.Operations;

/// <summary>A service manager's contract (issue #15): SIGTERM and SIGINT stop every long-running verb within 10 s, with
/// the stores closed and a final checkpoint that covers the last entry of the history.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignalTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-signal-").FullName;

    private string Data => Path.Combine(_root, "data");

    [Theory]
    [Trait("Requirement", "R6.4")]
    [InlineData("serve", "TERM")]
    [InlineData("serve", "INT")]
    [InlineData("demo", "TERM")]
    [InlineData("portal", "TERM")]
    [InlineData("portal", "INT")]
    public async Task A_signal_stops_the_verb_within_10_s_with_the_last_entry_checkpointed(string verb, string signal)
    {
        string[] args;
        string ready;
        switch (verb)
        {
            case "serve":
                args = ["serve", "--set", "Socs:Data:Directory=data", "--set", "Socs:Portal:Port=0", "--set", "Socs:Capture:IncomingDirectory=data/incoming"];
                ready = "Application started";
                break;
            case "demo":
                args = ["demo", "--data", "data", "--set", "Socs:Portal:Port=0"];
                ready = "press Ctrl+C";
                break;
            default:
                Assert.Equal(0, Cli.Cli.Run("demo", "--no-serve", "--data", Data).ExitCode);
                args = ["portal", "serve", "--data", "data", "--port", "0"];
                ready = "Ctrl+C stops";
                break;
        }

        using var process = SocsProcess.Start(_root, args);
        await process.WaitForOutputAsync(ready, TimeSpan.FromSeconds(90));
        var stopped = process.Signal(signal, TimeSpan.FromSeconds(10));
        Assert.True(stopped is not null, $"socs {verb} did not stop within 10 s of SIG{signal}: {process.Out}\n{process.Error}");
        Assert.True(process.ExitCode == 0, process.Error);

        var verified = OperationHistoryStore.Verify(Data);
        Assert.True(verified is HistoryVerification.Intact, verified.ToString());
        var entries = OperationHistoryStore.ReadAll(Data);
        Assert.NotEmpty(entries);
        Assert.Equal(entries[^1].Sequence, OneOwnerTests.LastCheckpointSequence(Data));

        // The lock went with the process: the directory opens again.
        Assert.Equal(0, Cli.Cli.Run("retention", "sweep", "--data", Data, "--dry-run").ExitCode);
    }

    [Fact]
    public void Portal_serve_of_a_missing_directory_exits_2_and_creates_nothing()
    {
        var missing = Path.Combine(_root, "missing");
        var result = Cli.Cli.Run("portal", "serve", "--data", missing, "--port", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"socs: --data must be an existing data directory; got '{missing}'.\n", result.Error);
        Assert.False(Directory.Exists(missing));
        Assert.False(Directory.Exists(missing + ".secrets"));
    }

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
    }
}
