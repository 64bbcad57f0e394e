using System.Text.Json;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Cli;
using Nii.Socs.Storage.PostgreSql;
using static Nii.Socs.Storage.Tests.TestKit;

namespace Nii.Socs.Storage.Tests;

/// <summary><c>socs store ship</c>: Socs:Storage selects the cluster; the data directory's detections reach it.</summary>
[Collection(ClusterTests.Name)]
public sealed class StoreShipCommandTests(ClusterFixture cluster) : IAsyncLifetime
{
    private readonly string _schema = ClusterFixture.NewSchema();
    private readonly string _root = Directory.CreateTempSubdirectory("socs-ship-").FullName;

    private string Data => Path.Combine(_root, "data");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var name in new[] { "SOCS_Storage__Provider", "SOCS_Storage__ConnectionString", "SOCS_Storage__Schema" })
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        await cluster.DropSchemaAsync(_schema);
        Directory.Delete(_root, recursive: true);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var code = CliApp.Run(args, stdout, stderr, new CliContext(stdout, stderr, TimeProvider.System));
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task Ship_refuses_without_the_PostgreSql_provider_and_ships_to_the_configured_cluster_with_it()
    {
        var now = TimeProvider.System.GetUtcNow();
        var records = Enumerable.Range(0, 120).Select(i => Record(UTokyo, now.AddMinutes(-i - 1))).ToList();
        using (var spool = DetectionStore.Open(Data, RetentionSchedule.Default, TimeProvider.System))
        {
            Assert.Equal(120, await spool.AppendAsync(records));
        }

        // The stores' files and sizes (the CLI's own run/lock aside) must not change when the verb refuses.
        List<string> Snapshot() => [.. Directory.GetFiles(Data, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}run{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => $"{f}:{new FileInfo(f).Length}").Order(StringComparer.Ordinal)];
        var before = Snapshot();
        var refused = Run("store", "ship", "--data", Data);
        Assert.Equal(2, refused.Code);
        Assert.Single(refused.Err.Trim().Split('\n'));
        Assert.Contains("Socs:Storage:Provider=PostgreSql", refused.Err, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());

        Environment.SetEnvironmentVariable("SOCS_Storage__Provider", "PostgreSql");
        var missing = Run("store", "ship", "--data", Data);
        Assert.Equal(2, missing.Code);
        Assert.Contains("Socs:Storage:ConnectionString is required", missing.Err, StringComparison.Ordinal);

        Environment.SetEnvironmentVariable("SOCS_Storage__ConnectionString", cluster.ConnectionString);
        Environment.SetEnvironmentVariable("SOCS_Storage__Schema", _schema);
        var shipped = Run("store", "ship", "--data", Data, "--json");
        Assert.True(shipped.Code == 0, shipped.Err);
        using (var json = JsonDocument.Parse(shipped.Out))
        {
            Assert.Equal(120, json.RootElement.GetProperty("read").GetInt64());
            Assert.Equal(120, json.RootElement.GetProperty("stored").GetInt64());
        }

        var again = Run("store", "ship", "--data", Data);
        Assert.Equal(0, again.Code);
        Assert.Contains("120 read, 0 newly stored", again.Out, StringComparison.Ordinal);

        await using var storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema);
        using var target = storage.Detections();
        var page = await target.QueryAsync(new DetectionQuery { Participant = UTokyo, From = now.AddDays(-1), To = now, Limit = 1000 });
        Assert.Equal(records.Select(r => r.Id.Value).Order(), page.Records.Select(r => r.Id.Value).Order());

        // On the PostgreSql provider the host's history is the cluster's: each pass is recorded there.
        Assert.Equal(2, storage.History().Entries().Count(e => e.Action == "detections.shipped"));
    }
}
