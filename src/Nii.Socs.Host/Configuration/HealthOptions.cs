using System.Net;
using Microsoft.Extensions.Options;

namespace Nii.Socs.Host.Configuration;

/// <summary>Health and metrics endpoints of <c>socs serve</c>, section <c>Socs:Health</c>: plain HTTP on loopback, off by
/// default (docs/operations.md, "Health and metrics").</summary>
internal sealed class HealthOptions
{
    public const string SectionName = "Socs:Health";

    /// <summary>Whether <c>/healthz</c>, <c>/readyz</c> (and <c>/metrics</c>) are served.</summary>
    /// <value>The default is false.</value>
    public bool Enabled { get; set; }

    /// <summary>The loopback address to listen on.</summary>
    /// <value>The default is 127.0.0.1.</value>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>The TCP port (0 picks a free one and logs it).</summary>
    /// <value>The default is 9464.</value>
    public int Port { get; set; } = 9464;

    /// <summary>Whether <c>/metrics</c> serves the OpenTelemetry Prometheus exporter's scrape on the same port.</summary>
    /// <value>The default is true.</value>
    public bool Prometheus { get; set; } = true;
}

internal sealed class HealthOptionsValidator : IValidateOptions<HealthOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (!IPAddress.TryParse(options.Address, out var address) || !IPAddress.IsLoopback(address))
        {
            builder.AddError($"{HealthOptions.SectionName}:Address must be a loopback address such as 127.0.0.1 or ::1 (was '{options.Address}'); the endpoints are plain HTTP");
        }

        if (options.Port is < 0 or > 65535)
        {
            builder.AddError($"{HealthOptions.SectionName}:Port must be between 0 and 65535 (was {options.Port})");
        }

        return builder.Build();
    }
}
