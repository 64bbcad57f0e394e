using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage.Consent;

namespace Nii.Socs.Core.Hosting;

/// <summary>Chooses where a <see cref="SocsNode"/> keeps its data; returned by <c>services.AddNiiSocs(…)</c>.</summary>
public sealed class NiiSocsBuilder
{
    internal NiiSocsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the node is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Keeps the node's data in FASTER stores in one directory of this machine and registers <see cref="SocsNode"/>
    /// and its <see cref="ConsentService"/> as singletons.</summary>
    /// <param name="dataDirectory">The data directory (created when absent).</param>
    /// <param name="keyEncryptionKeyFile">The host key-encryption key file, outside the data directory; when null, the one
    /// set in the options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    /// <remarks>The node is built (and the options validated, every problem named in one
    /// <see cref="OptionsValidationException"/>) the first time it is resolved. It uses the registered
    /// <see cref="TimeProvider"/> and <see cref="IActiveCertificates"/> when there are, else the system clock and its own
    /// enrolment (<see cref="SocsNode.EnrolCertificate"/>).</remarks>
    public NiiSocsBuilder UseFasterStorage(string dataDirectory, string? keyEncryptionKeyFile = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        Services.Configure<NiiSocsOptions>(o =>
        {
            o.DataDirectory = dataDirectory;
            if (keyEncryptionKeyFile is not null)
            {
                o.KeyEncryptionKeyFile = keyEncryptionKeyFile;
            }
        });
        Services.TryAddSingleton(sp => SocsNode.OpenFaster(
            sp.GetRequiredService<IOptions<NiiSocsOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<IActiveCertificates>()));
        Services.TryAddSingleton(sp => sp.GetRequiredService<SocsNode>().Consent);
        return this;
    }
}
