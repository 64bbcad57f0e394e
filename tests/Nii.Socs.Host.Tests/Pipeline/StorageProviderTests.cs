using Microsoft.Extensions.Configuration;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary><c>Socs:Storage</c> as the host reads it, and the shipper's retry schedule (docs/scale-out.md).</summary>
public sealed class StorageProviderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-provider-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static StorageOptions Bind(params (string Key, string Value)[] settings) =>
        StorageOptions.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    private static List<string> Failures(StorageOptions options) =>
        new StorageOptionsValidator().Validate(null, options) is { Failed: true } r ? [.. r.Failures!] : [];

    [Fact]
    public void The_provider_is_read_by_name_and_an_unknown_one_or_a_missing_connection_string_is_one_failure()
    {
        Assert.Equal(StorageProvider.Faster, Bind().Provider);
        Assert.Empty(Failures(Bind()));
        Assert.Equal(StorageProvider.PostgreSql, Bind(("Socs:Storage:Provider", "postgresql"), ("Socs:Storage:ConnectionString", "Host=127.0.0.1")).Provider);
        Assert.Equal(["Socs:Storage:Provider must be Faster or PostgreSql (was 'Oracle')"], Failures(Bind(("Socs:Storage:Provider", "Oracle"))));
        Assert.Equal(["Socs:Storage:Provider must be Faster or PostgreSql (was '1')"], Failures(Bind(("Socs:Storage:Provider", "1"))));
        Assert.Equal(["Socs:Storage:ConnectionString is required when Socs:Storage:Provider is PostgreSql"], Failures(Bind(("Socs:Storage:Provider", "PostgreSql"))));
        Assert.Single(Failures(Bind(("Socs:Storage:ShipInterval", "00:00:00.050"))));
        Assert.Equal(TimeSpan.FromSeconds(2), Bind(("Socs:Storage:ShipInterval", "00:00:02")).ShipInterval);
    }

    [Fact]
    public async Task On_the_Faster_provider_the_spool_is_the_detection_store_and_there_is_no_cluster()
    {
        await using var data = SocsData.Open(Path.Combine(_root, "data"), TimeProvider.System, storage: new StorageOptions());
        Assert.Equal(StorageProvider.Faster, data.Provider);
        Assert.Null(data.Cluster);
        Assert.Same(data.Spool, data.Detections);
        Assert.NotNull(data.LocalHistory);
    }

    [Fact]
    public void A_failed_shipping_pass_is_retried_after_half_a_second_doubling_to_ten_seconds()
    {
        Assert.Equal(
            [0.5, 1, 2, 4, 8, 10, 10],
            Enumerable.Range(1, 7).Select(n => DetectionShipperService.Backoff(n).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(10), DetectionShipperService.Backoff(int.MaxValue));
    }
}
