using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Core.Time;
using Nii.Socs.Host.Mail;
using Nii.Socs.Storage.PostgreSql;
using Xunit.Abstractions;
using static Nii.Socs.Storage.Tests.TestKit;

namespace Nii.Socs.Storage.Tests;

/// <summary>The cluster's mail outbox at retention end (R7.3): its rows are copies of detection headers and leave every
/// file of every node with their partition, as the FASTER outbox's do, while other hosts keep appending to one log.</summary>
[Collection(ClusterTests.Name)]
public sealed class OutboxPurgeClusterTests(ClusterFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly DateTimeOffset November = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset December = new(2026, 12, 10, 3, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset NovemberExpiry = RetentionSchedule.Default.ExpiryOf(UTokyo, JstMonth.Of(November));
    private readonly ClusterSchema _schema = new(cluster);
    private readonly string _dir = Directory.CreateTempSubdirectory("socs-outbox-").FullName;

    public async Task InitializeAsync() =>
        Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60)), "the cluster is not healthy before the test");

    public async Task DisposeAsync()
    {
        await _schema.DropAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_a_sweep_at_the_first_months_expiry_takes_its_outbox_rows_out_of_every_file_of_every_node_keeps_the_seconds_and_another_host_appends_after_it()
    {
        var (novMarker, decMarker) = (Marker("NOV"), Marker("DEC"));
        var nov = Row(November, novMarker);
        var dec = Row(December, decMarker);
        var a = await PostgreSqlMailOutbox.OpenAsync(await _schema.OpenAsync());
        var b = await PostgreSqlMailOutbox.OpenAsync(await _schema.OpenAsync());
        using var faster = MailOutbox.Open(_dir);

        // Two hosts queue the mails of both months into the one cluster outbox; FASTER gets the same events.
        var first = new OutboxEvent[] { new MailQueued(November, Mail(1, nov)), new MailSent(November, 1), new MailQueued(November, Mail(2, nov)) };
        var second = new OutboxEvent[]
        {
            new RowsDeferred(November, UTokyo, ["soc@u-tokyo.example"], [nov, dec]),
            new MailQueued(December, Mail(3, nov, dec)),
            new MailSent(December, 3),
            new MailQueued(December, Mail(4, dec)),
        };
        await a.AppendAsync(first);
        await b.AppendAsync(second);
        await faster.AppendAsync([.. first, .. second]);
        Assert.Equal([2L, 4], b.State.Pending.Keys);

        // ANALYZE (autovacuum's) samples no event into pg_statistic, where a dropped table's samples would stay behind.
        Assert.Equal("seq", await SampledColumnsAsync());
        await CheckpointEveryNodeAsync();
        var before = cluster.FilesContaining(novMarker, decMarker);
        output.WriteLine($"before: November's rows in {Hits(before, novMarker).Count} files, December's in {Hits(before, decMarker).Count}");
        Assert.Equal([1, 2, 3], Hits(before, novMarker).Select(ClusterFixture.NodeOf).Distinct().Order());

        // The .eml copy of a mail that reported a November row goes too (this host's mail directory).
        var mails = Path.Combine(_dir, "mail");
        Directory.CreateDirectory(mails);
        var eml = Path.Combine(mails, EmlMailTransport.FileNameOf(Mail(1, nov)));
        await File.WriteAllTextAsync(eml, "a copy of mail 1");

        var storage = await _schema.OpenAsync();
        var clock = new FakeTimeProvider(NovemberExpiry);
        var history = storage.History(clock);
        var sweeper = new PostgreSqlRetentionSweeper(storage.Detections(RetentionSchedule.Default, clock), history, clock)
        {
            DerivedCopies = [new MailCopies(a, mails)],
        };
        var report = await sweeper.SweepAsync();

        var line = Assert.Single(report.Copies);
        output.WriteLine(line);
        output.WriteLine(sweeper.LastErasure!.ToString());
        Assert.StartsWith("outbox: 4 expired row(s) removed from 3 mail(s) and the digest buffers, 1 unsent mail(s) withdrawn, 1 .eml", line, StringComparison.Ordinal);
        Assert.False(File.Exists(eml));

        // Not a byte of November's rows is left in any file of any node (heap, indexes, WAL); December's are on all three.
        var after = cluster.FilesContaining(novMarker, decMarker);
        Assert.Empty(Hits(after, novMarker));
        Assert.Equal([1, 2, 3], Hits(after, decMarker).Select(ClusterFixture.NodeOf).Distinct().Order());
        Assert.Equal(["outbox/7"], sweeper.LastErasure.Erased);
        Assert.Equal("seq", await SampledColumnsAsync());
        var entries = history.Entries();
        Assert.Contains(entries, e => e.Action == "retention.copies.purged" && e.Details == line);
        Assert.Contains(entries, e => e.Action == "retention.copies.erased" && e.Subject == "outbox/7");

        // The same decision as the FASTER outbox's purge, event for event.
        var fasterReduction = await faster.PurgeAsync(r => RetentionSchedule.Default.IsExpired(r.Participant, JstMonth.Of(r.PartitionInstant), NovemberExpiry), NovemberExpiry);
        Assert.Equal((4, 1), (fasterReduction.RowsRemoved, fasterReduction.Withdrawn));
        Assert.Equal(faster.Events().Select(Encoded), a.Events().Select(Encoded));

        // The other host folded the log before the purge; its next append folds the rewritten log first, so the mail
        // it queues takes the next id and lands once, after every kept event.
        var next = b.State.LastMailId + 1;
        Assert.Equal(5, next);
        Assert.Equal([4L], b.State.Pending.Keys);
        await b.AppendAsync([new MailQueued(December.AddHours(1), Mail(next, Row(December.AddHours(1), decMarker)))]);
        var events = a.Events();
        Assert.Equal(events.Select(Encoded), b.Events().Select(Encoded));
        Assert.Equal([1L, 2, 3, 4, 5], events.OfType<MailQueued>().Select(q => q.Mail.Id));
        Assert.DoesNotContain(events.OfType<MailQueued>().SelectMany(q => q.Mail.Rows).Concat(events.OfType<RowsDeferred>().SelectMany(d => d.Rows)), r => r.Id == nov.Id);
        Assert.Equal(Summary(NotificationState.Fold(events)), Summary(a.State));
        Assert.Equal(Summary(a.State), Summary(b.State));
        Assert.Equal([4L, 5], a.State.Pending.Keys);

        // Nothing more has ended: a second sweep rewrites nothing.
        Assert.Empty((await sweeper.SweepAsync()).Copies);
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_appends_of_another_host_during_the_outbox_purge_all_land_once_in_one_order_that_every_host_folds()
    {
        var (novMarker, decMarker) = (Marker("NOV"), Marker("DEC"));
        var nov = Row(November, novMarker);
        var dec = Row(December, decMarker);
        var a = await PostgreSqlMailOutbox.OpenAsync(await _schema.OpenAsync());
        var b = await PostgreSqlMailOutbox.OpenAsync(await _schema.OpenAsync());
        await a.AppendAsync(
        [
            new MailQueued(November, Mail(1, nov)),
            new RowsDeferred(November, UTokyo, ["soc@u-tokyo.example"], [nov, dec]),
            new MailQueued(December, Mail(2, dec)),
        ]);

        // Host B records failed attempts of mail 2 one by one, from before host A purges November until after it.
        var appended = 0;
        var purged = 0;
        var appender = Task.Run(async () =>
        {
            var after = 0;
            for (var attempt = 1; after < 5; attempt++)
            {
                var late = Volatile.Read(ref purged) == 1;
                await b.AppendAsync([new MailFailed(December.AddMinutes(attempt), 2, attempt, December.AddMinutes(attempt + 1), "451 try later")]);
                Interlocked.Increment(ref appended);
                after += late ? 1 : 0;
            }
        });
        // A third host reads all the while: every read is a whole log (attempts 1…k with none missing or doubled) and
        // its state the fold of a whole log, before or after the rewrite.
        var reader = await PostgreSqlMailOutbox.OpenAsync(await _schema.OpenAsync());
        var reads = 0;
        var reading = Task.Run(() =>
        {
            while (!appender.IsCompleted)
            {
                var seen = reader.Events().OfType<MailFailed>().Select(f => f.Attempt).ToList();
                Assert.Equal(Enumerable.Range(1, seen.Count), seen);
                var state = reader.State;
                Assert.Equal(2, state.LastMailId);
                Assert.True(state.Pending[2].FailedAttempts >= seen.Count, "the state went back behind the events read before it");
                reads++;
            }
        });
        while (Volatile.Read(ref appended) < 5)
        {
            await Task.Delay(5);
        }

        var reduction = await a.PurgeAsync(r => RetentionSchedule.Default.IsExpired(r.Participant, JstMonth.Of(r.PartitionInstant), NovemberExpiry), NovemberExpiry);
        var during = Volatile.Read(ref appended);
        Volatile.Write(ref purged, 1);
        await appender;
        await reading;
        var attempts = Volatile.Read(ref appended);
        output.WriteLine($"purge returned after {during} of {attempts} appends; {reads} reads by a third host");
        Assert.True(reduction.Changed);
        Assert.Equal(2, reduction.RowsRemoved);

        // Every attempt is in the log exactly once and in order, the November rows in none; every host folds it alike.
        using var c = await PostgreSqlMailOutbox.OpenAsync(await _schema.OpenAsync());
        var events = c.Events();
        Assert.Equal(Enumerable.Range(1, attempts), events.OfType<MailFailed>().Select(f => f.Attempt));
        Assert.DoesNotContain(events.OfType<RowsDeferred>().SelectMany(d => d.Rows).Concat(events.OfType<MailQueued>().SelectMany(q => q.Mail.Rows)), r => r.Id == nov.Id);
        Assert.Single(events.OfType<MailWithdrawn>(), w => w.MailId == 1);
        Assert.Equal(events.Select(Encoded), a.Events().Select(Encoded));
        var expected = Summary(NotificationState.Fold(events));
        Assert.Equal(expected, Summary(a.State));
        Assert.Equal(expected, Summary(b.State));
        Assert.Equal(expected, Summary(c.State));
        Assert.Equal(expected, Summary(reader.State));
        Assert.Equal(attempts, c.State.Pending[2].FailedAttempts);
        a.Dispose();
        b.Dispose();
        reader.Dispose();
    }

    private static byte[] Marker(string month) => Encoding.ASCII.GetBytes($"OUTBOX-{month}-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(10)));

    /// <summary>A row of a detection acquired at <paramref name="acquired"/> whose rule message is the marker (the
    /// distinctive bytes the scan looks for: every copy of the row carries them).</summary>
    private static NotificationRow Row(DateTimeOffset acquired, byte[] marker) =>
        NotificationRow.From(Record(UTokyo, acquired)) with { Message = Encoding.ASCII.GetString(marker), AcquiredAt = acquired };

    private static OutboundMail Mail(long id, params NotificationRow[] rows) =>
        new(id, rows.Length > 1 ? MailKind.Digest : MailKind.Notification, UTokyo, ["soc@u-tokyo.example"], string.Create(CultureInfo.InvariantCulture, $"{id}.x@socs.invalid"), null, [], rows[0].PartitionInstant, [.. rows], rows.Length > 1 ? null : rows[0].Sid, rows.Length > 1 ? null : rows[0].Message, null);

    private static string Encoded(OutboxEvent e) => Convert.ToHexString(OutboxEventCodec.Encode(e));

    private static string Summary(NotificationState s) => string.Join(
        "; ",
        $"last {s.LastMailId}",
        $"sent {s.SentCount}",
        "pending " + string.Join(',', s.Pending.Select(p => $"{p.Key}:{p.Value.FailedAttempts}:{p.Value.Mail.Rows.Length}")),
        "digests " + string.Join(',', s.Digests.OrderBy(d => d.Key.Value).Select(d => $"{d.Key}:{string.Join('/', d.Value.Rows.Select(r => r.Id))}")),
        "kinds " + string.Join(',', s.Kinds.Keys.Select(k => k.ToString()).Order()));

    private static List<string> Hits(Dictionary<string, List<string>> hits, byte[] marker) => hits[Convert.ToHexString(marker)];

    /// <summary>ANALYZEs the outbox table as autovacuum would and returns the columns pg_statistic then holds samples of.</summary>
    private async Task<object?> SampledColumnsAsync()
    {
        var leader = await cluster.LeaderAsync();
        Assert.NotNull(await cluster.ScalarAsync(leader, $"ANALYZE {_schema.Name}.outbox_events; SELECT 1"));
        return await cluster.ScalarAsync(leader, $"SELECT string_agg(attname, ' ' ORDER BY attname) FROM pg_stats WHERE schemaname = '{_schema.Name}' AND tablename = 'outbox_events'");
    }

    private async Task CheckpointEveryNodeAsync()
    {
        for (var n = 1; n <= 3; n++)
        {
            Assert.NotNull(await cluster.ScalarAsync(n, "CHECKPOINT; SELECT 1"));
        }
    }
}
