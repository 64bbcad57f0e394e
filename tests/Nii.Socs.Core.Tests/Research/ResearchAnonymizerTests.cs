using System.Net;
using System.Text;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Core.Tests.Research;

public class ResearchAnonymizerTests
{
    private static readonly ParticipantIdentity s_tokyo = new(
        new ParticipantId("u-tokyo"),
        "The University of Tokyo",
        ["soc@u-tokyo.ac.jp", "Taro Yamada", "mail.u-tokyo.ac.jp"],
        ["CN=Taro Yamada,O=The University of Tokyo", "3A:5F:91:00:AB"]);

    internal static DetectionRecord Record(string participant, string message, DateTimeOffset at, string source = "192.0.2.10", string destination = "198.51.100.7") => new()
    {
        Id = DetectionId.New(at),
        Participant = new ParticipantId(participant),
        Epoch = new EpochId(new ParticipantId(participant), 987654321),
        Header = new DetectionHeader
        {
            ObservedAt = at,
            Source = IPAddress.Parse(source),
            Destination = IPAddress.Parse(destination),
            Protocol = 6,
            SourcePort = 51515,
            DestinationPort = 443,
            TcpFlags = 0x02,
            CapturedLength = 74,
            WireLength = 74,
            ContentLength = 0,
            HeaderBytes = Encoding.ASCII.GetBytes("MAC-AND-IP-HEADER-BYTES"),
        },
        Rule = new RuleRef(2100498, 7, message, "attempted-admin", 1),
        SealedContent = Encoding.ASCII.GetBytes("SEALED-CONTENT-BLOB"),
    };

    [Fact]
    [Trait("Requirement", "R9.1")]
    public void Identities_in_rule_messages_are_scrubbed_case_insensitively_longest_first()
    {
        using var secret = ResearchSecret.Generate();
        using var anonymizer = new ResearchAnonymizer(secret, TimeRandomization.Default, [s_tokyo]);
        var row = anonymizer.Anonymize(Record("u-tokyo", "LOCAL brute force on MAIL.U-TOKYO.AC.JP by taro yamada", DateTimeOffset.UnixEpoch.AddYears(56)));
        Assert.Equal("LOCAL brute force on [participant] by [participant]", row.RuleMessage);
    }

    [Fact]
    [Trait("Requirement", "R9.1")]
    public void Row_carries_pseudonyms_and_shifted_time_never_ids_epochs_or_content()
    {
        using var secret = ResearchSecret.Generate();
        using var anonymizer = new ResearchAnonymizer(secret, TimeRandomization.Default, [s_tokyo]);
        var at = new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
        var record = Record("u-tokyo", "ET SCAN", at);
        var row = anonymizer.Anonymize(record);

        Assert.StartsWith("p-", row.Participant, StringComparison.Ordinal);
        Assert.StartsWith("r-", row.Record, StringComparison.Ordinal);
        Assert.Equal(at + anonymizer.Time.Shift, row.ObservedAt);
        var text = row.ToString();
        Assert.DoesNotContain("u-tokyo", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(record.Id.ToString(), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SEALED", text, StringComparison.Ordinal);
        Assert.DoesNotContain("987654321", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Same_secret_reproduces_the_same_row_and_another_secret_does_not()
    {
        var bytes = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var record = Record("u-tokyo", "ET SCAN", new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));
        using var s1 = ResearchSecret.FromBytes(bytes);
        using var s2 = ResearchSecret.FromBytes(bytes);
        using var s3 = ResearchSecret.Generate();
        using var a1 = new ResearchAnonymizer(s1, TimeRandomization.Default, [s_tokyo]);
        using var a2 = new ResearchAnonymizer(s2, TimeRandomization.Default, [s_tokyo]);
        using var a3 = new ResearchAnonymizer(s3, TimeRandomization.Default, [s_tokyo]);
        Assert.Equal(a1.Anonymize(record), a2.Anonymize(record));
        Assert.NotEqual(a1.Anonymize(record).Participant, a3.Anonymize(record).Participant);
    }

    [Fact]
    public void Terms_shorter_than_the_minimum_are_not_scrubbed()
    {
        var shortId = new ParticipantIdentity(new ParticipantId("abc"), string.Empty, [], []);
        using var secret = ResearchSecret.Generate();
        using var anonymizer = new ResearchAnonymizer(secret, TimeRandomization.Default, [shortId]);
        Assert.Equal("abc scan", anonymizer.Scrub("abc scan"));
    }

    [Fact]
    [Trait("Requirement", "R9.1")]
    public void Manifest_names_recipient_and_method_and_holds_no_secret()
    {
        using var secret = ResearchSecret.Generate();
        var raw = new byte[32];
        secret.CopyTo(raw);
        var shift = secret.DeriveTimeShift(TimeRandomization.Default);
        var manifest = new ResearchManifest
        {
            DataSetId = "rds-1",
            Recipient = new ResearchRecipient("kyoto-lab", "Kyoto University, network lab", "lab@example.ac.jp"),
            CreatedAt = new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero),
            Format = ResearchFormat.Csv,
            Time = TimeRandomization.Default,
            Rows = 3,
            Files = [new ResearchFileEntry("detections.csv", 10, new string('0', 64))],
            SecretCommitment = secret.Commitment(),
        };
        var json = Encoding.UTF8.GetString(manifest.ToJson());
        Assert.Contains("kyoto-lab", json, StringComparison.Ordinal);
        Assert.Contains("Crypto-PAn", json, StringComparison.Ordinal);
        Assert.Contains("\"maxShiftSeconds\": 15552000", json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(raw), json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(raw), json, StringComparison.Ordinal);
        Assert.DoesNotContain(shift.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), json, StringComparison.Ordinal);
    }

    [Fact]
    public void Secret_and_keys_never_print_their_bytes()
    {
        using var secret = ResearchSecret.Generate();
        using var pan = secret.CreateAddressAnonymizer();
        Assert.DoesNotContain("0x", secret.ToString(), StringComparison.Ordinal);
        Assert.Equal("ResearchSecret (32 bytes, not shown)", secret.ToString());
        Assert.Contains("not shown", pan.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Disposed_secret_is_zeroed_and_refuses_use()
    {
        var secret = ResearchSecret.FromBytes(Enumerable.Repeat((byte)0xAB, 32).ToArray());
        secret.Dispose();
        Assert.Throws<ObjectDisposedException>(() => secret.CopyTo(new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => secret.Commitment());
    }
}

public class ResearchAnonymizerBatchTests
{
    [Fact]
    [Trait("Requirement", "R9.1")]
    public void Batch_rows_equal_one_by_one_rows_for_IPv4_IPv6_and_mapped_addresses()
    {
        var bytes = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var at = new DateTimeOffset(2026, 11, 5, 12, 0, 0, TimeSpan.Zero);
        var records = new[]
        {
            ResearchAnonymizerTests.Record("u-tokyo", "a", at, "192.0.2.1", "198.51.100.7"),
            ResearchAnonymizerTests.Record("u-tokyo", "b", at.AddSeconds(1), "2001:db8::1", "2001:db8:ffff::2"),
            ResearchAnonymizerTests.Record("u-tokyo", "c", at.AddSeconds(2), "::ffff:192.0.2.1", "192.0.2.1"),
            ResearchAnonymizerTests.Record("u-tokyo", "d", at.AddSeconds(3), "192.0.2.1", "2001:db8::1"),
        };
        using var s1 = ResearchSecret.FromBytes(bytes);
        using var s2 = ResearchSecret.FromBytes(bytes);
        using var batch = new ResearchAnonymizer(s1, TimeRandomization.Default, []);
        using var single = new ResearchAnonymizer(s2, TimeRandomization.Default, []);
        var rows = batch.Anonymize(records);
        for (var i = 0; i < records.Length; i++)
        {
            Assert.Equal(single.Anonymize(records[i]), rows[i]);
        }

        Assert.Equal(rows[0].Source.MapToIPv6(), rows[2].Source);
        Assert.Equal(rows[0].Source, rows[2].Destination);
    }
}
