using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Research;
using Nii.Socs.Host.Research;
using Nii.Socs.Host.Tests.Generators;
using Parquet;

namespace Nii.Socs.Host.Tests.Research;

/// <summary>No field of a participant's identity appears anywhere in an exported data set (R9.1).</summary>
public class ExportedDataSetProperties
{
    [Property(MaxTest = 25)]
    [Trait("Requirement", "R9.1")]
    public Property R9_1_no_participant_identity_appears_anywhere_in_an_exported_data_set() =>
        Prop.ForAll(ResearchGenerators.RegistryWithDetections(), input =>
        {
            var (registry, records) = input;
            var store = new InMemoryDetectionStore();
            records.ForEach(store.Add);
            var root = Path.Combine(Path.GetTempPath(), "socs-research-prop-" + Guid.NewGuid().ToString("N"));
            try
            {
                var texts = new List<string>();
                foreach (var format in new[] { ResearchFormat.Csv, ResearchFormat.Parquet, ResearchFormat.Pcap })
                {
                    var output = Path.Combine(root, format.ToString());
                    using var secret = ResearchSecret.Generate();
                    var request = new ResearchExportRequest(
                        new ResearchRecipient("research-lab", "A research lab", string.Empty),
                        new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero),
                        new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero),
                        format,
                        TimeRandomization.Default,
                        "rds-prop",
                        new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero),
                        output);
                    ResearchExporter.ExportAsync(store, registry, request, secret, null, default).GetAwaiter().GetResult();
                    foreach (var file in Directory.GetFiles(output))
                    {
                        texts.Add(Encoding.Latin1.GetString(File.ReadAllBytes(file)));
                    }

                    if (format == ResearchFormat.Parquet)
                    {
                        texts.AddRange(ParquetStrings(Path.Combine(output, "detections.parquet")));
                    }
                }

                var terms = registry.SelectMany(p => p.Terms()).ToList();
                var leaked = terms.Where(t => texts.Any(x => x.Contains(t, StringComparison.OrdinalIgnoreCase))).ToList();
                var quotedCount = records.Count(r => terms.Any(t => r.Rule.Message.Contains(t, StringComparison.Ordinal)));
                return (leaked.Count == 0).Label("leaked: " + string.Join(", ", leaked))
                    .Classify(records.Count == 0, "no records")
                    .Classify(quotedCount > 0, "rule messages quoted identities");
            }
            finally
            {
                if (Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }
            }
        });

    /// <summary>Decoded string columns (Parquet compresses, so the raw bytes alone prove nothing).</summary>
    private static List<string> ParquetStrings(string path)
    {
        var strings = new List<string>();
        var reader = ParquetReader.CreateAsync(path).GetAwaiter().GetResult();
        try
        {
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var group = reader.OpenRowGroupReader(g);
                foreach (var field in new[] { ParquetResearchWriter.Record, ParquetResearchWriter.Participant, ParquetResearchWriter.Source, ParquetResearchWriter.Destination, ParquetResearchWriter.RuleMessage, ParquetResearchWriter.RuleClassType, ParquetResearchWriter.DetectionSource })
                {
                    var values = new string?[group.RowCount];
                    group.ReadAsync(field, values.AsMemory()).AsTask().GetAwaiter().GetResult();
                    strings.AddRange(values.Select(v => v ?? string.Empty));
                }
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return strings;
    }
}
