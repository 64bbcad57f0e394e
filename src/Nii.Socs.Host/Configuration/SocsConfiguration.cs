using System.Collections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Host.Configuration;

/// <summary>Binds and validates every <c>Socs:*</c> option on start (STYLE §5).</summary>
internal static class SocsConfiguration
{
    public static IServiceCollection AddSocsOptions(this IServiceCollection services)
    {
        Add<DataOptions, DataOptionsValidator>(services, DataOptions.SectionName);
        Add<AuditOptions, AuditOptionsValidator>(services, AuditOptions.SectionName);
        Add<RetentionOptions, RetentionOptionsValidator>(services, RetentionOptions.SectionName);
        Add<ServiceHoursOptions, ServiceHoursOptionsValidator>(services, ServiceHoursOptions.SectionName);
        Add<PortalOptions, PortalOptionsValidator>(services, PortalOptions.SectionName);
        Add<CaptureOptions, CaptureOptionsValidator>(services, CaptureOptions.SectionName);
        Add<LoadGovernorOptions, LoadGovernorOptionsValidator>(services, LoadGovernorOptions.SectionName);
        Add<MailOptions, MailOptionsValidator>(services, MailOptions.SectionName);
        Add<HealthOptions, HealthOptionsValidator>(services, HealthOptions.SectionName);
        Add<KeyServiceOptions, KeyServiceOptionsValidator>(services, KeyServiceOptions.SectionName);

        // The provider is bound by name so that an unknown one is refused by the validator in one line, not by the binder.
        // Checked by SocsConfiguration.Failures before serve starts (not on start: the demo follows --storage instead).
        services.AddOptions<StorageOptions>();
        services.AddSingleton<IConfigureOptions<StorageOptions>>(sp => new ConfigureOptions<StorageOptions>(options =>
        {
            if (sp.GetService<IConfiguration>() is { } configuration)
            {
                StorageOptions.Bind(configuration.GetSection(StorageOptions.SectionName), options);
            }
        }));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        return services;
    }

    /// <summary>The configuration sources of the host, lowest precedence first: <c>appsettings.json</c> beside the
    /// executable, <c>--config FILE</c>, environment variables <c>SOCS_Socs__Section__Key</c> (the old form) and
    /// <c>SOCS_Section__Key</c> (also <c>SOCS_Logging__…</c>), then <c>--set Key=Value</c>.</summary>
    /// <exception cref="Cli.CliUsageException">The <c>--config</c> file does not exist.</exception>
    public static IConfigurationBuilder AddSocsSources(this IConfigurationBuilder configuration, string? configFile, IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        if (configFile is not null)
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full))
            {
                throw new Cli.CliUsageException($"--config must be an existing settings file; got '{configFile}'.");
            }

            configuration.AddJsonFile(full, optional: false);
        }

        configuration.AddEnvironmentVariables("SOCS_");
        configuration.AddInMemoryCollection(EnvironmentSettings(Environment.GetEnvironmentVariables()));
        return configuration.AddInMemoryCollection(overrides);
    }

    /// <summary><c>SOCS_Section__Key=V</c> as <c>Socs:Section:Key</c> (and <c>SOCS_Logging__…</c> as <c>Logging:…</c>); the old
    /// form <c>SOCS_Socs__Section__Key</c> comes through the environment-variable provider unchanged.</summary>
    internal static IEnumerable<KeyValuePair<string, string?>> EnvironmentSettings(IDictionary variables)
    {
        foreach (DictionaryEntry variable in variables)
        {
            if (variable.Key is not string name || !name.StartsWith("SOCS_", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var key = name["SOCS_".Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            var first = key.Split(ConfigurationPath.KeyDelimiter)[0];
            if (first.Equals("Socs", StringComparison.OrdinalIgnoreCase) || first.Equals("Logging", StringComparison.OrdinalIgnoreCase) || !key.Contains(ConfigurationPath.KeyDelimiter, StringComparison.Ordinal))
            {
                continue;
            }

            yield return new("Socs" + ConfigurationPath.KeyDelimiter + key, variable.Value as string);
        }
    }

    /// <summary>Every invalid setting of every <c>Socs:*</c> section, one line each (empty when all are valid); checked
    /// before anything is opened, so a refused start changes nothing.</summary>
    public static List<string> Failures(IServiceProvider services)
    {
        var failures = new List<string>();
        Check<DataOptions>(services, failures);
        Check<RetentionOptions>(services, failures);
        Check<ServiceHoursOptions>(services, failures);
        Check<PortalOptions>(services, failures);
        Check<CaptureOptions>(services, failures);
        Check<MailOptions>(services, failures);
        Check<HealthOptions>(services, failures);
        Check<KeyServiceOptions>(services, failures);
        Check<StorageOptions>(services, failures);
        return failures;
    }

    private static void Check<TOptions>(IServiceProvider services, List<string> failures)
        where TOptions : class
    {
        try
        {
            _ = services.GetRequiredService<IOptions<TOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            failures.AddRange(ex.Failures);
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // The binder refuses a value of the wrong type before validation runs; its message names key and type.
            failures.Add(ex.Message.Split('\n')[0].TrimEnd('\r'));
        }
    }

    private static void Add<TOptions, TValidator>(IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
    }
}
