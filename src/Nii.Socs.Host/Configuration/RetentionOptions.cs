using Microsoft.Extensions.Options;
using Nii.Socs.Core.Retention;

namespace Nii.Socs.Host.Configuration;

/// <summary>Retention of detection information (R7.3), section <c>Socs:Retention</c>.</summary>
internal sealed class RetentionOptions
{
    public const string SectionName = "Socs:Retention";

    /// <summary>Whole months kept after the acquisition month, for every participant without an agreement; it can only shorten the regulation's 3 months (R7.3). A longer period exists only as a recorded agreement (<c>socs participants agreement</c>).</summary>
    /// <value>The default is 3 (R7.3); 0 to 3.</value>
    public int Months { get; set; } = RetentionPolicy.Default.Months;

    public RetentionPolicy ToPolicy() => new(Months);
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (options.Months is < 0 or > 3)
        {
            builder.AddError($"{RetentionOptions.SectionName}:Months must be between 0 and 3 (was {options.Months}): it can only shorten the 3 months of R7.3; a longer period is a recorded agreement (socs participants agreement)");
        }

        return builder.Build();
    }
}
