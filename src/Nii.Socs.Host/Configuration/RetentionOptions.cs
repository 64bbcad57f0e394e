using Microsoft.Extensions.Options;
using Nii.Socs.Core.Retention;

namespace Nii.Socs.Host.Configuration;

/// <summary>Retention of detection information (R7.3), section <c>Socs:Retention</c>.</summary>
internal sealed class RetentionOptions
{
    public const string SectionName = "Socs:Retention";

    /// <summary>Whole months kept after the acquisition month.</summary>
    /// <value>The default is 3 (R7.3).</value>
    public int Months { get; set; } = RetentionPolicy.Default.Months;

    public RetentionPolicy ToPolicy() => new(Months);
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (options.Months is < 0 or > RetentionPolicy.MaxMonths)
        {
            builder.AddError($"{RetentionOptions.SectionName}:Months must be between 0 and {RetentionPolicy.MaxMonths} (was {options.Months})");
        }

        return builder.Build();
    }
}
