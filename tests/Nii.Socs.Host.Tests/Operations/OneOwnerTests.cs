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
        var key = SocsProcess.Run(_root, "keys", "unwrap", "--wrapped", "data/keys/u-tokyo/2969/wrapped.json", "--private-key", "data/pki/operators/u-tokyo-sato.key.pem");
        Assert.True(key.Code == 0, key.Error);
        var approve = SocsProcess.Run(_root, "consent", "approve", "--data", "data", "--request", requestId, "--key", "2969=" + key.Out.Trim(), "--operator", "sato");
        Assert.True(approve.Code == 0, approve.Error);
        var record = demo.Out.Split("record ")[1].Split(' ')[0];
        var view = SocsProcess.Run(_root, "consent", "view", "--data", "data", "--grant", Field(approve.Out, "grant"), "--record", record);
        Assert.True(view.Code == 0, view.Error);
        Assert.Contains("GET /static/../../../../etc/passwd HTTP/1.1", view.Out, StringComparison.Ordinal);

        // A refusal inside the service is still one line and exit 2.
        var deny = SocsProcess.Run(_root, "consent", "deny", "--data", "data", "--request", "01a00000000000000000000000000000", "--reason", "x", "--operator", "sato");
        Assert.Equal(2, deny.Code);
        Assert.Single(deny.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // One portal request (the reproduction wrote to the history from two processes here).
        var portal = new Uri(demo.Out.Split("portal                ")[1].Split(' ')[0]);
        Assert.Equal(HttpStatusCode.OK, await PortalGetAsync(portal, Path.Combine(Data, "pki", "operators", "staff-yamada.p12")));

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
            var args = DataAccess.ForwardedArguments(["consent", "request", "--data", "data", "--purpose", "a/b", "--file", "in.txt", "--out", "data/new.csv", "--requester", "staff:x"]);
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

    internal static long LastCheckpointSequence(string data)
    {
        var last = File.ReadAllLines(Path.Combine(data, "audit", "checkpoints.txt")).Last(l => l.Length > 0);
        return long.Parse(last.Split(' ')[1], CultureInfo.InvariantCulture);
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
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(p12, null);
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Data, "pki", "ca.crt.pem"));
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, server, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return server is X509Certificate2 s && chain.Build(s);
                },
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress };
        var response = await client.GetAsync("/api/me");
        return response.StatusCode;
    }
}
