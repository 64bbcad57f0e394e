using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Nii.Socs.Core.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers NII-SOCS in any Generic Host or service collection.</summary>
public static class NiiSocsServiceCollectionExtensions
{
    /// <summary>Adds the NII-SOCS options (validated) and returns the builder that chooses the storage.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options in code; they may also be bound from configuration.</param>
    /// <returns>The builder: call <see cref="NiiSocsBuilder.UseFasterStorage"/> (or a provider package's <c>Use…</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static NiiSocsBuilder AddNiiSocs(this IServiceCollection services, Action<NiiSocsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<NiiSocsOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NiiSocsOptions>, NiiSocsOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        return new NiiSocsBuilder(services);
    }
}
