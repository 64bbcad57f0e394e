using System.Net;
using Microsoft.Extensions.Options;

namespace Nii.Socs.Host.Configuration;

/// <summary>The key service (docs/scale-out.md, "Epoch keys"), section <c>Socs:KeyService</c>: on the organization's
/// host beside its KEK, <see cref="Listen"/> and <see cref="Sensors"/> hand the current epoch keys out over mTLS; on a
/// sensor, <see cref="Url"/> with its client certificate fetches them instead of keeping keys of its own (R8.2, R8.4).</summary>
/// <remarks>A host either hands keys out or fetches them, never both. Edge case: with neither set (the default) the host
/// keeps its own key ring, as one machine always did.</remarks>
internal sealed class KeyServiceOptions
{
    public const string SectionName = "Socs:KeyService";

    /// <summary>Where the key service listens, <c>address:port</c> (<c>127.0.0.1:5443</c>, <c>[::1]:0</c>); port 0 picks a free one.</summary>
    /// <value>The default is empty: no key service is hosted.</value>
    public string Listen { get; set; } = string.Empty;

    /// <summary>The sensors allowed to fetch keys: SHA-256 thumbprint of the sensor's client certificate (64 hex digits,
    /// issued by the organization's CA, <c>socs certificates enrol-sensor</c>) to the sensor's name.</summary>
    /// <value>The default is empty: every sensor is refused (403).</value>
    public Dictionary<string, string> Sensors { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The most requests one sensor certificate may make per minute; more are answered 429 and recorded.</summary>
    /// <value>The default is 1000: a sensor asks once per participant per epoch (and again every few seconds while it
    /// fails), so a sensor sealing for hundreds of participants starts without being throttled.</value>
    public int RequestsPerMinute { get; set; } = 1000;

    /// <summary>On the key-service host: the organization's TLS server certificate (PEM, its chain may follow), naming
    /// the host name or address the sensors reach the service by.</summary>
    /// <value>The default is empty: the data directory's development CA issues one for localhost, 127.0.0.1 and ::1
    /// only, which sensors on other machines refuse.</value>
    public string ServerCertificate { get; set; } = string.Empty;

    /// <summary>On the key-service host: the private key of <see cref="ServerCertificate"/> (PEM).</summary>
    /// <value>The default is empty (required with <see cref="ServerCertificate"/>).</value>
    public string ServerKey { get; set; } = string.Empty;

    /// <summary>On a sensor: the key service's base address, such as <c>https://keys.socs.example.ac.jp:5443/</c>.</summary>
    /// <value>The default is empty: the host seals with keys of its own key ring.</value>
    public string Url { get; set; } = string.Empty;

    /// <summary>On a sensor: its client certificate (PEM), the one <c>enrol-sensor</c> issued.</summary>
    /// <value>The default is empty (required with <see cref="Url"/>).</value>
    public string ClientCertificate { get; set; } = string.Empty;

    /// <summary>On a sensor: the certificate's private key (PEM PKCS#8), or a <c>.p12</c> holding both.</summary>
    /// <value>The default is empty (required with <see cref="Url"/>).</value>
    public string ClientKey { get; set; } = string.Empty;

    /// <summary>On a sensor: the CA certificate (PEM) the key service's server certificate must chain to.</summary>
    /// <value>The default is empty (required with <see cref="Url"/>).</value>
    public string TrustedCa { get; set; } = string.Empty;

    /// <summary>Whether this host hands keys out.</summary>
    public bool Serves => Listen.Length > 0;

    /// <summary>Whether this host is a sensor that fetches its keys.</summary>
    public bool Fetches => Url.Length > 0;
}

internal sealed class KeyServiceOptionsValidator : IValidateOptions<KeyServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, KeyServiceOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        var s = KeyServiceOptions.SectionName;
        if (options.Serves && options.Fetches)
        {
            builder.AddError($"{s}:Listen and {s}:Url exclude each other: a host either hands keys out or fetches them");
        }

        if (options.Serves && !IPEndPoint.TryParse(options.Listen, out _))
        {
            builder.AddError($"{s}:Listen must be address:port such as 127.0.0.1:5443 or [::1]:0 (was '{options.Listen}')");
        }

        if (options.ServerCertificate.Length > 0 || options.ServerKey.Length > 0)
        {
            if (!options.Serves)
            {
                builder.AddError($"{s}:ServerCertificate and {s}:ServerKey are for the key-service host: set {s}:Listen too");
            }
            else if (KeyServiceServerCertificate.Refusal(options.ServerCertificate, options.ServerKey) is { } refusal)
            {
                builder.AddError(refusal);
            }
        }

        if (options.RequestsPerMinute is < 1 or > 1_000_000)
        {
            builder.AddError($"{s}:RequestsPerMinute must be between 1 and 1000000 (was {options.RequestsPerMinute})");
        }

        foreach (var (thumbprint, sensor) in options.Sensors)
        {
            if (thumbprint.Length != 64 || !thumbprint.All(Uri.IsHexDigit))
            {
                builder.AddError($"{s}:Sensors:{thumbprint} must be a SHA-256 thumbprint of 64 hex digits");
            }

            if (string.IsNullOrWhiteSpace(sensor) || sensor.Any(char.IsControl))
            {
                builder.AddError($"{s}:Sensors:{thumbprint} must name the sensor (was empty)");
            }
        }

        if (options.Fetches)
        {
            if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
            {
                builder.AddError($"{s}:Url must be an https address such as https://keys.example.ac.jp:5443/ (was '{options.Url}')");
            }

            foreach (var (key, path) in new[] { ("ClientCertificate", options.ClientCertificate), ("ClientKey", options.ClientKey), ("TrustedCa", options.TrustedCa) })
            {
                if (!File.Exists(path))
                {
                    builder.AddError($"{s}:{key} must name an existing file with {s}:Url set (was '{path}')");
                }
            }
        }

        return builder.Build();
    }
}

/// <summary>The key-service host's own TLS server certificate (<c>Socs:KeyService:ServerCertificate</c> and <c>ServerKey</c>).</summary>
internal static class KeyServiceServerCertificate
{
    /// <summary>Loads the certificate with its private key.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The files do not hold a certificate and its key.</exception>
    public static System.Security.Cryptography.X509Certificates.X509Certificate2 Load(string certificate, string key) =>
        System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(certificate, key);

    /// <summary>Why the pair cannot serve TLS, in one line; null when it can.</summary>
    public static string? Refusal(string certificate, string key)
    {
        var s = KeyServiceOptions.SectionName;
        if (certificate.Length == 0 || key.Length == 0)
        {
            return $"{s}:ServerCertificate and {s}:ServerKey go together: set both or neither";
        }

        foreach (var (name, path) in new[] { ("ServerCertificate", certificate), ("ServerKey", key) })
        {
            if (!File.Exists(path))
            {
                return $"{s}:{name} must name an existing file (was '{path}')";
            }
        }

        try
        {
            using var loaded = Load(certificate, key);
            return loaded.HasPrivateKey ? null : $"{s}:ServerKey holds no private key of {s}:ServerCertificate";
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            return $"{s}:ServerCertificate and {s}:ServerKey must be a PEM certificate and its PEM private key ({ex.Message.Split('\n')[0].TrimEnd('.', '\r')})";
        }
    }
}
