using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Hosting;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Consent;
using Nii.Socs.Core.Tests.Hosting;
using Nii.Socs.Storage.PostgreSql;

namespace Nii.Socs.Storage.Tests;

/// <summary>A package consumer's node on the cluster (<c>services.AddNiiSocs(…).UsePostgreSql(…)</c>): the same consent
/// round trip as on FASTER, and what it did is on the cluster: the sealed record, the consent events, a signed history.</summary>
[Collection(ClusterTests.Name)]
public sealed class ClusterNodeTests(ClusterFixture cluster) : IAsyncLifetime
{
    private static readonly ParticipantId s_p = new("u-tokyo");
    private readonly string _schema = ClusterFixture.NewSchema();
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("socs-cluster-node-");

    public async Task InitializeAsync() =>
        Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60)), "the cluster is not healthy before the test");

    public async Task DisposeAsync()
    {
        await cluster.DropSchemaAsync(_schema);
        _temp.Delete(recursive: true);
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task A_consent_round_trip_through_the_container_runs_on_the_cluster_and_leaves_its_record_events_and_signed_history_there()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero));
        var data = Path.Combine(_temp.FullName, "data");
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time);
        services.AddNiiSocs(o => o.KeyEncryptionKeyFile = Path.Combine(_temp.FullName, "host.kek")).UsePostgreSql(data, cluster.ConnectionString, _schema);
        Core.Detections.DetectionRecord record;
        await using (var provider = services.BuildServiceProvider())
        {
            var node = provider.GetRequiredService<SocsNode>();
            Assert.Same(node.Consent, provider.GetRequiredService<ConsentService>());
            record = await NodeRoundTrip.RunAsync(node, time, s_p);
        }

        await using var storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema);
        using var detections = storage.Detections();
        var stored = await detections.FindAsync(s_p, record.Id);
        Assert.NotNull(stored);
        Assert.Equal(record.SealedContent.ToArray(), stored.SealedContent.ToArray());
        Assert.False(stored.SealedContent.Span.IndexOf("GET /../etc/passwd"u8) >= 0, "the cluster holds the content in clear");

        using var consent = await storage.ConsentLogAsync();
        var events = consent.Events();
        Assert.Single(events.OfType<ConsentEvent.Requested>());
        Assert.Single(events.OfType<ConsentEvent.Approved>());
        Assert.Equal(record.Id, Assert.Single(events.OfType<ConsentEvent.Viewed>()).Record);

        await using var history = storage.History();
        using var signing = OperationHistoryStore.OpenSigningKey(data);
        var verification = await history.VerifyAsync(signing.PublicKey);
        var intact = Assert.IsType<HistoryVerification.Intact>(verification);
        Assert.Equal(history.Count, intact.SignedThrough);
        Assert.True(history.Count >= 3, $"only {history.Count} history entries");
    }
}
