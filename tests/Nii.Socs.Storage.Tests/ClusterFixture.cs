using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Nii.Socs.Storage.PostgreSql;
using Npgsql;

namespace Nii.Socs.Storage.Tests;

/// <summary>A 3-node PostgreSQL cluster (scripts/cluster.sh) for the tests of one run: started on free loopback
/// ports in a temporary directory, stopped by the pids the script recorded. <c>SOCS_TEST_CLUSTER_DIR</c> names an
/// already running cluster instead (it is then left running).</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private bool _owned;
    private string? _temp;

    public string Directory { get; private set; } = "";

    public string ConnectionString { get; private set; } = "";

    public TimeSpan StartTime { get; private set; }

    public IReadOnlyDictionary<string, string> Env { get; private set; } = new Dictionary<string, string>();

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "scripts", "cluster.sh")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("scripts/cluster.sh not found above the test directory.");
        }
    }

    public async Task InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable("SOCS_TEST_CLUSTER_DIR");
        if (!string.IsNullOrEmpty(given))
        {
            Directory = given;
        }
        else
        {
            _temp = System.IO.Directory.CreateTempSubdirectory("socs-cluster-").FullName;
            // The cluster runs as the postgres user, which must be able to reach its directory.
            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException("The cluster tests run on Linux.");
            }

            File.SetUnixFileMode(_temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            Directory = Path.Combine(_temp, "c");
            var watch = Stopwatch.StartNew();
            var (code, output) = await RunAsync("up", Directory);
            StartTime = watch.Elapsed;
            _owned = true;
            if (code != 0)
            {
                throw new InvalidOperationException($"scripts/cluster.sh up failed ({code}): {output}");
            }
        }

        ConnectionString = (await File.ReadAllTextAsync(Path.Combine(Directory, "connection-string"))).Trim();
        Env = File.ReadAllLines(Path.Combine(Directory, "cluster.env"))
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1]);
    }

    public async Task DisposeAsync()
    {
        if (_owned)
        {
            await RunAsync("down", Directory);
        }

        if (_temp is not null)
        {
            System.IO.Directory.Delete(_temp, recursive: true);
        }
    }

    /// <summary>Runs scripts/cluster.sh with arguments; returns its exit code and combined output.</summary>
    public static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoRoot, "scripts", "cluster.sh"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    public int Port(int node) => int.Parse(Env[$"PG_PORT_{node}"], CultureInfo.InvariantCulture);

    public string DataDirectory(int node) => Path.Combine(Directory, $"node{node}", "data");

    /// <summary>A superuser connection to one node (for checks the service role may not make: CHECKPOINT, roles).</summary>
    public string SuperuserConnection(int node) =>
        $"Host=127.0.0.1;Port={Port(node)};Database=socs;Username=postgres;Password={Env["SUPERUSER_PASSWORD"]};Pooling=false;Timeout=3";

    /// <summary>The service's connection string with every node, but preferring a standby (for reads).</summary>
    public string StandbyConnectionString => ConnectionString.Replace("Target Session Attributes=read-write", "Target Session Attributes=prefer-standby", StringComparison.Ordinal);

    public static string NewSchema() => "t_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>The node whose PostgreSQL is not in recovery; 0 when none answers.</summary>
    public async Task<int> LeaderAsync()
    {
        for (var n = 1; n <= 3; n++)
        {
            if (await ScalarAsync(n, "SELECT NOT pg_is_in_recovery()") is true)
            {
                return n;
            }
        }

        return 0;
    }

    public async Task<object?> ScalarAsync(int node, string sql)
    {
        try
        {
            await using var connection = new NpgsqlConnection(SuperuserConnection(node));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return await command.ExecuteScalarAsync();
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>Waits until a leader streams to two replicas, one synchronous.</summary>
    public async Task<bool> WaitHealthyAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            var leader = await LeaderAsync();
            if (leader != 0 && await ScalarAsync(leader, "SELECT count(*) FILTER (WHERE state = 'streaming') = 2 AND count(*) FILTER (WHERE sync_state = 'sync') = 1 FROM pg_stat_replication") is true)
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }

    /// <summary>Every file of every node's data directory (pg_wal included) that holds each marker, as paths relative to
    /// the cluster directory (<c>node2/data/pg_wal/…</c>).</summary>
    public Dictionary<string, List<string>> FilesContaining(params byte[][] markers)
    {
        var hits = markers.ToDictionary(Convert.ToHexString, _ => new List<string>());
        for (var n = 1; n <= 3; n++)
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(DataDirectory(n), "*", SearchOption.AllDirectories))
            {
                byte[] bytes;
                try
                {
                    bytes = File.ReadAllBytes(file);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
                {
                    // Removed while scanning (a WAL segment, a temporary file): it holds nothing any more.
                    continue;
                }

                foreach (var marker in markers)
                {
                    if (bytes.AsSpan().IndexOf(marker) >= 0)
                    {
                        hits[Convert.ToHexString(marker)].Add(Path.GetRelativePath(Directory, file));
                    }
                }
            }
        }

        return hits;
    }

    /// <summary>The node (1-3) a path from <see cref="FilesContaining"/> lies on.</summary>
    public static int NodeOf(string relativePath) => relativePath[4] - '0';

    /// <summary>Drops a test schema and its portal role.</summary>
    public async Task DropSchemaAsync(string schema)
    {
        var leader = await LeaderAsync();
        if (leader == 0)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(SuperuserConnection(leader));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE; DROP ROLE IF EXISTS {schema}_portal;", connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>One fresh schema on the cluster for one test: every storage opened on it, closed and the schema dropped at the
/// end (the provider half of each store contract).</summary>
internal sealed class ClusterSchema(ClusterFixture cluster)
{
    private readonly List<PostgreSqlStorage> _storages = [];

    public string Name { get; } = ClusterFixture.NewSchema();

    /// <summary>Opens another storage (its own connection pool) on the schema.</summary>
    public async Task<PostgreSqlStorage> OpenAsync()
    {
        var storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, Name);
        _storages.Add(storage);
        return storage;
    }

    /// <summary>Closes every storage and drops the schema (a test's cleanup).</summary>
    public async Task DropAsync()
    {
        foreach (var storage in _storages)
        {
            await storage.DisposeAsync();
        }

        await cluster.DropSchemaAsync(Name);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterTests : ICollectionFixture<ClusterFixture>
{
    public const string Name = "PostgreSQL cluster";
}
