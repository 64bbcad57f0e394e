using System.Security.Cryptography;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Research;

/// <summary>Writes an anonymised research data set and its manifest from a range of stored detections (R9.1).</summary>
/// <remarks>
/// The data set directory receives exactly two files: the data (<c>detections.parquet</c>, <c>.csv</c> or
/// <c>.pcap</c>) and <c>manifest.json</c>. The secret is never written here; the caller keeps it in the
/// organization's secrets store (<see cref="ResearchSecretStore"/>).
/// </remarks>
internal static class ResearchExporter
{
    public const string ManifestName = "manifest.json";

    private const int Chunk = 4096;

    public static string DataFileName(ResearchFormat format) => format switch
    {
        ResearchFormat.Parquet => "detections.parquet",
        ResearchFormat.Csv => "detections.csv",
        ResearchFormat.Pcap => "detections.pcap",
        ResearchFormat.EncryptedZip => MalwarePackageWriter.ZipName,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown research format."),
    };

    public static async Task<ResearchManifest> ExportAsync(
        IDetectionRangeReader source,
        IReadOnlyList<ParticipantIdentity> participants,
        ResearchExportRequest request,
        ResearchSecret secret,
        IProgress<ResearchExportProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(participants);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(secret);
        if (request.To <= request.From)
        {
            throw new ArgumentException($"The export range must end after it starts; got {request.From:O} to {request.To:O}.", nameof(request));
        }

        PrepareOutput(request.OutputDirectory);
        var dataName = DataFileName(request.Format);
        var dataPath = Path.Combine(request.OutputDirectory, dataName);
        using var anonymizer = new ResearchAnonymizer(secret, request.Time, participants);

        long rows = 0;
        DateTimeOffset? first = null;
        DateTimeOffset? last = null;
        var span = (request.To - request.From).Ticks;
        await using (var file = new FileStream(dataPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await using var writer = CreateWriter(request.Format, file);
            var chunk = new List<DetectionRecord>(Chunk);
            DateTimeOffset latest = request.From;
            await foreach (var record in source.ReadRangeAsync(request.From, request.To, cancellationToken).WithCancellation(cancellationToken))
            {
                // The store promises the range; a record outside it is never exported all the same.
                if (record.AcquiredAt < request.From || record.AcquiredAt >= request.To)
                {
                    continue;
                }

                chunk.Add(record);
                latest = record.AcquiredAt > latest ? record.AcquiredAt : latest;
                if (chunk.Count == Chunk)
                {
                    await WriteChunkAsync();
                }
            }

            await WriteChunkAsync();

            async Task WriteChunkAsync()
            {
                // Anonymising a chunk at once lets Crypto-PAn batch its AES work.
                foreach (var row in anonymizer.Anonymize(chunk))
                {
                    await writer.WriteAsync(row, cancellationToken);
                    rows++;
                    first = first is null || row.ObservedAt < first ? row.ObservedAt : first;
                    last = last is null || row.ObservedAt > last ? row.ObservedAt : last;
                }

                chunk.Clear();
                progress?.Report(new ResearchExportProgress(rows, Math.Clamp((latest - request.From).Ticks / (double)span, 0, 1)));
            }

            await writer.CompleteAsync(cancellationToken);
        }

        progress?.Report(new ResearchExportProgress(rows, 1));
        var manifest = new ResearchManifest
        {
            DataSetId = request.DataSetId,
            Recipient = request.Recipient,
            CreatedAt = request.CreatedAt,
            Format = request.Format,
            Time = request.Time,
            ObservedRange = first is { } f && last is { } l ? (f, l) : null,
            Rows = rows,
            Files = [await DescribeAsync(dataPath, cancellationToken)],
            SecretCommitment = secret.Commitment(),
        };
        await File.WriteAllBytesAsync(Path.Combine(request.OutputDirectory, ManifestName), manifest.ToJson(), cancellationToken);
        return manifest;
    }

    public static void PrepareOutput(string directory)
    {
        if (File.Exists(directory))
        {
            throw new ArgumentException($"The output '{directory}' is a file; give a new or empty directory.", nameof(directory));
        }

        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new ArgumentException($"The output directory '{directory}' is not empty; a data set goes into a new or empty directory.", nameof(directory));
        }

        Directory.CreateDirectory(directory);
    }

    public static async Task<ResearchFileEntry> DescribeAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return new ResearchFileEntry(Path.GetFileName(path), stream.Length, Convert.ToHexStringLower(hash));
    }

    private static IResearchRowWriter CreateWriter(ResearchFormat format, Stream stream) => format switch
    {
        ResearchFormat.Parquet => new ParquetResearchWriter(stream),
        ResearchFormat.Csv => new CsvResearchWriter(stream),
        ResearchFormat.Pcap => new PcapResearchWriter(stream),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown research format."),
    };
}
