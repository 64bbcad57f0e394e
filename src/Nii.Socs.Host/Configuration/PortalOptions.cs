using System.Net;
using Microsoft.Extensions.Options;

namespace Nii.Socs.Host.Configuration;

/// <summary>The service portal (R4.7, R6), section <c>Socs:Portal</c>.</summary>
internal sealed class PortalOptions
{
    public const string SectionName = "Socs:Portal";

    /// <summary>The address Kestrel listens on.</summary>
    /// <value>The default is <c>127.0.0.1</c>: a demo portal is not reachable from the network.</value>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>The HTTPS port; 0 picks a free one.</summary>
    /// <value>The default is 5001, the port the notification mails link to (<c>Socs:Mail:PortalUrl</c>).</value>
    public int Port { get; set; } = 5001;

    /// <summary>How long a grant lives when the approving operator does not say.</summary>
    /// <value>The default is 24 hours (R8.6: keys are held only while the grant lives).</value>
    public int DefaultGrantHours { get; set; } = 24;

    /// <summary>Detections per page.</summary>
    /// <value>The default is 50.</value>
    public int PageSize { get; set; } = 50;

    /// <summary>The portal's public origin as browsers see it, such as <c>https://socs.example.ac.jp</c>; a state-changing
    /// request must carry it as <c>Origin</c>.</summary>
    /// <value>The default is empty: the address and port the connection reached (and <c>localhost</c> on loopback).</value>
    public string PublicOrigin { get; set; } = string.Empty;

    /// <summary>Organization staff certificates: SHA-256 thumbprint (64 hex digits) to staff name.</summary>
    /// <value>The default is empty: no staff can sign in.</value>
    public Dictionary<string, string> Staff { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

internal sealed class PortalOptionsValidator : IValidateOptions<PortalOptions>
{
    public ValidateOptionsResult Validate(string? name, PortalOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        var s = PortalOptions.SectionName;
        if (!IPAddress.TryParse(options.Address, out _))
        {
            builder.AddError($"{s}:Address must be an IP address (was '{options.Address}')");
        }

        if (options.Port is < 0 or > 65535)
        {
            builder.AddError($"{s}:Port must be between 0 and 65535 (was {options.Port})");
        }

        if (options.DefaultGrantHours is < 1 or > 24 * 90)
        {
            builder.AddError($"{s}:DefaultGrantHours must be between 1 and 2160 (was {options.DefaultGrantHours})");
        }

        if (options.PublicOrigin.Length > 0
            && (!Uri.TryCreate(options.PublicOrigin, UriKind.Absolute, out var origin) || origin.Scheme != Uri.UriSchemeHttps || origin.PathAndQuery != "/"))
        {
            builder.AddError($"{s}:PublicOrigin must be an https origin such as https://socs.example.ac.jp (was '{options.PublicOrigin}')");
        }

        if (options.PageSize is < 1 or > 1000)
        {
            builder.AddError($"{s}:PageSize must be between 1 and 1000 (was {options.PageSize})");
        }

        foreach (var (thumbprint, staff) in options.Staff)
        {
            if (thumbprint.Length != 64 || !thumbprint.All(Uri.IsHexDigit))
            {
                builder.AddError($"{s}:Staff:{thumbprint} must be a SHA-256 thumbprint of 64 hex digits");
            }

            if (string.IsNullOrWhiteSpace(staff))
            {
                builder.AddError($"{s}:Staff:{thumbprint} must name the staff member (was empty)");
            }
        }

        return builder.Build();
    }
}
