using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Tests.Operations;

/// <summary>One owner of a data directory (issue #15): the lock, the admin channel, read-only verbs beside a running
/// service, and the README tour in a second shell while <c>socs demo</c> serves.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OneOwnerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-owner-").FullName;

    private string Data => Path.Combine(_root, "data");

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task The_README_tour_runs_in_a_second_shell_while_the_demo_serves_and_the_history_stays_intact()
    {
        using var demo = SocsProcess.Start(_root, "demo", "--data", "data", "--set", "Socs:Portal:Port=0");
        await demo.WaitForOutputAsync("press Ctrl+C", TimeSpan.FromSeconds(90));
        Assert.True(File.Exists(Path.Combine(Data, "run", "admin.sock")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Data, "run", "admin.sock")));

        // Second writers are refused with one line naming the owner, and change nothing.
        var before = OperationHistoryStore.ReadAll(Data).Count;
        foreach (var args in new[]
        {
            new[] { "demo", "--no-serve", "--data", Data },
            ["portal", "serve", "--data", Data, "--port", "0"],
            ["serve", "--set", "Socs:Data:Directory=" + Data, "--set", "Socs:Portal:Port=0", "--set", "Socs:Capture:IncomingDirectory=" + Path.Combine(Data, "incoming")],
        })
        {
            var refused = Cli.Cli.Run(args);
            Assert.Equal(2, refused.ExitCode);
            Assert.Equal($"socs: the data directory {Data} is in use by process {demo.Id} (run/lock); stop it first, or run state-changing verbs while it serves\n", refused.Error);
        }

        Assert.Equal(before, OperationHistoryStore.ReadAll(Data).Count);

        // The tour (README.md), each verb in its own process with a relative --data, as an operator types it.
        var request = SocsProcess.Run(_root, "consent", "request", "--data", "data", "--participant", "u-tokyo", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-02T00:00:00Z", "--purpose", "follow-up", "--requester", "staff:yamada");
        Assert.True(request.Code == 0, request.Error);
        var requestId = Field(request.Out, "request");
        var export = SocsProcess.Run(_root, "consent", "export-request", "--data", "data", "--request", requestId, "--out", "request.json");
        Assert.True(export.Code == 0, export.Error);
        var signed = SocsProcess.Run(_root, "participant", "approve", "--request", "request.json", "--certificate", "participants/u-tokyo/sato.crt.pem", "--private-key", "participants/u-tokyo/sato.key.pem", "--out", "approval.p7m");
        Assert.True(signed.Code == 0, signed.Error);
        var approve = SocsProcess.Run(_root, "consent", "approve", "--data", "data", "--approval", "approval.p7m");
        Assert.True(approve.Code == 0, approve.Error);
        var record = demo.Out.Split("record ")[1].Split(' ')[0];
        var view = SocsProcess.Run(_root, "consent", "view", "--data", "data", "--grant", Field(approve.Out, "grant"), "--record", record);
        Assert.True(view.Code == 0, view.Error);
        Assert.Contains("GET /static/../../../../etc/passwd HTTP/1.1", view.Out, StringComparison.Ordinal);

        // A refusal inside the service is still one line and exit 2.
        var deny = SocsProcess.Run(_root, "consent", "deny", "--data", "data", "--request", "01a00000000000000000000000000000", "--reason", "x", "--operator", "sato");
        Assert.Equal(2, deny.Code);
        Assert.Single(deny.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // One portal request (the issue's reproduction wrote to the history from two processes here).
        var portal = new Uri(demo.Out.Split("portal                ")[1].Split(' ')[0]);
        Assert.Equal(HttpStatusCode.OK, await PortalGetAsync(portal, Path.Combine(_root, "staff", "yamada", "staff-yamada.p12")));

        // Read-only verbs read beside the owner without its lock, here and in another process.
        Assert.Equal("ok", Cli.Cli.Run("audit", "verify", "--data", Data).Out.Split(' ')[0]);
        var stats = SocsProcess.Run(_root, "store", "stats", "--data", "data");
        Assert.True(stats.Code == 0, stats.Error);
        Assert.Contains("12 record(s)", stats.Out, StringComparison.Ordinal);

        var stopped = demo.Signal("TERM", TimeSpan.FromSeconds(10));
        Assert.True(stopped is not null, "the demo did not stop within 10 s of SIGTERM");
        Assert.Equal(0, demo.ExitCode);

        var verified = OperationHistoryStore.Verify(Data);
        Assert.True(verified is HistoryVerification.Intact, verified.ToString());
        var entries = OperationHistoryStore.ReadAll(Data);
        Assert.Contains(entries, e => e.Action.StartsWith("consent.", StringComparison.Ordinal) && e.Actor == "staff:yamada");
        Assert.Equal(entries[^1].Sequence, LastCheckpointSequence(Data));
        Assert.False(File.Exists(Path.Combine(Data, "run", "admin.sock")));

        // With the service gone, the same verbs open the directory themselves again.
        Assert.Equal(0, Cli.Cli.Run("consent", "show", "--data", Data, "--request", requestId).ExitCode);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task Audit_verify_beside_a_writer_reads_committed_state_and_changes_nothing()
    {
        await using var history = OperationHistoryStore.Open(Data, TimeProvider.System, checkpointInterval: 7);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                await history.AppendAsync("system:test", "test.appended", $"entries/{n++}", "beside a reader");
            }

            return n;
        });

        while (history.Count < 3)
        {
            await Task.Delay(10);
        }

        for (var i = 0; i < 30; i++)
        {
            var before = Snapshot();
            var verified = OperationHistoryStore.Verify(Data);
            Assert.True(verified is HistoryVerification.Intact, verified.ToString());
            Assert.NotEmpty(OperationHistoryStore.ReadAll(Data));
            // The reader removed nothing (only the writer replaces its outdated commit records).
            Assert.All(before, f => Assert.True(File.Exists(f.Key), f.Key));
        }

        await stop.CancelAsync();
        var written = await writer;
        await history.DisposeAsync();
        Assert.True(OperationHistoryStore.Verify(Data) is HistoryVerification.Intact);
        Assert.Equal(written, OperationHistoryStore.ReadAll(Data).Count);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public void A_copy_of_a_stopped_data_directory_restores_elsewhere_without_the_KEK_and_verifies()
    {
        PrepareDemo();
        var restored = Path.Combine(_root, "restored");
        foreach (var file in Directory.EnumerateFiles(Data, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Data, file);
            Assert.False(relative.EndsWith(".kek", StringComparison.Ordinal), "the key-encryption key must not be inside the data directory");
            if (relative.StartsWith("run" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue; // lock, owner pid and socket belong to the running process, not to the data
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(restored, relative))!);
            File.Copy(file, Path.Combine(restored, relative));
        }

        // The restored copy is checked against the organization's witness, which stays where it was (R6.4).
        Assert.Equal(Cli.Cli.Run("audit", "verify", "--data", Data).Out, Cli.Cli.Run("audit", "verify", "--data", restored, "--witness", Data + ".witness").Out);
        Assert.Equal(Cli.Cli.Run("store", "stats", "--data", Data).Out, Cli.Cli.Run("store", "stats", "--data", restored).Out);
    }

    [Fact]
    public void The_lock_is_counted_within_a_process_and_released_with_the_last_hold()
    {
        Directory.CreateDirectory(Data);
        using (var first = DataDirectoryLock.Acquire(Data))
        {
            using var second = DataDirectoryLock.Acquire(Data);
            Assert.True(DataDirectoryLock.HeldHere(Data));
            Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(Data, "run", "owner")).Trim());
        }

        Assert.False(DataDirectoryLock.HeldHere(Data));
        var other = SocsProcess.Run(_root, "retention", "sweep", "--data", Data, "--dry-run");
        Assert.True(other.Code == 0, other.Error);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task Serve_runs_sweep_certificate_issue_follow_up_and_stats_for_another_process_on_its_own_stores()
    {
        PrepareDemo();
        using var serve = SocsProcess.Start(_root, "serve", "--set", "Socs:Data:Directory=data", "--set", "Socs:Portal:Port=0", "--set", "Socs:Capture:IncomingDirectory=data/incoming");
        await serve.WaitForOutputAsync("Application started", TimeSpan.FromSeconds(60));

        var sweep = SocsProcess.Run(_root, "retention", "sweep", "--data", "data", "--dry-run");
        Assert.True(sweep.Code == 0, sweep.Error);
        Assert.Contains("dry run at ", sweep.Out, StringComparison.Ordinal);
        Assert.Equal(0, SocsProcess.Run(_root, "participant", "keygen", "--out", "suzuki-keys", "--name", "staff-suzuki").Code);
        var issue = SocsProcess.Run(_root, "certificates", "enrol-staff", "--data", "data", "--name", "suzuki", "--csr", "suzuki-keys/staff-suzuki.csr.pem", "--out", "suzuki-keys/staff-suzuki.received.pem");
        Assert.True(issue.Code == 0, issue.Error);
        Assert.True(File.Exists(Path.Combine(_root, "suzuki-keys", "staff-suzuki.received.pem")));
        Assert.Empty(Directory.GetFiles(Data, "*.key.pem", SearchOption.AllDirectories));
        var followUp = SocsProcess.Run(_root, "mail", "follow-up", "--data", "data", "--participant", "u-tokyo", "--sid", "1000001", "--knowledge", "A traversal probe.", "--countermeasures", "Patch the server.", "--staff", "yamada");
        Assert.True(followUp.Code == 0, followUp.Error);
        // The demo queued 11 mails: 7 detection mails and 4 procedure mails (two applications, two approvals).
        Assert.Contains("queued #12", followUp.Out, StringComparison.Ordinal);
        var stats = SocsProcess.Run(_root, "store", "stats", "--data", "data");
        Assert.True(stats.Code == 0, stats.Error);
        Assert.Contains("12 record(s)", stats.Out, StringComparison.Ordinal);

        Assert.NotNull(serve.Signal("TERM", TimeSpan.FromSeconds(10)));
        var verified = OperationHistoryStore.Verify(Data);
        Assert.True(verified is HistoryVerification.Intact, verified.ToString());
        var entries = OperationHistoryStore.ReadAll(Data);
        Assert.Contains(entries, e => e.Action == "portal.staff.certificate.issued" && e.Subject == "staff/suzuki");
        Assert.Contains(entries, e => e.Action == "mail.followup.queued" && e.Actor == "org:yamada");
        Assert.Equal(entries[^1].Sequence, LastCheckpointSequence(Data));
        Assert.StartsWith("queued 12, sent 12, pending 0", Cli.Cli.Run("mail", "outbox", "--data", Data).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_verb_that_does_not_use_the_seam_waits_for_the_owner_to_stop()
    {
        using var owner = SocsProcess.Start(_root, "portal", "serve", "--data", PrepareDemo(), "--port", "0");
        await owner.WaitForOutputAsync("Ctrl+C stops", TimeSpan.FromSeconds(60));

        // research recipients add is not marked as served: refused while the portal owns the directory, changes nothing.
        var refused = Cli.Cli.Run("research", "recipients", "add", "--data", Data, "--name", "lab", "--organization", "Lab", "--contact", "lab@example.ac.jp");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"in use by process {owner.Id}", refused.Error, StringComparison.Ordinal);

        Assert.NotNull(owner.Signal("INT", TimeSpan.FromSeconds(10)));
        Assert.Equal(0, owner.ExitCode);
    }

    [Fact]
    public void Arguments_forwarded_to_the_service_name_paths_absolutely()
    {
        Directory.CreateDirectory(Data);
        File.WriteAllText(Path.Combine(_root, "in.txt"), "x");
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = _root;
        try
        {
            var args = DataAccess.ForwardedArguments(["consent", "request", "--data", "data", "--purpose", "a/b", "--file", "in.txt", "--out", "data/new.csv", "--requester", "staff:x"], 2);
            Assert.Equal(["consent", "request", "--data", Data, "--purpose", "a/b", "--file", Path.Combine(_root, "in.txt"), "--out", Path.Combine(Data, "new.csv"), "--requester", "staff:x"], args);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
    }

    // The writer replaces its commit records as it goes, so they can vanish between listing and reading: only the
    // other files are compared.
    private Dictionary<string, long> Snapshot() =>
        Directory.EnumerateFiles(Path.Combine(Data, "audit"), "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("log-commits", StringComparison.Ordinal))
            .ToDictionary(f => f, f => new FileInfo(f).Length);

    internal static long LastCheckpointSequence(string data)
    {
        var last = File.ReadAllLines(Path.Combine(data, "audit", "checkpoints.txt")).Last(l => l.Length > 0);
        return HistoryCheckpoint.TryParseLine(last, out var checkpoint) ? checkpoint!.Sequence : throw new InvalidDataException("not a checkpoint line: " + last);
    }

    private string PrepareDemo()
    {
        Assert.Equal(0, Cli.Cli.Run("demo", "--no-serve", "--data", Data).ExitCode);
        return Data;
    }

    private static string Field(string output, string name) =>
        output.Split('\n').First(l => l.StartsWith(name + "\t", StringComparison.Ordinal)).Split('\t')[1];

    private async Task<HttpStatusCode> PortalGetAsync(Uri baseAddress, string p12)
    {
        using var portal = new Portal.PortalClient(Data, baseAddress, p12);
        var client = portal.Http;
        var response = await client.GetAsync("/api/me");
        return response.StatusCode;
    }
}
