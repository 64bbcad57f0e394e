using System.Diagnostics;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Tests.Operations;

/// <summary>docs/architecture.md: the admin channel runs verbs only for the user that runs the service (the caller's
/// uid is checked with SO_PEERCRED), even when the file modes would let another user connect; the other user reads the
/// service's one-line refusal and exit code 2.</summary>
public sealed class AdminChannelUserTests : IDisposable
{
    private const int Nobody = 65534;
    private readonly string _root = Directory.CreateTempSubdirectory("socs-admin-uid-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task The_admin_channel_refuses_another_users_verb_even_through_an_open_socket_and_serves_its_own()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Assert.Fail("this test runs as root on Linux (as ./test.sh does) to call the channel as another user");
            return;
        }

        Assert.True(File.Exists("/usr/bin/setpriv"), "setpriv (util-linux) is needed to call the channel as another user");
        var directory = Path.Combine(_root, "data");
        await using var data = SocsData.Open(directory, TimeProvider.System);
        await using var channel = AdminChannel.Start(new ServedData(data, null), TimeProvider.System);
        Assert.NotNull(channel);

        // Open every door the file system has: only the uid check is left between the other user and the service.
        const UnixFileMode open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        foreach (var path in new[] { _root, directory, Path.GetDirectoryName(channel.SocketPath)! })
        {
            File.SetUnixFileMode(path, open);
        }

        const UnixFileMode everyone = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        foreach (var file in new[] { channel.SocketPath, Path.Combine(directory, "run", "lock"), Path.Combine(directory, "run", "owner") })
        {
            File.SetUnixFileMode(file, everyone);
        }

        var entries = data.History.Entries().Count;

        var other = Run(["/usr/bin/setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp", "dotnet", Path.Combine(AppContext.BaseDirectory, "socs.dll"), "retention", "sweep", "--data", directory]);
        var afterOther = data.History.Entries().Count;
        var own = SocsProcess.Run(_root, "retention", "sweep", "--data", directory);

        Assert.True(other.Code == 2, other.Error);
        Assert.Equal("socs: the admin channel serves only the user that runs the service.", Assert.Single(other.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(entries, afterOther);
        Assert.True(own.Code == 0, own.Error);
        Assert.Contains("swept at ", own.Out, StringComparison.Ordinal);
        Assert.Equal(entries + 1, data.History.Entries().Count);
    }

    private static (int Code, string Error) Run(string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/tmp" };
        foreach (var arg in command[1..])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(120)), "the other user's socs did not finish");
        return (process.ExitCode, error.Result);
    }
}
