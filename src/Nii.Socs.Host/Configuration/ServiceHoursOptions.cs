using System.Globalization;
using Microsoft.Extensions.Options;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Host.Configuration;

/// <summary>Service hours of NII-SOCS staff (R10), section <c>Socs:ServiceHours</c>.</summary>
internal sealed class ServiceHoursOptions
{
    public const string SectionName = "Socs:ServiceHours";

    /// <summary>Opening time, HH:mm JST.</summary>
    /// <value>The default is 09:00 (R10).</value>
    public string Opens { get; set; } = "09:00";

    /// <summary>Closing time, HH:mm JST.</summary>
    /// <value>The default is 17:00 (R10).</value>
    public string Closes { get; set; } = "17:00";

    /// <summary>Extra closure days, yyyy-MM-dd, on top of weekends, holidays and 29 Dec – 3 Jan.</summary>
    /// <value>The default is none.</value>
    public string[] ExtraClosures { get; set; } = [];

    public ServiceCalendar ToCalendar() => new(
        TimeOnly.ParseExact(Opens, "HH:mm", CultureInfo.InvariantCulture),
        TimeOnly.ParseExact(Closes, "HH:mm", CultureInfo.InvariantCulture),
        ExtraClosures.Select(d => DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture)));
}

internal sealed class ServiceHoursOptionsValidator : IValidateOptions<ServiceHoursOptions>
{
    public ValidateOptionsResult Validate(string? name, ServiceHoursOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        var opens = Time(builder, "Opens", options.Opens);
        var closes = Time(builder, "Closes", options.Closes);
        if (opens is { } o && closes is { } c && c <= o)
        {
            builder.AddError($"{ServiceHoursOptions.SectionName}:Closes must be after Opens (was {options.Opens}–{options.Closes})");
        }

        for (var i = 0; i < options.ExtraClosures.Length; i++)
        {
            if (!DateOnly.TryParseExact(options.ExtraClosures[i], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                builder.AddError($"{ServiceHoursOptions.SectionName}:ExtraClosures:{i} must be a date yyyy-MM-dd (was '{options.ExtraClosures[i]}')");
            }
        }

        return builder.Build();
    }

    private static TimeOnly? Time(ValidateOptionsResultBuilder builder, string key, string? text)
    {
        if (TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time;
        }

        builder.AddError($"{ServiceHoursOptions.SectionName}:{key} must be a time HH:mm (was '{text}')");
        return null;
    }
}
