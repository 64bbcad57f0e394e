using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Nii.Socs.Host.Configuration;

/// <summary>Which store holds the detections beyond this machine, section <c>Socs:Storage</c> (docs/scale-out.md).</summary>
/// <remarks>Chooses the stores of the whole host (<see cref="Pipeline.SocsData"/>): with PostgreSql the registry, the
/// consent log, the history, the mail outbox and the detections the portal reads are on the cluster, and <c>serve</c>
/// ingests into the data directory's FASTER store as a spool that <see cref="Pipeline.DetectionShipperService"/> ships
/// every <see cref="ShipInterval"/>.</remarks>
internal sealed class StorageOptions
{
    public const string SectionName = "Socs:Storage";

    /// <summary>The provider: <see cref="StorageProvider.Faster"/> (one machine) or <see cref="StorageProvider.PostgreSql"/> (a cluster).</summary>
    /// <value>The default is <see cref="StorageProvider.Faster"/>.</value>
    public StorageProvider Provider { get; set; } = StorageProvider.Faster;

    /// <summary>The Npgsql connection string of the cluster (every node, <c>Target Session Attributes=read-write</c>); required for PostgreSql.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The schema on the cluster.</summary>
    /// <value>The default is <c>socs</c>.</value>
    public string Schema { get; set; } = Storage.PostgreSql.PostgreSqlStorage.DefaultSchema;

    /// <summary>How often <c>serve</c> ships the spool to the cluster (PostgreSql only).</summary>
    /// <value>The default is 5 seconds; at least 100 ms.</value>
    public TimeSpan ShipInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The provider as written in the configuration when it names none of <see cref="StorageProvider"/>.</summary>
    internal string? UnknownProvider { get; private set; }

    /// <summary>The options as configured for a CLI verb (appsettings.json beside the binary, <c>SOCS_</c> variables).</summary>
    public static StorageOptions FromConfiguration() =>
        From(new ConfigurationBuilder().AddSocsSources(null, []).Build());

    /// <summary>The options of a configuration; a provider name that is not one of <see cref="StorageProvider"/> is kept
    /// for <see cref="StorageOptionsValidator"/> to refuse instead of failing the binding.</summary>
    public static StorageOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var options = new StorageOptions();
        Bind(section, options);
        return options;
    }

    /// <summary>Binds a <c>Socs:Storage</c> section into <paramref name="options"/> (the provider by name, case-insensitive).</summary>
    internal static void Bind(IConfigurationSection section, StorageOptions options)
    {
        if (section["Provider"] is { } provider)
        {
            if (Enum.TryParse<StorageProvider>(provider.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !provider.Trim().All(char.IsAsciiDigit))
            {
                options.Provider = parsed;
            }
            else
            {
                options.UnknownProvider = provider;
            }
        }

        options.ConnectionString = section["ConnectionString"] ?? options.ConnectionString;
        options.Schema = section["Schema"] ?? options.Schema;
        if (section["ShipInterval"] is { } interval)
        {
            options.ShipInterval = TimeSpan.TryParse(interval, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : TimeSpan.MinValue;
        }
    }

    /// <summary>Throws <see cref="Cli.CliUsageException"/> with every failure on one line when the options are not valid.</summary>
    public void ThrowIfInvalid()
    {
        var invalid = new StorageOptionsValidator().Validate(null, this);
        if (invalid.Failed)
        {
            throw new Cli.CliUsageException(string.Join("; ", invalid.Failures!));
        }
    }
}

/// <summary>The storage providers.</summary>
internal enum StorageProvider
{
    /// <summary>The embedded FASTER stores of the data directory.</summary>
    Faster,

    /// <summary>The replicated PostgreSQL cluster (Nii.Socs.Storage.PostgreSql).</summary>
    PostgreSql,
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (options.UnknownProvider is { } unknown)
        {
            builder.AddError($"{StorageOptions.SectionName}:Provider must be Faster or PostgreSql (was '{unknown}')");
        }
        else if (!Enum.IsDefined(options.Provider))
        {
            builder.AddError($"{StorageOptions.SectionName}:Provider must be Faster or PostgreSql (was {options.Provider})");
        }

        if (options.ShipInterval < TimeSpan.FromMilliseconds(100))
        {
            builder.AddError($"{StorageOptions.SectionName}:ShipInterval must be a time span of at least 00:00:00.1 (e.g. 00:00:05)");
        }

        if (options.Provider == StorageProvider.PostgreSql && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            builder.AddError($"{StorageOptions.SectionName}:ConnectionString is required when {StorageOptions.SectionName}:Provider is PostgreSql");
        }

        if (string.IsNullOrWhiteSpace(options.Schema) || !options.Schema.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') || options.Schema[0] is < 'a' or > 'z')
        {
            builder.AddError($"{StorageOptions.SectionName}:Schema must be lower-case letters, digits and underscores, starting with a letter (was '{options.Schema}')");
        }

        return builder.Build();
    }
}
