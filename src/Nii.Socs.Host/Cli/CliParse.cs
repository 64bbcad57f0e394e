using System.Globalization;

namespace Nii.Socs.Host.Cli;

/// <summary>Strict parsers for CLI values: every failure names the option and the expected form.</summary>
internal static class CliParse
{
    public static DateTimeOffset Instant(string option, string? text)
    {
        if (text is not null
            && text.Contains('T', StringComparison.Ordinal)
            && (text.EndsWith('Z') || text.Contains('+', StringComparison.Ordinal) || text.LastIndexOf('-') > text.IndexOf('T', StringComparison.Ordinal))
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
        {
            return value;
        }

        throw new CliUsageException($"{option} must be an ISO 8601 instant with an offset, such as 2026-11-30T20:00:00Z or 2026-12-28T16:30:00+09:00; got '{text}'.");
    }

    public static DateOnly Date(string option, string? text)
    {
        if (text is not null && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
        {
            return value;
        }

        throw new CliUsageException($"{option} must be a date yyyy-MM-dd, such as 2026-05-10; got '{text}'.");
    }

    /// <summary>An instant as every verb prints it: ISO 8601 in JST, <c>+09:00</c>, no fractional zeros (<see cref="CliOutput.Instant"/>).</summary>
    public static string Iso(DateTimeOffset instant) => CliOutput.Instant(instant);

    public static string Iso(DateOnly date) => CliOutput.Date(date);

    public static System.CommandLine.Option<string> DataOption() => new("--data") { Description = "The data directory", Required = true };

    public static string ExistingDataDirectory(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || !Directory.Exists(path))
        {
            throw new CliUsageException($"--data must be an existing data directory; got '{path}'.");
        }

        return path;
    }

    /// <summary>The host key-encryption key of a data directory, never inside it (<see cref="Pipeline.HostSecrets"/>).</summary>
    public static string KekFileFor(string dataDirectory) => Pipeline.HostSecrets.KekFile(dataDirectory);
}
