using Microsoft.Extensions.Options;

namespace Nii.Socs.Host.Configuration;

/// <summary>Where `socs serve` takes its traffic from, section <c>Socs:Capture</c> (R4.1, R4.4).</summary>
internal sealed class CaptureOptions
{
    public const string SectionName = "Socs:Capture";

    /// <summary>A directory watched for sensor files (pcap, pcapng, EVE JSON); each is ingested once, then moved to <c>processed/</c>.</summary>
    /// <remarks>Only complete files are taken: write a file elsewhere on the same file system and rename it in, or give it a
    /// <c>.part</c> suffix while writing (names ending in <c>.part</c> or starting with <c>.</c> are ignored). A file is
    /// taken only once its size and modification time are the same at two looks one <see cref="PollInterval"/> apart.</remarks>
    /// <value>The default is <c>data/incoming</c>.</value>
    public string IncomingDirectory { get; set; } = Path.Combine("data", "incoming");

    /// <summary>The rule file (Suricata/Snort subset, docs/capture.md).</summary>
    /// <value>The default is the bundled <c>samples/rules/demo.rules</c>.</value>
    public string RulesFile { get; set; } = Path.Combine(AppContext.BaseDirectory, "samples", "rules", "demo.rules");

    /// <summary>A network interface to capture from live through libpcap (as root); none when empty.</summary>
    /// <value>The default is none: only the incoming directory is read.</value>
    public string? Interface { get; set; }

    /// <summary>A BPF filter for live capture, such as <c>net 192.0.2.0/24</c>; none when empty.</summary>
    /// <value>The default is none.</value>
    public string? Filter { get; set; }

    /// <summary>How often the incoming directory is looked at.</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest EVE JSON line read, in characters; a longer line is skipped, counted and never held whole.</summary>
    /// <value>The default is 1,048,576 (1 MiB).</value>
    public int MaxEveLineLength { get; set; } = Capture.Eve.EveReader.DefaultMaxLineLength;
}

internal sealed class CaptureOptionsValidator : IValidateOptions<CaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, CaptureOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (string.IsNullOrWhiteSpace(options.IncomingDirectory))
        {
            builder.AddError($"{CaptureOptions.SectionName}:IncomingDirectory must name a directory (was empty)");
        }

        if (!File.Exists(options.RulesFile))
        {
            builder.AddError($"{CaptureOptions.SectionName}:RulesFile must be an existing rule file (was '{options.RulesFile}')");
        }

        if (options.PollInterval < TimeSpan.FromMilliseconds(100) || options.PollInterval > TimeSpan.FromHours(1))
        {
            builder.AddError($"{CaptureOptions.SectionName}:PollInterval must be between 00:00:00.1 and 01:00:00 (was {options.PollInterval})");
        }

        if (options.MaxEveLineLength is < 1024 or > 256 << 20)
        {
            builder.AddError($"{CaptureOptions.SectionName}:MaxEveLineLength must be between 1024 and {256 << 20} (was {options.MaxEveLineLength})");
        }

        return builder.Build();
    }
}
