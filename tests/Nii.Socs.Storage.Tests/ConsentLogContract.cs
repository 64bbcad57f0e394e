using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Consent;
using Nii.Socs.Storage.PostgreSql;
using Npgsql;
using static Nii.Socs.Storage.Tests.TestKit;

namespace Nii.Socs.Storage.Tests;

/// <summary>What every <see cref="IConsentLog"/> must do; run against FASTER and against the cluster.</summary>
public abstract class ConsentLogContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);

    private readonly List<IConsentLog> _open = [];

    /// <summary>Opens the log (again): a new instance on the same store.</summary>
    private protected abstract Task<IConsentLog> OpenAsync();

    /// <summary>A second writer beside <paramref name="first"/>: on PostgreSQL its own instance and connections; FASTER
    /// has one owner per directory, so there it is the same instance.</summary>
    private protected abstract Task<IConsentLog> SecondWriterAsync(IConsentLog first);

    protected abstract Task CleanupAsync();

    private protected async Task<IConsentLog> Track(Task<IConsentLog> opening)
    {
        var log = await opening;
        _open.Add(log);
        return log;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var log in _open.Distinct())
        {
            log.Dispose();
        }

        await CleanupAsync();
    }

    /// <summary>Every kind of consent event, in an order the ledger accepts.</summary>
    internal static List<ConsentEvent> Scenario(int n = 0)
    {
        var yamada = Actor.Operator(UTokyo, "yamada");
        var kato = Actor.Operator(Kyoto, "kato");
        var staff = Actor.Staff("suzuki");
        var r1 = new RequestId(Id(n, 1));
        var r2 = new RequestId(Id(n, 2));
        var r3 = new RequestId(Id(n, 3));
        var g1 = new GrantId(Id(n, 4));
        var record = new DetectionId(Id(n, 5));
        return
        [
            new ConsentEvent.Requested(new DecryptionRequest(r1, staff, UTokyo, new ConsentScope.RecordList([record, new DetectionId(Id(n, 6))]), Purpose.Investigation, "incident 42: who scanned", T0, T0.AddDays(7))),
            new ConsentEvent.Requested(new DecryptionRequest(r2, staff, Kyoto, new ConsentScope.TimeRange(T0.AddDays(-3), T0, 2_100_001, System.Net.IPAddress.Parse("2001:db8::7")), Purpose.Research, "研究: scan trends", T0.AddMinutes(1), T0.AddDays(7))),
            new ConsentEvent.Requested(new DecryptionRequest(r3, kato, Kyoto, new ConsentScope.TimeRange(T0.AddDays(-1), T0), Purpose.OwnReview, "own review", T0.AddMinutes(2), T0.AddDays(1))),
            new ConsentEvent.KeyRefused(r1, yamada, new EpochId(UTokyo, 3), T0.AddHours(1)),
            new ConsentEvent.Approved(r1, yamada, g1, [new EpochId(UTokyo, 3), new EpochId(UTokyo, 4)], T0.AddDays(3), T0.AddHours(2)),
            new ConsentEvent.Denied(r2, kato, "not for research", T0.AddHours(3)),
            new ConsentEvent.Viewed(g1, staff, record, T0.AddHours(4)),
            new ConsentEvent.Revoked(g1, yamada, T0.AddHours(5)),
            new ConsentEvent.FaultAccessed(record, UTokyo, staff, "parser crash", "INC-7", T0.AddHours(6)),
        ];
    }

    private static Guid Id(int n, int k) => Guid.Parse($"{n:x8}-0000-7000-8000-{k:x12}");

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task Appended_events_fold_to_the_ledger_of_their_pure_fold_and_a_reopened_log_folds_the_same()
    {
        var events = Scenario();
        var expected = Describe.Of(ConsentLedger.Fold(events));
        var log = await Track(OpenAsync());
        Assert.Equal(Describe.Of(ConsentLedger.Empty), Describe.Of(log.Ledger));
        ConsentLedger returned = ConsentLedger.Empty;
        foreach (var e in events)
        {
            returned = await log.AppendAsync(e);
        }

        Assert.Equal(expected, Describe.Of(returned));
        Assert.Equal(expected, Describe.Of(log.Ledger));
        Assert.Equal(events.Select(Describe.Of), log.Events().Select(Describe.Of));
        Assert.Equal(RequestStatus.Approved, log.Ledger.StatusOf(events[0] is ConsentEvent.Requested r ? r.Request.Id : default, T0.AddDays(1)));
        log.Dispose();
        _open.Remove(log);

        var reopened = await Track(OpenAsync());
        Assert.Equal(expected, Describe.Of(reopened.Ledger));
        Assert.Equal(events.Select(Describe.Of), reopened.Events().Select(Describe.Of));
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task An_event_the_ledger_refuses_is_not_written()
    {
        var log = await Track(OpenAsync());
        var events = Scenario();
        await log.AppendAsync(events[0]);
        var before = Describe.Of(log.Ledger);
        await Assert.ThrowsAnyAsync<Exception>(() => log.AppendAsync(new ConsentEvent.Denied(new RequestId(Guid.NewGuid()), Actor.Operator(UTokyo, "yamada"), "no such request", T0)));
        await Assert.ThrowsAnyAsync<Exception>(() => log.AppendAsync(new ConsentEvent.Revoked(new GrantId(Guid.NewGuid()), Actor.Operator(UTokyo, "yamada"), T0)));
        Assert.Equal(before, Describe.Of(log.Ledger));
        Assert.Single(log.Events());
        await log.AppendAsync(events[1]);
        Assert.Equal(2, log.Events().Count);
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task Concurrent_appends_from_two_writers_all_land_in_one_order_and_a_second_decision_on_a_request_is_refused()
    {
        var a = await Track(OpenAsync());
        var b = await Track(SecondWriterAsync(a));
        var requests = Enumerable.Range(0, 16).Select(i => (ConsentEvent)new ConsentEvent.Requested(new DecryptionRequest(
            new RequestId(Guid.NewGuid()), Actor.Staff("s" + i), i % 2 == 0 ? UTokyo : Kyoto, new ConsentScope.TimeRange(T0.AddDays(-1), T0), Purpose.Investigation, "case " + i, T0.AddSeconds(i), T0.AddDays(2)))).ToList();
        await Task.WhenAll(requests.Select((e, i) => (i % 2 == 0 ? a : b).AppendAsync(e)));

        var order = a.Events().Select(Describe.Of).ToList();
        Assert.Equal(order, b.Events().Select(Describe.Of));
        Assert.Equal(requests.Select(Describe.Of).Order(StringComparer.Ordinal), order.Order(StringComparer.Ordinal));

        // Both writers decide the same request at once: one decision lands, the other is refused by the ledger it
        // folds under the lock, and both writers then fold the same ledger.
        var target = ((ConsentEvent.Requested)requests[0]).Request;
        var approve = a.AppendAsync(new ConsentEvent.Approved(target.Id, Actor.Operator(UTokyo, "yamada"), new GrantId(Guid.NewGuid()), [new EpochId(UTokyo, 1)], T0.AddDays(1), T0.AddMinutes(30)));
        var deny = b.AppendAsync(new ConsentEvent.Denied(target.Id, Actor.Operator(UTokyo, "ito"), "no", T0.AddMinutes(30)));
        var outcomes = await Task.WhenAll(Outcome(approve), Outcome(deny));
        Assert.Single(outcomes, ok => ok);
        var events = a.Events();
        Assert.Equal(17, events.Count);
        Assert.Single(events, e => e is ConsentEvent.Approved or ConsentEvent.Denied);
        var expected = Describe.Of(ConsentLedger.Fold(events));
        Assert.Equal(expected, Describe.Of(a.Ledger));
        Assert.Equal(expected, Describe.Of(b.Ledger));
        Assert.Equal(outcomes[0] ? RequestStatus.Approved : RequestStatus.Denied, b.Ledger.StatusOf(target.Id, T0.AddHours(1)));
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task A_view_decided_on_one_writer_just_after_the_other_revoked_the_grant_is_refused_not_recorded_after_the_revocation()
    {
        var a = await Track(OpenAsync());
        var b = await Track(SecondWriterAsync(a));
        var events = Scenario();
        var revoke = (ConsentEvent.Revoked)events[7];
        var staff = Actor.Staff("suzuki");
        var record = Record(UTokyo, T0, epoch: 3, id: Id(0, 5));
        foreach (var e in events.Take(5))
        {
            await a.AppendAsync(e);
        }

        ConsentEvent Decide(ConsentLedger ledger, DateTimeOffset now) =>
            ledger.TryView(revoke.Grant, staff, record, now, out var viewed, out var error) ? viewed : throw new InvalidOperationException(error.Message);

        // Decided under the lock while the grant is live: recorded.
        var (first, _) = await a.AppendDecidedAsync(ledger => Decide(ledger, T0.AddHours(4)));
        Assert.IsType<ConsentEvent.Viewed>(first);

        // Writer A's reader still sees the grant live; writer B revokes it; A's view is then decided on the ledger as it
        // stands at the append (with B's revocation folded in) and refused.
        var stale = a.Ledger;
        var late = Assert.IsType<ConsentEvent.Viewed>(Decide(stale, T0.AddHours(6)));
        await b.AppendAsync(revoke);

        // Apply alone would take that view after the revocation (it checks ids, not liveness): the decision must be re-run.
        Assert.Single(b.Ledger.Apply(late).Views, v => v.At == late.At);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => a.AppendDecidedAsync(ledger => Decide(ledger, T0.AddHours(6))));
        Assert.Contains("revoked", refused.Message, StringComparison.Ordinal);

        var stored = a.Events();
        Assert.Equal(7, stored.Count);
        Assert.IsType<ConsentEvent.Revoked>(stored[^1]);
        Assert.Single(stored.OfType<ConsentEvent.Viewed>());
        Assert.Equal(stored.Select(Describe.Of), b.Events().Select(Describe.Of));
    }

    private static async Task<bool> Outcome(Task task)
    {
        try
        {
            await task;
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }
}

public sealed class FasterConsentLogContract : ConsentLogContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("socs-contract-").FullName;

    private protected override Task<IConsentLog> OpenAsync() => Task.FromResult<IConsentLog>(ConsentStore.Open(_dir));

    private protected override Task<IConsentLog> SecondWriterAsync(IConsentLog first) => Task.FromResult(first);

    protected override Task CleanupAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

[Collection(ClusterTests.Name)]
public sealed class PostgreSqlConsentLogContract(ClusterFixture cluster) : ConsentLogContract
{
    private readonly ClusterSchema _schema = new(cluster);

    private protected override async Task<IConsentLog> OpenAsync() => await (await _schema.OpenAsync()).ConsentLogAsync();

    private protected override Task<IConsentLog> SecondWriterAsync(IConsentLog first) => OpenAsync();

    protected override Task CleanupAsync() => _schema.DropAsync();

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task The_same_events_fold_to_the_same_ledger_and_events_as_on_the_FASTER_store()
    {
        var events = Scenario(1).Concat(Scenario(2)).ToList();
        var dir = Directory.CreateTempSubdirectory("socs-contract-").FullName;
        try
        {
            using var faster = ConsentStore.Open(dir);
            var log = await Track(OpenAsync());
            foreach (var e in events)
            {
                Assert.Equal(Describe.Of(await faster.AppendAsync(e)), Describe.Of(await log.AppendAsync(e)));
            }

            Assert.Equal(Describe.Of(faster.Ledger), Describe.Of(log.Ledger));
            Assert.Equal(faster.Events().Select(Describe.Of), log.Events().Select(Describe.Of));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task The_consent_events_refuse_update_delete_and_truncate_even_for_the_owning_service_role()
    {
        var log = await Track(OpenAsync());
        foreach (var e in Scenario())
        {
            await log.AppendAsync(e);
        }

        var before = log.Events().Select(Describe.Of).ToList();
        await EventTables.AssertRefusedAsync(cluster.ConnectionString, _schema.Name, "consent");
        Assert.Equal(before, log.Events().Select(Describe.Of));
        var reopened = await Track(OpenAsync());
        Assert.Equal(Describe.Of(ConsentLedger.Fold(Scenario())), Describe.Of(reopened.Ledger));
    }
}

/// <summary>Checks shared by the event-table tests: every change but an append is refused to the service role.</summary>
internal static class EventTables
{
    public static async Task AssertRefusedAsync(string connectionString, string schema, string log)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        string[] refused =
        [
            $"UPDATE {schema}.{log}_events SET event = '\\x00' WHERE seq = 1",
            $"DELETE FROM {schema}.{log}_events WHERE seq = 2",
            $"TRUNCATE {schema}.{log}_events",
            $"UPDATE {schema}.event_heads SET seq = 0 WHERE log = '{log}'",
            $"DELETE FROM {schema}.event_heads WHERE log = '{log}'",
            $"TRUNCATE {schema}.event_heads",
        ];
        foreach (var sql in refused)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }

        await using (var who = new NpgsqlCommand("SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), (SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = $2)", connection))
        {
            who.Parameters.Add(new NpgsqlParameter { Value = schema });
            who.Parameters.Add(new NpgsqlParameter { Value = log + "_events" });
            await using var reader = await who.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.False(reader.GetBoolean(1));
            Assert.Equal(reader.GetString(0), reader.GetString(2));
        }
    }
}
