using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Time;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Tests.Mail;
using Nii.Socs.Host.Tests.Pipeline;

namespace Nii.Socs.Host.Tests.Retention;

/// <summary><c>serve</c>, <c>store stats</c>, <c>retention sweep</c> and <c>inspect</c> decide with one schedule:
/// the configured policy plus the registry's agreements (R7.3).</summary>
public sealed class OneScheduleTests
{
    private static readonly ParticipantId Kyoto = new("kyoto-u");

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_serve_store_stats_retention_sweep_and_inspect_give_the_same_expiry_under_an_agreement()
    {
        var root = Directory.CreateTempSubdirectory("socs-schedule-").FullName;
        try
        {
            var dir = Path.Combine(root, "data");
            var acquired = new DateTimeOffset(2026, 12, 3, 1, 0, 0, TimeSpan.Zero); // Thursday 10:00 JST, in service hours
            var time = new FakeTimeProvider(acquired);
            await ServiceKit.CreateDataAsync(dir, time);
            var agreed = Cli.Cli.Run(time, "participants", "agreement", "--data", dir, "--participant", "kyoto-u", "--months", "1", "--reference", "AG-2026-7");
            Assert.True(agreed.ExitCode == 0, agreed.Error);

            var december = new JstMonth(2026, 12);
            var kyotoExpiry = new DateTimeOffset(2027, 2, 1, 0, 0, 0, TimeSpan.FromHours(9));
            var tokyoExpiry = new DateTimeOffset(2027, 4, 1, 0, 0, 0, TimeSpan.FromHours(9));

            // serve: the data it opens (with the configured default) and the store's schedule for sweeps and appends.
            await using (var data = SocsData.Open(dir, time, RetentionPolicy.Default))
            {
                var tokyo = NotifierRig.Detection(acquired);
                await data.Detections.AppendAsync([tokyo, tokyo with { Id = Core.Detections.DetectionId.New(acquired), Participant = Kyoto, Epoch = new EpochId(Kyoto, 1) }]);
                Assert.Equal(kyotoExpiry, data.Detections.Schedule.ExpiryOf(Kyoto, december));
                Assert.Equal(tokyoExpiry, data.Detections.Schedule.ExpiryOf(NotifierRig.UTokyo, december));
                Assert.Equal(kyotoExpiry, data.RetentionSchedule().ExpiryOf(Kyoto, december));
            }

            // store stats
            var stats = Cli.Cli.Run(time, "store", "stats", "--data", dir, "--json");
            Assert.True(stats.ExitCode == 0, stats.Error);
            using (var json = JsonDocument.Parse(stats.Out))
            {
                var expires = json.RootElement.GetProperty("partitions").EnumerateArray()
                    .ToDictionary(p => p.GetProperty("participant").GetString()!, p => p.GetProperty("expires").GetDateTimeOffset());
                Assert.Equal(kyotoExpiry, expires["kyoto-u"]);
                Assert.Equal(tokyoExpiry, expires["u-tokyo"]);
            }

            // retention sweep: at kyoto-u's expiry exactly its partition is due, u-tokyo's not.
            var sweep = Cli.Cli.Run(time, "retention", "sweep", "--data", dir, "--dry-run", "--now", "2027-02-01T00:00:00+09:00", "--json");
            Assert.True(sweep.ExitCode == 0, sweep.Error);
            using (var json = JsonDocument.Parse(sweep.Out))
            {
                var due = Assert.Single(json.RootElement.GetProperty("partitions").EnumerateArray());
                Assert.Equal(("kyoto-u", "2026-12"), (due.GetProperty("participant").GetString(), due.GetProperty("month").GetString()));
                Assert.Equal(kyotoExpiry, due.GetProperty("expiry").GetDateTimeOffset());
            }

            // inspect
            var inspect = Cli.Cli.Run(time, "inspect", "--data", dir, "--year", "2026", "--json", "--out", Path.Combine(root, "report"));
            Assert.True(inspect.ExitCode == 0, inspect.Error);
            using (var json = JsonDocument.Parse(inspect.Out))
            {
                var oldest = OldestExpiries(json.RootElement);
                Assert.Equal(kyotoExpiry, oldest["kyoto-u"]);
                Assert.Equal(tokyoExpiry, oldest["u-tokyo"]);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Every object with a participant and an oldest expiry, wherever the report puts its retention section.</summary>
    private static Dictionary<string, DateTimeOffset> OldestExpiries(JsonElement element)
    {
        var found = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                string? participant = null;
                DateTimeOffset? expiry = null;
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name.Equals("participant", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.String)
                    {
                        participant = p.Value.GetString();
                    }
                    else if (p.Name.Replace("_", string.Empty, StringComparison.Ordinal).Equals("oldestexpiry", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.String)
                    {
                        expiry = p.Value.GetDateTimeOffset();
                    }

                    Walk(p.Value);
                }

                if (participant is not null && expiry is { } x)
                {
                    found[participant] = x;
                }
            }
            else if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item);
                }
            }
        }

        Walk(element);
        return found;
    }
}
