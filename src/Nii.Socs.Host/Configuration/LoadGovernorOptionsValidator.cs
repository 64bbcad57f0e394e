using System.Globalization;
using Microsoft.Extensions.Options;
using Nii.Socs.Capture.Governor;

namespace Nii.Socs.Host.Configuration;

/// <summary>Validates <c>Socs:Capture:Governor:*</c> (R5.2): every bad setting is reported, one line each, with its key and value.</summary>
/// <remarks>The ranges are those of <see cref="LoadGovernorOptions.Validate"/>, which the pipeline checks again; this validator
/// only reports them all at once on start instead of the first one at the first capture.</remarks>
internal sealed class LoadGovernorOptionsValidator : IValidateOptions<LoadGovernorOptions>
{
    public ValidateOptionsResult Validate(string? name, LoadGovernorOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        const string Section = LoadGovernorOptions.SectionName;
        if (options.QueueCapacity is < 2 or > 1_000_000)
        {
            builder.AddError(string.Create(CultureInfo.InvariantCulture, $"{Section}:QueueCapacity must be between 2 and 1000000 (was {options.QueueCapacity})"));
        }

        if (!(options.HighWaterMark > 0 && options.HighWaterMark <= 1))
        {
            builder.AddError(string.Create(CultureInfo.InvariantCulture, $"{Section}:HighWaterMark must be above 0 and at most 1 (was {options.HighWaterMark})"));
        }

        if (!(options.LowWaterMark >= 0 && options.LowWaterMark < options.HighWaterMark))
        {
            builder.AddError(string.Create(CultureInfo.InvariantCulture, $"{Section}:LowWaterMark must be at least 0 and below HighWaterMark {options.HighWaterMark} (was {options.LowWaterMark})"));
        }

        if (options.Sustain < TimeSpan.Zero)
        {
            builder.AddError(string.Create(CultureInfo.InvariantCulture, $"{Section}:Sustain must not be negative (was {options.Sustain})"));
        }

        return builder.Build();
    }
}
