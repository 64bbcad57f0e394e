using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Nii.Socs.Host.Configuration;

/// <summary>Which store holds the detections beyond this machine, section <c>Socs:Storage</c> (docs/scale-out.md).</summary>
/// <remarks>Read today by <c>socs store ship</c> only: <c>serve</c>, the portal and the demo still use the data
/// directory's FASTER stores whatever the provider says.</remarks>
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

    /// <summary>The options as configured for a CLI verb (appsettings.json beside the binary, <c>SOCS_</c> variables).</summary>
    public static StorageOptions FromConfiguration()
    {
        var configuration = new ConfigurationBuilder().AddSocsSources(null, []).Build();
        var options = new StorageOptions();
        configuration.GetSection(SectionName).Bind(options);
        return options;
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
        if (!Enum.IsDefined(options.Provider))
        {
            builder.AddError($"{StorageOptions.SectionName}:Provider must be Faster or PostgreSql (was {options.Provider})");
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
