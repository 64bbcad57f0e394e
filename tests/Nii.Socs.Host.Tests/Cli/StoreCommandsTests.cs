using System.Net;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Cli;

namespace Nii.Socs.Host.Tests.Cli;

public sealed class StoreCommandsTests : IDisposable
{
    private static readonly ParticipantId UTokyo = new("u-tokyo");
    private readonly string _data = Directory.CreateTempSubdirectory("socs-cli-store-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private static (int Code, string Out, string Err) Run(FakeTimeProvider? clock, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var context = clock is null ? null : new CliContext(stdout, stderr, clock);
        var code = CliApp.Run(args, stdout, stderr, context);
        return (code, stdout.ToString().Replace("\r\n", "\n", StringComparison.Ordinal), stderr.ToString());
    }

    private async Task SeedAsync(FakeTimeProvider clock)
    {
        using var store = DetectionStore.Open(_data, time: clock);
        var at = new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
        await store.AppendAsync(Enumerable.Range(0, 3).Select(i => new DetectionRecord
        {
            Id = DetectionId.New(at.AddSeconds(i)),
            Participant = UTokyo,
            Epoch = new EpochId(UTokyo, 7),
            Header = new DetectionHeader { ObservedAt = at.AddSeconds(i), Source = IPAddress.Parse("198.51.100.7"), Destination = IPAddress.Parse("192.0.2.1"), Protocol = 17 },
            Rule = new RuleRef(1, 1, "test", null, 3),
        }).ToList());
        await using var history = OperationHistoryStore.Open(_data, clock);
        await history.AppendAsync("org:yamada", "portal.login", "portal", string.Empty);
    }

    [Fact]
    public async Task Audit_verify_prints_ok_with_the_last_checkpoint()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        await SeedAsync(clock);
        var (code, output, error) = Run(null, "audit", "verify", "--data", _data);
        Assert.Equal(0, code);
        Assert.Equal("ok 1 entries, last checkpoint #1 signed (entry 1)\nconsent log and history agree\n", output);
        Assert.Equal($"socs: no witness at {_data}.witness: checked against the history's own checkpoints only", error.TrimEnd('\n'));
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_audit_verify_with_a_witness_names_the_first_erased_entry_and_refuses_bad_options()
    {
        var witness = _data + "-w";
        try
        {
            var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
            await using (var history = OperationHistoryStore.Open(_data, clock, 4, witnessDirectory: witness))
            {
                for (var i = 0; i < 10; i++)
                {
                    await history.AppendAsync("org:yamada", "portal.view", $"detections/u-tokyo/{i}", string.Empty);
                }
            }

            Assert.Equal($"ok 10 entries, last checkpoint #3 signed (entry 10), witnessed up to #3\nconsent log and history agree\n", Run(null, "audit", "verify", "--data", _data, "--witness", witness).Out);

            // The insider zeroes the log from entry 6 and keeps only the first checkpoint line.
            var segment = Path.Combine(_data, "audit", "log", "log.0");
            var bytes = await File.ReadAllBytesAsync(segment);
            var from = bytes.AsSpan().IndexOf("detections/u-tokyo/5"u8);
            Assert.True(from > 0);
            Array.Clear(bytes, from, bytes.Length - from);
            await File.WriteAllBytesAsync(segment, bytes);
            var checkpoints = Path.Combine(_data, "audit", "checkpoints.txt");
            await File.WriteAllLinesAsync(checkpoints, (await File.ReadAllLinesAsync(checkpoints)).Take(1));

            var (code, output, _) = Run(null, "audit", "verify", "--data", _data, "--witness", witness, "--public-key", Path.Combine(witness, "signing.pub"));
            Assert.Equal(1, code);
            Assert.StartsWith("broken at entry 6: ", output, StringComparison.Ordinal);

            var before = await File.ReadAllTextAsync(checkpoints);
            var missing = Run(null, "audit", "verify", "--data", _data, "--witness", witness + "-nowhere");
            Assert.Equal(2, missing.Code);
            Assert.Single(missing.Err.TrimEnd('\n').Split('\n'));
            Assert.Equal(2, Run(null, "audit", "verify", "--data", _data, "--public-key", segment).Code);
            Assert.Equal(before, await File.ReadAllTextAsync(checkpoints));
        }
        finally
        {
            Directory.Delete(witness, recursive: true);
        }
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_audit_verify_exits_1_and_names_the_broken_entry()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        await SeedAsync(clock);
        var segment = Path.Combine(_data, "audit", "log", "log.0");
        var bytes = await File.ReadAllBytesAsync(segment);
        var at = bytes.AsSpan().IndexOf("portal.login"u8);
        bytes[at] ^= 0x20;
        await File.WriteAllBytesAsync(segment, bytes);
        var (code, output, _) = Run(null, "audit", "verify", "--data", _data);
        Assert.Equal(1, code);
        Assert.StartsWith("broken at entry 1: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Store_stats_lists_partitions_with_counts_sizes_and_expiry()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        await SeedAsync(clock);
        var (code, output, _) = Run(clock, "store", "stats", "--data", _data);
        Assert.Equal(0, code);
        var lines = output.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^participant  month    records +bytes  expires$", lines[0]);
        Assert.Matches(@"^u-tokyo      2026-12        3 +\d+  2027-04-01T00:00:00\+09:00$", lines[1]);

        // The columns line up: numbers end under their header, the expiry starts under its header.
        Assert.Equal(lines[0].IndexOf("records", StringComparison.Ordinal) + "records".Length, lines[1].IndexOf(" 3 ", StringComparison.Ordinal) + 2);
        Assert.Equal(lines[0].IndexOf("expires", StringComparison.Ordinal), lines[1].IndexOf("2027-", StringComparison.Ordinal));
        Assert.Matches(@"^1 partition\(s\), 3 record\(s\), \d+ byte\(s\)$", lines[2]);
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_retention_sweep_dry_run_then_real_run()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        await SeedAsync(clock);
        var (code, output, _) = Run(clock, "retention", "sweep", "--data", _data, "--now", "2027-04-01T00:00:00+09:00", "--dry-run");
        Assert.Equal(0, code);
        Assert.Equal(
            "would delete partition u-tokyo/2026-12 (expired 2027-04-01T00:00:00+09:00)\n" +
            "dry run at 2027-04-01T00:00:00+09:00: 1 partition(s), 0 wrapped key set(s)\n",
            output);
        Assert.True(Directory.Exists(Path.Combine(_data, "detections", "u-tokyo", "2026-12")));

        // The clock has not reached the expiry: a real sweep asked for a later instant deletes nothing.
        (code, output, _) = Run(clock, "retention", "sweep", "--data", _data, "--now", "2027-04-01T00:00:00+09:00");
        Assert.Equal(0, code);
        Assert.Equal("swept at 2026-12-01T09:00:00+09:00: 0 partition(s), 0 wrapped key set(s)\n", output);

        clock.SetUtcNow(new DateTimeOffset(2027, 4, 1, 0, 0, 0, TimeSpan.FromHours(9)));
        (code, output, _) = Run(clock, "retention", "sweep", "--data", _data);
        Assert.Equal(0, code);
        Assert.Equal(
            "deleted partition u-tokyo/2026-12 (expired 2027-04-01T00:00:00+09:00)\n" +
            "swept at 2027-04-01T00:00:00+09:00: 1 partition(s), 0 wrapped key set(s)\n",
            output);
        Assert.False(Directory.Exists(Path.Combine(_data, "detections", "u-tokyo", "2026-12")));
        Assert.Equal(0, Run(null, "audit", "verify", "--data", _data).Code);
    }

    [Fact]
    public void Missing_data_directory_is_bad_input()
    {
        var (code, _, err) = Run(null, "store", "stats", "--data", Path.Combine(_data, "nope"));
        Assert.Equal(2, code);
        Assert.StartsWith("socs: --data must be an existing data directory", err, StringComparison.Ordinal);
        Assert.Equal(2, Run(null, "retention", "sweep", "--data", _data, "--now", "yesterday").Code);
    }
}
