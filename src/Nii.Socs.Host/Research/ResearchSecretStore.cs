using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Research;

/// <summary>The organization's record of research data-set secrets: one JSON file per data set under
/// <c>DATA/research/secrets/</c>, readable by the owner only (R9.1).</summary>
/// <remarks>
/// R9.1: the secret is kept by the organization, outside the data set, so the method stays reproducible
/// and a later export for the same recipient can be made consistent on request. Each file also records
/// what the manifest must not disclose: the real range and the time shift.
/// </remarks>
internal sealed class ResearchSecretStore(string dataDirectory)
{
    public string Directory { get; } = Path.GetFullPath(Path.Combine(dataDirectory, "research", "secrets"));

    public string PathOf(string dataSetId)
    {
        // An id names a file: only the form the exporter makes is accepted, so "../x" reads nothing.
        if (dataSetId.Length is < 5 or > 64 || !dataSetId.StartsWith("rds-", StringComparison.Ordinal)
            || !dataSetId.AsSpan(4).ContainsOnlyAsciiLettersOrDigitsOrHyphen())
        {
            throw new ArgumentException($"'{dataSetId}' is not a research data-set id (rds- followed by letters, digits or hyphens).", nameof(dataSetId));
        }

        return Path.Combine(Directory, dataSetId + ".json");
    }

    public void Save(string dataSetId, ResearchSecret secret, ResearchExportRequest request, TimeSpan shift)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var bytes = new byte[ResearchSecret.Length];
        secret.CopyTo(bytes);
        var json = new JsonObject
        {
            ["dataSetId"] = dataSetId,
            ["secretHex"] = Convert.ToHexStringLower(bytes),
            ["secretCommitment"] = secret.Commitment(),
            ["recipient"] = request.Recipient.Name,
            ["from"] = request.From.ToString("O", CultureInfo.InvariantCulture),
            ["to"] = request.To.ToString("O", CultureInfo.InvariantCulture),
            ["format"] = request.Format.ToString().ToLowerInvariant(),
            ["timeShiftTicks"] = shift.Ticks,
            ["createdAt"] = request.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        };
        Array.Clear(bytes);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(PathOf(dataSetId), options);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteTo(writer);
    }

    public ResearchSecret Load(string dataSetId)
    {
        var path = PathOf(dataSetId);
        if (!File.Exists(path))
        {
            throw new ArgumentException($"No secret is kept for research data set '{dataSetId}' (looked for {path}).", nameof(dataSetId));
        }

        var json = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty.");
        var hex = json["secretHex"]?.GetValue<string>() ?? throw new InvalidDataException($"{path} has no secretHex.");
        var bytes = Convert.FromHexString(hex);
        try
        {
            return ResearchSecret.FromBytes(bytes);
        }
        finally
        {
            Array.Clear(bytes);
        }
    }

    public bool Contains(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var mine = Directory.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return full.StartsWith(mine, StringComparison.Ordinal) || mine.StartsWith(full, StringComparison.Ordinal);
    }
}

/// <summary>Span checks for <see cref="ResearchSecretStore"/>.</summary>
internal static class DataSetIdText
{
    public static bool ContainsOnlyAsciiLettersOrDigitsOrHyphen(this ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }
}
