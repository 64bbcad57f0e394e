using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Nii.Socs.Storage.PostgreSql;
using static Nii.Socs.Storage.Tests.TestKit;

namespace Nii.Socs.Storage.Tests;

/// <summary>What every <see cref="IRegistryStore"/> must do; run against FASTER and against the cluster.</summary>
public abstract class RegistryStoreContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly List<IRegistryStore> _open = [];

    /// <summary>Opens the registry (again): a new instance on the same store.</summary>
    private protected abstract Task<IRegistryStore> OpenAsync();

    /// <summary>A second writer beside <paramref name="first"/>: on PostgreSQL its own instance and connections; FASTER
    /// has one owner per directory, so there it is the same instance.</summary>
    private protected abstract Task<IRegistryStore> SecondWriterAsync(IRegistryStore first);

    protected abstract Task CleanupAsync();

    private protected async Task<IRegistryStore> Track(Task<IRegistryStore> opening)
    {
        var store = await opening;
        _open.Add(store);
        return store;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _open.Distinct())
        {
            store.Dispose();
        }

        await CleanupAsync();
    }

    /// <summary>Every kind of registry event for one participant, including ones the fold ignores.</summary>
    internal static List<RegistryEvent> Scenario(ParticipantId p, string tag = "")
    {
        var op = new OperatorContact("Sato", "sato@example.ac.jp", "+81-3-0000-0000", true);
        IPPrefix[] v4 = [IPPrefix.Parse("192.0.2.0/24")];
        return
        [
            new ApplicationSubmitted(T0, "app-1" + tag, p, "Institution " + p, [.. v4, IPPrefix.Parse("2001:db8::/32")], ["soc@example.ac.jp"], [op]),
            new ApplicationApproved(T0.AddHours(1), "app-1" + tag) { On = new DateOnly(2026, 4, 2) },
            new ApplicationApproved(T0.AddHours(1), "app-1" + tag),
            new ApplicationSubmitted(T0.AddHours(2), "app-2" + tag, p, "Again " + p, [.. v4], ["x@example.ac.jp"], []),
            new ApplicationRefused(T0.AddHours(3), "app-2" + tag, "duplicate") { Ground = RefusalReason.NotPrescribedWay },
            new PrefixesChanged(T0.AddHours(4), p, [IPPrefix.Parse("198.51.100.0/24")]),
            new ContactsChanged(T0.AddHours(5), p, ["soc@example.ac.jp", "cert@example.ac.jp"]),
            new OperatorsChanged(T0.AddHours(6), p, [op, new OperatorContact("Ito", "ito@example.ac.jp", null, false)]),
            new CertificateIssued(T0.AddHours(7), p, "aa11" + tag, "sato@example.ac.jp"),
            new CertificateRevoked(T0.AddHours(8), p, "aa11" + tag, "reported compromise"),
            new CertificateRevoked(T0.AddHours(8), p, "unknown" + tag, "ignored"),
            new AgreementMade(T0.AddHours(9), p, 6, new DateOnly(2026, 5, 1)) { Reference = "NII-2026-17" },
            new AgreementMade(T0.AddHours(9), p, -1, new DateOnly(2026, 5, 1)),
            new ExclusionStarted(T0.AddHours(10), "ex-1" + tag, [.. v4], T0.AddHours(12), "load"),
            new ExclusionEnded(T0.AddHours(11), "ex-1" + tag),
            new ExtensionDeclined(T0.AddHours(12), p, new FiscalYear(2027), "no longer fitting"),
            new ApprovalRevoked(T0.AddHours(13), p, RefusalReason.NotFittingPurpose, "purpose changed", new DateOnly(2026, 6, 1)),
            new ParticipantTerminated(T0.AddHours(14), p, new DateOnly(2026, 7, 1)),
        ];
    }

    [Fact]
    [Trait("Requirement", "R12.1")]
    public async Task Appended_events_fold_to_the_state_of_their_pure_fold_and_a_reopened_registry_folds_the_same()
    {
        var events = Scenario(UTokyo).Concat(Scenario(Kyoto, "-k")).ToList();
        var expected = Describe.Of(RegistryState.Fold(events));
        var store = await Track(OpenAsync());
        Assert.Equal(Describe.Of(RegistryState.Empty), Describe.Of(store.State));
        var returned = await store.AppendAsync(events.Take(5));
        Assert.Equal(Describe.Of(RegistryState.Fold(events.Take(5))), Describe.Of(returned));
        returned = await store.AppendAsync([]);
        Assert.Equal(Describe.Of(RegistryState.Fold(events.Take(5))), Describe.Of(returned));
        returned = await store.AppendAsync(events.Skip(5));
        Assert.Equal(expected, Describe.Of(returned));
        Assert.Equal(expected, Describe.Of(store.State));
        Assert.Equal(events.Select(Describe.Of), store.Events().Select(Describe.Of));
        Assert.Equal(new DateOnly(2026, 7, 1), store.State.Participants[UTokyo].TerminatedFrom);
        store.Dispose();
        _open.Remove(store);

        var reopened = await Track(OpenAsync());
        Assert.Equal(expected, Describe.Of(reopened.State));
        Assert.Equal(events.Select(Describe.Of), reopened.Events().Select(Describe.Of));
    }

    [Fact]
    [Trait("Requirement", "R12.1")]
    public async Task Concurrent_batches_from_two_writers_all_land_whole_in_one_order_that_both_writers_fold()
    {
        var a = await Track(OpenAsync());
        var b = await Track(SecondWriterAsync(a));
        var people = Enumerable.Range(0, 8).Select(i => new ParticipantId($"p-{i}")).ToList();
        var batches = people.Select((p, i) => Scenario(p, "-" + i)).ToList();
        await Task.WhenAll(batches.Select((batch, i) => (i % 2 == 0 ? a : b).AppendAsync(batch)));

        var events = a.Events();
        Assert.Equal(batches.Sum(x => x.Count), events.Count);
        Assert.Equal(events.Select(Describe.Of), b.Events().Select(Describe.Of));

        // Each batch is contiguous: all or none, never interleaved with another writer's.
        var size = batches[0].Count;
        var landed = events.Chunk(size).Select(chunk => chunk.Select(Describe.Of).ToList()).ToList();
        Assert.Equal(batches.Select(x => string.Join("\n", x.Select(Describe.Of))).Order(StringComparer.Ordinal), landed.Select(x => string.Join("\n", x)).Order(StringComparer.Ordinal));

        var expected = Describe.Of(RegistryState.Fold(events));
        Assert.Equal(expected, Describe.Of(a.State));
        Assert.Equal(expected, Describe.Of(b.State));
        Assert.Equal(8, a.State.Participants.Count);

        // Turn by turn: each writer's state shows the other's last append before its own next one.
        var extra = new ParticipantId("p-extra");
        await a.AppendAsync([new ApplicationSubmitted(T0, "app-x", extra, "Extra", [IPPrefix.Parse("203.0.113.0/24")], ["x@example.ac.jp"], [])]);
        Assert.True(b.State.Applications.ContainsKey("app-x"));
        await b.AppendAsync([new ApplicationApproved(T0.AddHours(1), "app-x")]);
        Assert.Equal(ApplicationStatus.Approved, a.State.Applications["app-x"].Status);
        Assert.True(a.State.Participants.ContainsKey(extra));
        Assert.Equal(Describe.Of(RegistryState.Fold(b.Events())), Describe.Of(a.State));
    }
}

public sealed class FasterRegistryStoreContract : RegistryStoreContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("socs-contract-").FullName;

    private protected override Task<IRegistryStore> OpenAsync() => Task.FromResult<IRegistryStore>(RegistryStore.Open(_dir));

    private protected override Task<IRegistryStore> SecondWriterAsync(IRegistryStore first) => Task.FromResult(first);

    protected override Task CleanupAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

[Collection(ClusterTests.Name)]
public sealed class PostgreSqlRegistryStoreContract(ClusterFixture cluster) : RegistryStoreContract
{
    private readonly ClusterSchema _schema = new(cluster);

    private protected override async Task<IRegistryStore> OpenAsync() => await (await _schema.OpenAsync()).RegistryAsync();

    private protected override Task<IRegistryStore> SecondWriterAsync(IRegistryStore first) => OpenAsync();

    protected override Task CleanupAsync() => _schema.DropAsync();

    [Fact]
    [Trait("Requirement", "R12.1")]
    public async Task The_same_events_fold_to_the_same_state_and_events_as_on_the_FASTER_store()
    {
        var batches = new[] { Scenario(UTokyo), Scenario(Kyoto, "-k"), Scenario(UTokyo, "-2") };
        var dir = Directory.CreateTempSubdirectory("socs-contract-").FullName;
        try
        {
            using var faster = RegistryStore.Open(dir);
            var store = await Track(OpenAsync());
            foreach (var batch in batches)
            {
                Assert.Equal(Describe.Of(await faster.AppendAsync(batch)), Describe.Of(await store.AppendAsync(batch)));
            }

            Assert.Equal(Describe.Of(faster.State), Describe.Of(store.State));
            Assert.Equal(faster.Events().Select(Describe.Of), store.Events().Select(Describe.Of));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    [Trait("Requirement", "R12.1")]
    public async Task The_registry_events_refuse_update_delete_and_truncate_even_for_the_owning_service_role()
    {
        var store = await Track(OpenAsync());
        await store.AppendAsync(Scenario(UTokyo));
        var before = store.Events().Select(Describe.Of).ToList();
        await EventTables.AssertRefusedAsync(cluster.ConnectionString, _schema.Name, "registry");
        Assert.Equal(before, store.Events().Select(Describe.Of));
        var reopened = await Track(OpenAsync());
        Assert.Equal(Describe.Of(RegistryState.Fold(Scenario(UTokyo))), Describe.Of(reopened.State));
    }
}
