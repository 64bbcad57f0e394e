using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Host.Configuration;

/// <summary>The operation history's checkpoints and witness (R6.4), section <c>Socs:Audit</c>.</summary>
internal sealed class AuditOptions
{
    public const string SectionName = "Socs:Audit";

    /// <summary>The value of <see cref="WitnessDirectory"/> that turns the witness off.</summary>
    public const string NoWitness = "none";

    /// <summary>Where every signed checkpoint and the signing public key are copied, outside the data directory.</summary>
    /// <value>Empty (the default) means <c>&lt;data&gt;.witness</c> beside the data directory; <c>none</c> turns it off.</value>
    public string WitnessDirectory { get; set; } = string.Empty;

    /// <summary>Entries between signed checkpoints.</summary>
    /// <value>The default is 1000.</value>
    public int CheckpointEveryEntries { get; set; } = OperationHistoryStore.DefaultCheckpointInterval;

    /// <summary>Time between signed checkpoints while entries are unsigned; zero signs only by count and at shutdown.</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan CheckpointEvery { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The witness directory for a data directory: the configured one, <c>&lt;data&gt;.witness</c> when
    /// unset, null when turned off.</summary>
    public string? WitnessFor(string dataDirectory) => Resolve(WitnessDirectory, dataDirectory);

    /// <summary>Opens the history of a data directory with these intervals and witness.</summary>
    public OperationHistoryStore OpenHistory(string dataDirectory, TimeProvider time) =>
        OperationHistoryStore.Open(dataDirectory, time, CheckpointEveryEntries, CheckpointEvery, WitnessFor(dataDirectory));

    /// <summary>The options as configured for a CLI verb (appsettings.json beside the binary, <c>SOCS_</c> variables).</summary>
    public static AuditOptions FromConfiguration()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("SOCS_")
            .Build();
        var options = new AuditOptions();
        configuration.GetSection(SectionName).Bind(options);
        return options;
    }

    internal static string? Resolve(string? configured, string dataDirectory)
    {
        if (string.Equals(configured, NoWitness, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return string.IsNullOrWhiteSpace(configured)
            ? Path.GetFullPath(dataDirectory).TrimEnd(Path.DirectorySeparatorChar) + ".witness"
            : Path.GetFullPath(configured);
    }
}

internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (options.CheckpointEveryEntries < 1)
        {
            builder.AddError($"{AuditOptions.SectionName}:CheckpointEveryEntries must be 1 or more (was {options.CheckpointEveryEntries})");
        }

        if (options.CheckpointEvery < TimeSpan.Zero)
        {
            builder.AddError($"{AuditOptions.SectionName}:CheckpointEvery must not be negative (was {options.CheckpointEvery})");
        }

        if (options.WitnessDirectory.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            builder.AddError($"{AuditOptions.SectionName}:WitnessDirectory contains characters a path cannot hold (was '{options.WitnessDirectory}')");
        }

        return builder.Build();
    }
}
