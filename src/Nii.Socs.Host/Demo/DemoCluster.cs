using System.Diagnostics;
using System.Globalization;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Configuration;

namespace Nii.Socs.Host.Demo;

/// <summary>The cluster <c>socs demo --storage postgresql</c> runs on: the one <c>Socs:Storage:ConnectionString</c>
/// names, or a 3-node cluster started with <c>scripts/cluster.sh up</c> in a temporary directory and stopped with its
/// <c>down</c> (by the pids the script recorded) when the demo ends.</summary>
/// <remarks>Every demo run gets a schema of its own (<c>demo_&lt;time&gt;_&lt;random&gt;</c>), so a run never meets an
/// earlier run's participants and never touches another schema of a cluster it was given.</remarks>
internal sealed class DemoCluster : IAsyncDisposable
{
    private readonly TextWriter _progress;
    private readonly string? _directory;

    private DemoCluster(TextWriter progress, string connectionString, string? directory, string schema)
    {
        _progress = progress;
        _directory = directory;
        Options = new StorageOptions { Provider = StorageProvider.PostgreSql, ConnectionString = connectionString, Schema = schema };
    }

    /// <summary>The storage settings the demo uses.</summary>
    public StorageOptions Options { get; }

    /// <summary>Whether this demo started the cluster (and stops it).</summary>
    public bool Started => _directory is not null;

    /// <summary>Uses <paramref name="connectionString"/> when given, else starts a cluster; prints what it does on <paramref name="progress"/>.</summary>
    /// <exception cref="CliUsageException">scripts/cluster.sh is not found (the demo runs from a source checkout).</exception>
    /// <exception cref="InvalidOperationException">The cluster did not start.</exception>
    public static async Task<DemoCluster> OpenAsync(string? connectionString, TimeProvider time, TextWriter progress, CancellationToken cancellationToken)
    {
        var schema = string.Create(CultureInfo.InvariantCulture, $"demo_{time.GetUtcNow():yyyyMMddHHmmss}_{Guid.NewGuid().ToString("N")[..6]}");
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            progress.WriteLine($"socs: demo on the cluster of {StorageOptions.SectionName}:ConnectionString, schema {schema}");
            return new DemoCluster(progress, connectionString, null, schema);
        }

        var script = Script();
        if (!OperatingSystem.IsLinux())
        {
            throw new CliUsageException($"--storage postgresql starts its cluster on Linux only; set {StorageOptions.SectionName}:ConnectionString to use a running cluster.");
        }

        var root = Directory.CreateTempSubdirectory("socs-demo-cluster-").FullName;

        // The cluster runs as the postgres user, which must reach its directory.
        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var directory = Path.Combine(root, "cluster");
        progress.WriteLine($"socs: starting a 3-node PostgreSQL cluster (etcd, Patroni) on 127.0.0.1: {script} up {directory}");
        var (code, output) = await RunAsync(script, "up", directory, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            Directory.Delete(root, recursive: true);
            throw new InvalidOperationException($"scripts/cluster.sh up failed ({code}): {output.Trim().Split('\n')[^1]}");
        }

        progress.WriteLine($"socs: {output.Split('\n').FirstOrDefault(l => l.StartsWith("cluster.sh: up", StringComparison.Ordinal))?.Trim() ?? "cluster up"}; schema {schema}");
        var connection = (await File.ReadAllTextAsync(Path.Combine(directory, "connection-string"), cancellationToken).ConfigureAwait(false)).Trim();
        return new DemoCluster(progress, connection, directory, schema);
    }

    /// <summary>Stops the cluster this demo started (scripts/cluster.sh down) and removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_directory is null)
        {
            return;
        }

        var (code, _) = await RunAsync(Script(), "down", _directory, CancellationToken.None).ConfigureAwait(false);
        _progress.WriteLine(code == 0 ? $"socs: stopped the demo's cluster (scripts/cluster.sh down {_directory})" : $"socs: scripts/cluster.sh down {_directory} failed ({code})");
        if (code == 0)
        {
            Directory.Delete(Path.GetDirectoryName(_directory)!, recursive: true);
        }
    }

    private static string Script()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "scripts", "cluster.sh");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new CliUsageException($"--storage postgresql: scripts/cluster.sh was not found above {AppContext.BaseDirectory}; set {StorageOptions.SectionName}:ConnectionString to use a running cluster.");
    }

    private static async Task<(int Code, string Output)> RunAsync(string script, string verb, string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(verb);
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash could not be started.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, (await stderr.ConfigureAwait(false)) + (await stdout.ConfigureAwait(false)));
    }
}
