using Microsoft.Extensions.Options;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage.Consent;

namespace Nii.Socs.Core.Hosting;

/// <summary>The settings of a <see cref="SocsNode"/>: plain properties, so they bind from configuration
/// (<c>services.Configure&lt;NiiSocsOptions&gt;(configuration.GetSection(NiiSocsOptions.SectionName))</c>) or are set in code.</summary>
/// <remarks>Checked by <see cref="Validate"/> when the node is built; a bad value stops the start with every problem named.</remarks>
public sealed class NiiSocsOptions
{
    /// <summary>The configuration section these options are usually bound from.</summary>
    public const string SectionName = "NiiSocs";

    /// <summary>The data directory of the FASTER stores (created when absent). Set by <see cref="NiiSocsBuilder.UseFasterStorage"/>.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The host key-encryption key file, created when absent; it must lie outside <see cref="DataDirectory"/> (R8.4):
    /// a copy of the data directory alone never holds the key that opens the current epoch's key.</summary>
    public string? KeyEncryptionKeyFile { get; set; }

    /// <summary>Whole months detections are kept after their acquisition month: 0 to 3 (R7.3; a longer period is an agreement
    /// recorded per participant, not a setting).</summary>
    public int RetentionMonths { get; set; } = RetentionPolicy.Default.Months;

    /// <summary>The key epoch in days, 1 to <see cref="EpochSchedule.MaxPeriodDays"/>; the regulation's default is 7 (R8.3).</summary>
    public int EpochPeriodDays { get; set; } = EpochSchedule.DefaultPeriodDays;

    /// <summary>Where presented keys live while a grant lives (R8.6): in memory (default) or sealed under the host key until the grant ends.</summary>
    public GrantKeyCustody GrantKeyCustody { get; set; } = GrantKeyCustody.Memory;

    /// <summary>Every problem of these options, one sentence each; empty when they are valid.</summary>
    /// <returns>The problems.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            problems.Add($"{nameof(DataDirectory)} is required (call UseFasterStorage or set it)");
        }

        if (string.IsNullOrWhiteSpace(KeyEncryptionKeyFile))
        {
            problems.Add($"{nameof(KeyEncryptionKeyFile)} is required");
        }
        else if (!string.IsNullOrWhiteSpace(DataDirectory) && IsInside(KeyEncryptionKeyFile, DataDirectory))
        {
            problems.Add($"{nameof(KeyEncryptionKeyFile)} must lie outside {nameof(DataDirectory)} (R8.4)");
        }

        if (RetentionMonths is < 0 or > 3)
        {
            problems.Add($"{nameof(RetentionMonths)} must be between 0 and 3 (was {RetentionMonths}): it can only shorten the 3 months of R7.3");
        }

        if (EpochPeriodDays is < 1 or > EpochSchedule.MaxPeriodDays)
        {
            problems.Add($"{nameof(EpochPeriodDays)} must be between 1 and {EpochSchedule.MaxPeriodDays} (was {EpochPeriodDays}) (R8.3)");
        }

        if (!Enum.IsDefined(GrantKeyCustody))
        {
            problems.Add($"{nameof(GrantKeyCustody)} must be Memory or SealedUntilGrantEnds (was {GrantKeyCustody})");
        }

        return problems;
    }

    private static bool IsInside(string file, string directory)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(file).StartsWith(root, StringComparison.Ordinal);
    }
}

/// <summary>Runs <see cref="NiiSocsOptions.Validate"/> for the options system.</summary>
internal sealed class NiiSocsOptionsValidator : IValidateOptions<NiiSocsOptions>
{
    public ValidateOptionsResult Validate(string? name, NiiSocsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
