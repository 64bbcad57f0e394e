using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.ParticipantSide;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary>The running service destroys keys on schedule: missed epochs first at start, grants' key copies at their end (R8.4, R8.6).</summary>
public sealed class ScheduledDestructionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-destruction-").FullName;

    private string Data => Path.Combine(_root, "data");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait("Requirement", "R8.4")]
    public async Task R8_4_an_epoch_the_service_missed_is_destroyed_at_start_before_anything_else_with_its_lateness()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero));
        var participant = new ParticipantId("u-tokyo");
        long epoch;
        await using (var data = SocsData.Open(Data, time))
        {
            using var ca = DevelopmentCa.OpenOrCreate(Data, time);
            await data.Registry.AppendAsync(
            [
                new ApplicationSubmitted(time.GetUtcNow(), "a", participant, "U", [IPPrefix.Parse("192.0.2.0/24")], ["soc@u.example"], [new OperatorContact("sato", "sato@u.example", null, true)]),
                new ApplicationApproved(time.GetUtcNow(), "a"),
            ]);
            var (_, csr) = OperatorKeys.Generate(Path.Combine(_root, "sato"), "sato", ClientKeyType.EcP256);
            var enrolled = await CertificateEnrolment.EnrolAsync(data, ca, participant, "sato@u.example", await File.ReadAllBytesAsync(csr), "test");
            Assert.True(enrolled.Rotation!.Created);
            epoch = enrolled.Rotation.Current.Index;
        }

        // Down for nine days: the epoch ended two days ago, its sealed key is still on disk.
        time.Advance(TimeSpan.FromDays(9));
        await using (var data = SocsData.Open(Data, time))
        {
            Assert.Contains(data.Keys.SealedKeyEpochs(participant), e => e.Index == epoch);
            await new KeyCatchUpService(data, Microsoft.Extensions.Options.Options.Create(new Nii.Socs.Host.Configuration.KeyServiceOptions())).StartAsync(CancellationToken.None);
            Assert.DoesNotContain(data.Keys.SealedKeyEpochs(participant), e => e.Index == epoch);
            var destroyed = data.History.Entries().Single(e => e.Action == "keys.epoch.destroyed");
            Assert.Equal($"keys/u-tokyo/{epoch}", destroyed.Subject);
            Assert.Contains("late by", destroyed.Details, StringComparison.Ordinal);
        }

        // The catch-up is the first hosted service, so it runs before capture and the portal start.
        var services = new ServiceCollection();
        services.AddSocsPipeline();
        Assert.Equal(typeof(KeyCatchUpService), services.First(d => d.ServiceType == typeof(IHostedService)).ImplementationType);
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public async Task R8_4_a_participant_whose_rotation_fails_never_stops_another_participants_rotation_or_destruction()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero));
        var (broken, healthy) = (new ParticipantId("aa-broken"), new ParticipantId("zz-healthy"));
        await using var data = SocsData.Open(Data, time);
        using var ca = DevelopmentCa.OpenOrCreate(Data, time);
        var i = 0;
        foreach (var p in new[] { broken, healthy })
        {
            await data.Registry.AppendAsync(
            [
                new ApplicationSubmitted(time.GetUtcNow(), $"a{i}", p, p.Value, [IPPrefix.Parse($"192.0.{i}.0/24")], [$"soc@{p}.example"], [new OperatorContact("op", $"op@{p}.example", null, true)]),
                new ApplicationApproved(time.GetUtcNow(), $"a{i++}"),
            ]);
            var (_, csr) = OperatorKeys.Generate(Path.Combine(_root, p.Value), "op", ClientKeyType.EcP256);
            await CertificateEnrolment.EnrolAsync(data, ca, p, $"op@{p}.example", await File.ReadAllBytesAsync(csr), "test");
        }

        // A certificate registered without its file (what `portal issue` used to do): the broken participant's rotation fails.
        await data.Registry.AppendAsync([new CertificateIssued(time.GetUtcNow(), broken, new string('a', 64), "op@aa-broken.example")]);
        var before = data.Keys.SealedKeyEpochs(healthy).Single();
        time.Advance(TimeSpan.FromDays(7));
        var rotations = await KeyEpochs.RotateAllAsync(data);

        Assert.Equal([healthy], rotations.Select(r => r.Current.Participant));
        Assert.DoesNotContain(before, data.Keys.SealedKeyEpochs(healthy));
        Assert.Single(data.Keys.SealedKeyEpochs(healthy));
        Assert.Empty(data.Keys.SealedKeyEpochs(broken));
        Assert.Contains(data.History.Entries(), e => e.Action == "keys.rotation.failed" && e.Subject == $"keys/{broken}");
        Assert.Contains(data.History.Entries(), e => e.Action == "keys.epoch.destroyed" && e.Subject.StartsWith($"keys/{broken}/", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task R8_6_the_running_service_destroys_a_grants_key_copy_at_the_grants_expiry()
    {
        var people = Path.Combine(_root, "people");
        Assert.Equal(0, Cli.Cli.Run("demo", "--no-serve", "--data", Data, "--people", people).ExitCode);
        var request = Cli.Cli.Run("consent", "request", "--data", Data, "--participant", "u-tokyo", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-02T00:00:00Z", "--purpose", "p", "--requester", "staff:yamada");
        var id = request.Out.Split('\n')[0].Split('\t')[1];
        var operatorDirectory = Path.Combine(people, "participants", "u-tokyo");
        Assert.Equal(0, Cli.Cli.Run("consent", "export-request", "--data", Data, "--request", id, "--out", Path.Combine(_root, "r.json")).ExitCode);
        Assert.Equal(0, Cli.Cli.Run("participant", "approve", "--request", Path.Combine(_root, "r.json"), "--certificate", Path.Combine(operatorDirectory, "sato.crt.pem"), "--private-key", Path.Combine(operatorDirectory, "sato.key.pem"), "--grant-hours", "1", "--out", Path.Combine(_root, "a.p7m")).ExitCode);
        var approve = Cli.Cli.Run("consent", "approve", "--data", Data, "--approval", Path.Combine(_root, "a.p7m"));
        Assert.True(approve.ExitCode == 0, approve.Error);
        var grant = approve.Out.Split('\n')[0].Split('\t')[1];
        var copy = Path.Combine(Data, ConsentStoreDirectory, "grants", grant);
        Assert.True(Directory.Exists(copy) && Directory.GetFiles(copy).Length > 0);

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var data = SocsData.Open(Data, time);
        using var service = new GrantExpiryService(data, time, NullLogger<GrantExpiryService>.Instance);
        await service.StartAsync(CancellationToken.None);
        try
        {
            await Task.Delay(200);
            Assert.True(Directory.Exists(copy), "the copy is kept while the grant lives");
            time.Advance(TimeSpan.FromMinutes(61));
            for (var i = 0; i < 100 && Directory.Exists(copy); i++)
            {
                await Task.Delay(50);
            }

            Assert.False(Directory.Exists(copy), "the grant's key copy outlived the grant");
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    private static string ConsentStoreDirectory => Core.Storage.Consent.ConsentStore.DirectoryName;
}
