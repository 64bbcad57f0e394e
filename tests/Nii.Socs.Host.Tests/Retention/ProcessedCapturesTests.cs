using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Tests.Retention;

/// <summary>Capture files set aside by the capture directory service go when their month has expired for every participant (R7.3).</summary>
public sealed class ProcessedCapturesTests
{
    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_set_aside_captures_go_when_the_shortest_retention_of_their_month_has_ended()
    {
        var incoming = Directory.CreateTempSubdirectory("socs-incoming-").FullName;
        try
        {
            string Put(string sub, string name, DateTimeOffset written)
            {
                Directory.CreateDirectory(Path.Combine(incoming, sub));
                var path = Path.Combine(incoming, sub, name);
                File.WriteAllBytes(path, [1, 2, 3]);
                File.SetLastWriteTimeUtc(path, written.UtcDateTime);
                return path;
            }

            // Written in JST November and December 2026.
            var november = Put("processed", "nov.pcap", new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero));
            var failed = Put("failed", "nov-bad.pcap", new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero));
            var december = Put("processed", "dec.pcap", new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero));
            var kyoto = new ParticipantId("kyoto-u");
            var copies = new ProcessedCaptures(incoming, () => [new ParticipantId("u-tokyo"), kyoto]);

            // Default 3 months: November goes from 2027-03-01 JST; one tick earlier nothing goes.
            var schedule = RetentionSchedule.Default;
            Assert.Null(await copies.PurgeAsync(schedule, new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.FromHours(9)).AddTicks(-1), CancellationToken.None));
            Assert.True(File.Exists(november) && File.Exists(failed));
            Assert.Contains("2 processed or failed", await copies.PurgeAsync(schedule, new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.FromHours(9)), CancellationToken.None), StringComparison.Ordinal);
            Assert.False(File.Exists(november) || File.Exists(failed));
            Assert.True(File.Exists(december));

            // A participant with a 1-month agreement shortens the file's life: December goes from 2027-02-01 JST.
            var shorter = new RetentionSchedule(RetentionPolicy.Default, [new RetentionAgreement(kyoto, new RetentionPolicy(1), new DateOnly(2026, 11, 1))]);
            Assert.NotNull(await copies.PurgeAsync(shorter, new DateTimeOffset(2027, 2, 1, 0, 0, 0, TimeSpan.FromHours(9)), CancellationToken.None));
            Assert.False(File.Exists(december));
        }
        finally
        {
            Directory.Delete(incoming, recursive: true);
        }
    }
}
