using Microsoft.Extensions.Options;

namespace Nii.Socs.Host.Configuration;

/// <summary>Where the service keeps its data, section <c>Socs:Data</c>.</summary>
internal sealed class DataOptions
{
    public const string SectionName = "Socs:Data";

    /// <summary>The data directory, relative to the working directory when not absolute.</summary>
    /// <value>The default is <c>data</c> (DESIGN §8).</value>
    public string Directory { get; set; } = "data";
}

internal sealed class DataOptionsValidator : IValidateOptions<DataOptions>
{
    public ValidateOptionsResult Validate(string? name, DataOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            builder.AddError($"{DataOptions.SectionName}:Directory must name a directory (was empty)");
        }
        else if (options.Directory.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            builder.AddError($"{DataOptions.SectionName}:Directory contains characters a path cannot hold (was '{options.Directory}')");
        }

        return builder.Build();
    }
}
