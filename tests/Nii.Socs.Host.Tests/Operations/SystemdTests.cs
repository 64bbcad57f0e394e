using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Nii.Socs.Host.Tests.Operations;

/// <summary>The systemd unit under <c>deploy/systemd/</c> and <c>Type=notify</c> readiness of <c>socs serve</c> (issue #15).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemdTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-systemd-").FullName;

    [Fact]
    public void The_unit_is_hardened_and_capture_alone_gets_CAP_NET_RAW()
    {
        var unit = File.ReadAllText(Path.Combine(Repository(), "deploy", "systemd", "socs.service"));
        foreach (var line in new[] { "Type=notify", "ProtectSystem=strict", "ReadWritePaths=/var/lib/socs", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "AmbientCapabilities=\n", "KillSignal=SIGTERM" })
        {
            Assert.Contains(line, unit, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("CAP_", unit.Split('\n').Where(l => !l.StartsWith('#')).Aggregate(string.Empty, (a, l) => a + l), StringComparison.Ordinal);
        var capture = File.ReadAllText(Path.Combine(Repository(), "deploy", "systemd", "live-capture.conf"));
        Assert.Contains("CapabilityBoundingSet=CAP_NET_RAW\n", capture, StringComparison.Ordinal);
        Assert.Contains("AmbientCapabilities=CAP_NET_RAW\n", capture, StringComparison.Ordinal);
    }

    [Fact]
    public void Systemd_analyze_verify_accepts_the_unit_and_its_drop_in_without_a_warning()
    {
        // scripts/install-deps.sh installs it (package systemd) for ./test.sh, so its absence is a failure, not a skip.
        const string tool = "/usr/bin/systemd-analyze";
        Assert.True(File.Exists(tool), tool + " is missing: run scripts/install-deps.sh");

        // ExecStart must name an executable that exists here: the dotnet that runs these tests.
        var unit = File.ReadAllText(Path.Combine(Repository(), "deploy", "systemd", "socs.service"));
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileName(p) == "dotnet" ? p : "/usr/bin/dotnet";
        File.WriteAllText(Path.Combine(_root, "socs.service"), unit.Replace("/usr/bin/dotnet", dotnet, StringComparison.Ordinal));
        Directory.CreateDirectory(Path.Combine(_root, "socs.service.d"));
        File.Copy(Path.Combine(Repository(), "deploy", "systemd", "live-capture.conf"), Path.Combine(_root, "socs.service.d", "live-capture.conf"));
        var start = new ProcessStartInfo(tool, ["verify", Path.Combine(_root, "socs.service")]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var verify = Process.Start(start)!;
        var output = verify.StandardOutput.ReadToEnd() + verify.StandardError.ReadToEnd();
        verify.WaitForExit();
        Assert.True(verify.ExitCode == 0 && output.Length == 0, output);
    }

    [Fact]
    public async Task Serve_tells_systemd_it_is_ready_once_started_and_that_it_stops_on_SIGTERM()
    {
        // systemd's notification socket, and a parent process named "systemd" as under the service manager.
        var notify = Path.Combine(_root, "notify");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(notify));
        var systemd = Path.Combine(_root, "systemd");
        File.Copy("/bin/sh", systemd);
        File.SetUnixFileMode(systemd, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var start = new ProcessStartInfo(systemd) { WorkingDirectory = _root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"dotnet '{Path.Combine(AppContext.BaseDirectory, "socs.dll")}' serve --set Socs:Data:Directory=data --set Socs:Portal:Port=0 --set Socs:Capture:IncomingDirectory=data/incoming; echo exit=$?");
        start.Environment["NOTIFY_SOCKET"] = notify;
        using var parent = Process.Start(start)!;
        try
        {
            var buffer = new byte[256];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.Equal("READY=1", Encoding.UTF8.GetString(buffer, 0, received));
            Assert.True(File.Exists(Path.Combine(_root, "data", "run", "admin.sock")), "READY=1 came before the service was up");

            var pid = int.Parse(File.ReadAllText(Path.Combine(_root, "data", "run", "owner")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            using (var kill = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.Equal("STOPPING=1", Encoding.UTF8.GetString(buffer, 0, received));
            Assert.True(parent.WaitForExit(10_000));
            Assert.Contains("exit=0", await parent.StandardOutput.ReadToEndAsync(), StringComparison.Ordinal);
        }
        finally
        {
            if (!parent.HasExited)
            {
                parent.Kill(entireProcessTree: true);
            }
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    internal static string Repository()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Nii.Socs.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("the repository root is not above the test's folder");
    }
}
