using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Nii.Socs.Core.Research;

/// <summary>The disclosed description of one research data set: method, parameters and recipient, never
/// the secrets (R9.1).</summary>
/// <remarks>
/// <para>R9.1: the method is set by the director and shown to participants. This manifest is written
/// beside the data and can be shown to participants as it is. It names the recipient (Art. 9).</para>
/// <para>It never holds: the data-set secret or anything derived from it except the one-way
/// <see cref="SecretCommitment"/>; the time shift; the real time range of the export (it would reveal the
/// shift). Worked case: an export of 2026-11-01..2026-12-01 shifted by −37 days lists its observed range as
/// 2026-09-25..2026-10-25, which is what the rows say too.</para>
/// </remarks>
internal sealed record ResearchManifest
{
    /// <summary>The schema identifier written into the JSON.</summary>
    public const string Schema = "nii-socs/research-manifest/v1";

    /// <summary>The data set's identifier.</summary>
    public required string DataSetId { get; init; }

    /// <summary>The recipient the data set is made for.</summary>
    public required ResearchRecipient Recipient { get; init; }

    /// <summary>When the data set was made (real time: this is not an observation time).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The file format.</summary>
    public required ResearchFormat Format { get; init; }

    /// <summary>The time randomisation settings (parameters only; the shift itself is secret).</summary>
    public required TimeRandomization Time { get; init; }

    /// <summary>The shifted range the rows' times fall in; null for an empty data set.</summary>
    public (DateTimeOffset First, DateTimeOffset Last)? ObservedRange { get; init; }

    /// <summary>How many rows (or samples, for a malware package) the data set holds.</summary>
    public required long Rows { get; init; }

    /// <summary>The files of the data set.</summary>
    public required IReadOnlyList<ResearchFileEntry> Files { get; init; }

    /// <summary>The public commitment of the secret (<see cref="ResearchSecret.Commitment"/>).</summary>
    public required string SecretCommitment { get; init; }

    /// <summary>The samples of a malware package (R9.2); empty for a detection data set.</summary>
    public IReadOnlyList<MalwarePackageEntry> Samples { get; init; } = [];

    /// <summary>What kind of data set this is: <c>detections</c> or <c>malware</c>.</summary>
    /// <value>The default is <c>detections</c>.</value>
    public string Kind { get; init; } = "detections";

    /// <summary>The manifest as indented UTF-8 JSON.</summary>
    /// <returns>The JSON bytes.</returns>
    /// <remarks>R9.1: every field a participant needs to understand the method, and nothing secret.</remarks>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("schema", Schema);
            json.WriteString("kind", Kind);
            json.WriteString("dataSetId", DataSetId);
            json.WriteStartObject("recipient");
            json.WriteString("name", Recipient.Name);
            json.WriteString("organization", Recipient.Organization);
            json.WriteString("contact", Recipient.Contact);
            json.WriteEndObject();
            json.WriteString("createdAt", Iso(CreatedAt));
            json.WriteString("format", Format == ResearchFormat.EncryptedZip ? "encrypted-zip" : Format.ToString().ToLowerInvariant());
            json.WriteNumber("rows", Rows);
            if (ObservedRange is { } range)
            {
                json.WriteStartObject("observedRange");
                json.WriteString("first", Iso(range.First));
                json.WriteString("last", Iso(range.Last));
                json.WriteString("note", "randomised times: the real range is not disclosed");
                json.WriteEndObject();
            }

            json.WriteStartArray("files");
            foreach (var file in Files)
            {
                json.WriteStartObject();
                json.WriteString("name", file.Name);
                json.WriteNumber("bytes", file.Bytes);
                json.WriteString("sha256", file.Sha256);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (Samples.Count > 0)
            {
                json.WriteStartArray("samples");
                foreach (var sample in Samples)
                {
                    json.WriteStartObject();
                    json.WriteString("sha256", sample.Sha256);
                    json.WriteNumber("size", sample.Size);
                    json.WriteString("firstSeen", Iso(sample.FirstSeen));
                    json.WriteStartObject("rule");
                    json.WriteNumber("sid", sample.RuleSid);
                    json.WriteNumber("rev", sample.RuleRev);
                    json.WriteString("message", sample.RuleMessage);
                    json.WriteEndObject();
                    json.WriteString("sampleEntry", sample.SampleEntry);
                    json.WriteString("sandboxReportEntry", sample.ReportEntry);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteString("archive", $"zip encrypted with the password '{MalwarePackagePlan.Password}' (ZipCrypto); samples are named by SHA-256 with no extension");
            }

            WriteMethod(json);
            json.WriteString("secretCommitment", SecretCommitment);
            json.WriteString("secret", "kept by the organization; not part of this data set");
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string Iso(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static double Seconds(TimeSpan span) => span.Ticks / (double)TimeSpan.TicksPerSecond;

    private void WriteMethod(Utf8JsonWriter json)
    {
        json.WriteStartObject("method");
        json.WriteString("requirement", "R9.1 (NII-SOCS detailed rules, Art. 9)");
        json.WriteString("secretDerivation", "HKDF-SHA-256 (RFC 5869) of a 32-byte per-data-set secret from the OS CSPRNG; info strings nii-socs/research/v1/{crypto-pan,time-shift,pseudonym}");

        json.WriteStartObject("addresses");
        json.WriteString("algorithm", "Crypto-PAn prefix-preserving anonymisation (J. Xu, J. Fan, M. Ammar, S. Moon, ICNP 2002)");
        json.WriteString("cipher", "AES-128; 32-byte key = AES key and pad");
        json.WriteNumber("ipv4Bits", 32);
        json.WriteNumber("ipv6Bits", 128);
        json.WriteString("property", "two addresses sharing exactly k leading bits share exactly k leading bits after anonymisation");
        json.WriteString("ipv4MappedIPv6", "anonymised as the IPv4 address they carry");
        json.WriteEndObject();

        json.WriteStartObject("times");
        json.WriteString("shift", "one secret shift for the whole data set, a whole multiple of the unit, uniform within plus or minus the maximum; keeps order and spacing");
        json.WriteNumber("maxShiftSeconds", Seconds(Time.MaxShift));
        json.WriteNumber("shiftUnitSeconds", Seconds(Time.ShiftUnit));
        if (Time.Bucket is { } bucket)
        {
            json.WriteNumber("bucketSeconds", Seconds(bucket));
            json.WriteString("bucket", "shifted times are floored to a multiple of the bucket counted from 1970-01-01T00:00:00Z");
        }
        else
        {
            json.WriteNull("bucketSeconds");
        }

        json.WriteEndObject();

        json.WriteStartObject("identities");
        json.WriteString("pseudonyms", "HMAC-SHA-256 under the data set's pseudonym key, first 64 bits in hex: participant (p-…) and record (r-…)");
        json.WriteString("freeText", $"participant ids, names, contacts and certificate data of at least {ResearchAnonymizer.MinimumScrubLength} characters are replaced by {ResearchAnonymizer.ScrubMark}, case-insensitively");
        json.WriteEndObject();

        json.WriteStartArray("removed");
        foreach (var removed in (string[])[
            "communication content (R2.1): never part of a research data set",
            "raw header bytes (MAC addresses, IP ids, TTLs, options)",
            "detection ids (they embed the real acquisition time)",
            "key epochs",
            "participant names, contact data and certificate data",
        ])
        {
            json.WriteStringValue(removed);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
