using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Core.Time;
using Nii.Socs.Host.Mail;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Tests.Pipeline;

namespace Nii.Socs.Host.Tests.Retention;

/// <summary>ingest (future-dated frames) → store in the acquisition month → mail → sweep → no byte of the partition's
/// header data left anywhere under the data directory but the operation history (R7.3, R6.4).</summary>
public sealed class AcquisitionRetentionEndToEndTests
{
    private static readonly string[] KeptUnderR64 = [OperationHistoryStore.DirectoryName];

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_future_dated_frames_are_kept_from_their_acquisition_month_and_the_sweep_leaves_no_byte_of_their_header_data()
    {
        var root = Directory.CreateTempSubdirectory("socs-r73-").FullName;
        try
        {
            var dir = Path.Combine(root, "data");
            // Acquired on 2026-12-03 (JST December); the sensor's clock says June 2030.
            var acquiredAt = new DateTimeOffset(2026, 12, 3, 1, 0, 0, TimeSpan.Zero);
            var time = new FakeTimeProvider(acquiredAt);
            await ServiceKit.CreateDataAsync(dir, time);
            var capture = Path.Combine(root, "future.pcap");
            ServiceKit.WriteCapture(capture, 1, 0, new DateTimeOffset(2030, 6, 1, 3, 0, 0, TimeSpan.Zero));

            var stored = new List<DetectionRecord>();
            await using (var data = SocsData.Open(dir, time))
            using (var outbox = MailOutbox.Open(dir))
            using (var notifier = MailServiceCollectionExtensions.Create(new MailOptions(), outbox, new EmlMailTransport(Path.Combine(dir, EmlMailTransport.DirectoryName)), data.History, p => data.Registry.State.Participants[p].Contacts, time, NullLoggerFactory.Instance))
            {
                var rules = RuleSet.Load(Path.Combine(ServiceKit.Samples, "rules", "demo.rules"), RuleVariables.ForScope(Ingestor.ScopeOf(data.Registry.State, time.GetUtcNow())));
                var result = await new Ingestor(data, rules, new LoadGovernorOptions()).IngestAsync(capture, async (records, ct) =>
                {
                    // The records' sealed bytes are the ingestor's until the callback returns: keep copies.
                    stored.AddRange(records.Select(r => r with { SealedContent = r.SealedContent.ToArray() }));
                    await notifier.OnDetectionsAsync(records, ct);
                });
                Assert.Equal(stored.Count, result.Stored);
                await notifier.SendDueAsync();
                time.Advance(TimeSpan.FromHours(2));
                await notifier.CloseDueDigestsAsync();
                await notifier.SendDueAsync();
            }

            Assert.NotEmpty(stored);
            Assert.All(stored, r => Assert.Equal(2030, r.Header.ObservedAt.Year));

            // Stored in the acquisition month, flagged, both instants kept.
            using (var store = DetectionStore.Open(dir))
            {
                Assert.All(store.Partitions(), p => Assert.Equal(new JstMonth(2026, 12), p.Month));
                foreach (var record in stored)
                {
                    var back = await store.FindAsync(record.Participant, record.Id);
                    Assert.NotNull(back);
                    Assert.Equal(acquiredAt, back!.AcquiredAt);
                    Assert.Equal(record.Header.ObservedAt, back.Header.ObservedAt);
                    Assert.True(back.ObservationSkewed);
                }
            }

            var needles = Needles(stored);
            var mailDir = Path.Combine(dir, EmlMailTransport.DirectoryName);
            Assert.NotEmpty(Directory.GetFiles(mailDir, "*.eml"));

            // Before the sweep the header data is in the store, the outbox and the .eml copies: the scan can see it.
            var before = Hits(dir, needles);
            Assert.Contains(before, h => h.File.StartsWith(DetectionStore.DirectoryName + Path.DirectorySeparatorChar, StringComparison.Ordinal));
            Assert.Contains(before, h => h.File.StartsWith(MailOutbox.DirectoryName + Path.DirectorySeparatorChar, StringComparison.Ordinal));
            Assert.Contains(before, h => h.File.EndsWith(".eml", StringComparison.Ordinal));
            var mailsBefore = MailIds(dir);

            // One day before expiry (2027-04-01T00:00+09:00 for December) nothing goes.
            time.SetUtcNow(new DateTimeOffset(2027, 3, 31, 0, 0, 0, TimeSpan.FromHours(9)));
            var early = Cli.Cli.Run(time, "retention", "sweep", "--data", dir);
            Assert.Equal(0, early.ExitCode);
            Assert.Contains("0 partition(s)", early.Out, StringComparison.Ordinal);
            Assert.NotEmpty(Hits(dir, needles));

            time.SetUtcNow(new DateTimeOffset(2027, 4, 1, 0, 0, 0, TimeSpan.FromHours(9)));
            var sweep = Cli.Cli.Run(time, "retention", "sweep", "--data", dir);
            Assert.True(sweep.ExitCode == 0, sweep.Out + sweep.Error);
            Assert.Contains("deleted partition u-tokyo/2026-12", sweep.Out, StringComparison.Ordinal);
            Assert.Contains("purged outbox:", sweep.Out, StringComparison.Ordinal);

            var after = Hits(dir, needles);
            Assert.True(after.Count == 0, "header data left after the sweep:\n" + string.Join('\n', after.Select(h => $"{h.File}: {h.Needle}")));

            // The outbox still holds every mail (numbering and threads intact), without rows; the history kept its entries.
            Assert.Equal(mailsBefore, MailIds(dir));
            using (var outbox = MailOutbox.Open(dir))
            {
                Assert.All(outbox.Events().OfType<MailQueued>(), q => Assert.Empty(q.Mail.Rows));
                Assert.Empty(outbox.State.Pending);
            }

            Assert.Contains(OperationHistoryStore.ReadAll(dir), e => e.Action == "retention.copies.purged");
            Assert.StartsWith("ok ", OperationHistoryStore.Verify(dir).ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static List<long> MailIds(string dir)
    {
        using var outbox = MailOutbox.Open(dir);
        return [.. outbox.Events().OfType<MailQueued>().Select(q => q.Mail.Id)];
    }

    /// <summary>Every form in which a record's header data may be copied: ids (16 bytes, hex and hyphenated text),
    /// addresses (network bytes and text), the port pair as it stands in a TCP/UDP header and ports of four digits or
    /// more as text, the observation instant (ticks little- and big-endian, ISO and JST text to the second), the rule id
    /// (four big-endian bytes as MessagePack writes it, and text).</summary>
    /// <remarks>A single port's two bytes, or a short port's text ("80"), would match unrelated bytes of any file of
    /// random data (keys, certificates) and prove nothing, so they are not searched on their own.</remarks>
    private static List<(string Name, byte[] Bytes)> Needles(IEnumerable<DetectionRecord> records)
    {
        var needles = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        void Text(string what, string text) => needles.TryAdd($"{what} '{text}'", Encoding.UTF8.GetBytes(text));
        void Bin(string what, byte[] bytes) => needles.TryAdd($"{what} {Convert.ToHexString(bytes)}", bytes);
        foreach (var r in records)
        {
            var id = new byte[16];
            r.Id.Value.TryWriteBytes(id, bigEndian: true, out _);
            Bin("id", id);
            Text("id", r.Id.ToString());
            Text("id", r.Id.Value.ToString("D"));
            foreach (var address in new[] { r.Header.Source, r.Header.Destination })
            {
                Bin("address", address.GetAddressBytes());
                Text("address", address.ToString());
            }

            if (r.Header.SourcePort is { } sp && r.Header.DestinationPort is { } dp)
            {
                var pair = new byte[4];
                BinaryPrimitives.WriteUInt16BigEndian(pair, sp);
                BinaryPrimitives.WriteUInt16BigEndian(pair.AsSpan(2), dp);
                Bin("ports", pair);
                foreach (var port in new[] { sp, dp }.Where(p => p >= 1000))
                {
                    Text("port", port.ToString(CultureInfo.InvariantCulture));
                }
            }

            var ticks = r.Header.ObservedAt.UtcTicks;
            var le = new byte[8];
            var be = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(le, ticks);
            BinaryPrimitives.WriteInt64BigEndian(be, ticks);
            Bin("observed ticks LE", le);
            Bin("observed ticks BE", be);
            Text("observed", r.Header.ObservedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
            Text("observed JST", Jst.ToJst(r.Header.ObservedAt).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            var sid = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(sid, checked((uint)r.Rule.Sid));
            Bin("sid", sid);
            Text("sid", r.Rule.Sid.ToString(CultureInfo.InvariantCulture));
        }

        return [.. needles.Select(kv => (kv.Key, kv.Value))];
    }

    /// <summary>Every (file, needle) whose bytes contain the needle, recursively, the operation history aside (R6.4).</summary>
    private static List<(string File, string Needle)> Hits(string dir, List<(string Name, byte[] Bytes)> needles)
    {
        var hits = new List<(string, string)>();
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(dir, file);
            if (KeptUnderR64.Any(k => relative.StartsWith(k + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            {
                continue;
            }

            var bytes = File.ReadAllBytes(file);
            foreach (var (name, needle) in needles)
            {
                if (bytes.AsSpan().IndexOf(needle) >= 0)
                {
                    hits.Add((relative, name));
                }
            }
        }

        return hits;
    }
}
