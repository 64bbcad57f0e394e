using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Storage.PostgreSql;
using static Nii.Socs.Storage.Tests.TestKit;

namespace Nii.Socs.Storage.Tests;

/// <summary>The spool-to-cluster shipping flow the reference host runs (it was the package README's snippet until the
/// provider's types became internal in the API review of #18; the README now points to docs/api.md), run against the cluster.</summary>
[Collection(ClusterTests.Name)]
public sealed class PackageReadmeTests(ClusterFixture cluster)
{
    [Fact]
    public async Task The_host_ships_a_spool_to_the_cluster()
    {
        var data = Directory.CreateTempSubdirectory("socs-readme-").FullName;
        var now = TimeProvider.System.GetUtcNow();
        using (var spool = DetectionStore.Open(data, RetentionSchedule.Default, TimeProvider.System))
        {
            await spool.AppendAsync([Record(UTokyo, now.AddMinutes(-1)), Record(UTokyo, now.AddMinutes(-2))]);
        }

        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            // The flow targets the default schema "socs" of the cluster's database.
            await ShipAsync(data, cluster.ConnectionString);
        }
        finally
        {
            Console.SetOut(original);
            Directory.Delete(data, recursive: true);
            await cluster.DropSchemaAsync(PostgreSqlStorage.DefaultSchema);
        }

        Assert.Equal("2 read, 2 stored, 0 partition(s) trimmed", output.ToString().Trim());

        // As the host ships (socs store ship):
        static async Task ShipAsync(string dataDirectory, string connectionString)
        {
            await using var storage = await PostgreSqlStorage.OpenAsync(connectionString);
            using var cluster = storage.Detections();
            using var spool = DetectionStore.Open(dataDirectory);
            var report = await new DetectionShipper(spool, cluster, TimeProvider.System).ShipAsync();
            Console.WriteLine($"{report.Read} read, {report.Stored} stored, {report.Trimmed.Count} partition(s) trimmed");
        }
    }
}
