using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;
using Nii.Socs.Storage.PostgreSql;

namespace Nii.Socs.Storage.Tests;

/// <summary>What every <see cref="IOperationHistoryStore"/> must do; run against FASTER and against the cluster.</summary>
public abstract class OperationHistoryContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Clock { get; } = new(T0);

    private protected IOperationHistoryStore History { get; private set; } = null!;

    private protected abstract Task<IOperationHistoryStore> OpenAsync(FakeTimeProvider clock);

    protected abstract Task CleanupAsync();

    public async Task InitializeAsync() => History = await OpenAsync(Clock);

    public async Task DisposeAsync()
    {
        if (History is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }

        await CleanupAsync();
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task Concurrent_appends_form_one_gapless_chain_read_back_in_order()
    {
        var appended = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            History.AppendAsync("org:yamada", "consent.request.filed", $"request/{i}", i % 2 == 0 ? "" : $"detail {i}")));
        Assert.Equal(Enumerable.Range(1, 24).Select(i => (long)i), appended.Select(e => e.Sequence).Order());
        Assert.Equal(24, History.Count);
        var entries = History.Entries();
        Assert.Equal(Enumerable.Range(1, 24).Select(i => (long)i), entries.Select(e => e.Sequence));
        var previous = OperationEntry.GenesisHash;
        foreach (var entry in entries)
        {
            Assert.Equal(previous.ToArray(), entry.PreviousHash.ToArray());
            Assert.Equal(entry.ComputeHash(), entry.Hash.ToArray());
            Assert.Equal(T0, entry.At);
            previous = entry.Hash;
        }

        Assert.Equal(entries.Skip(9).Take(5).Select(e => e.Hash.ToArray()), History.Read(10, 5).Select(e => e.Hash.ToArray()));
        Assert.Empty(History.Read(25, 10));
        Assert.Equal(appended.OrderBy(e => e.Sequence).Select(e => e.Subject), entries.Select(e => e.Subject));
    }
}

public sealed class FasterOperationHistoryContract : OperationHistoryContract
{
    private string? _dir;

    private protected override Task<IOperationHistoryStore> OpenAsync(FakeTimeProvider clock)
    {
        _dir = Directory.CreateTempSubdirectory("socs-contract-").FullName;
        return Task.FromResult<IOperationHistoryStore>(OperationHistoryStore.Open(_dir, clock));
    }

    protected override Task CleanupAsync()
    {
        Directory.Delete(_dir!, recursive: true);
        return Task.CompletedTask;
    }
}

[Collection(ClusterTests.Name)]
public sealed class PostgreSqlOperationHistoryContract(ClusterFixture cluster) : OperationHistoryContract
{
    private readonly ClusterSchema _schema = new(cluster);

    private protected override async Task<IOperationHistoryStore> OpenAsync(FakeTimeProvider clock) => (await _schema.OpenAsync()).History(clock);

    protected override Task CleanupAsync() => _schema.DropAsync();
}
