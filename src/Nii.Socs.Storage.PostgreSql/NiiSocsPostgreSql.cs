using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Nii.Socs.Core.Hosting;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>A package consumer's entry point to a node whose stores are on a replicated PostgreSQL cluster: the same
/// <see cref="SocsNode"/> as <see cref="SocsNode.OpenFaster"/>, with its detections, operation history (signed
/// checkpoints), consent log and epoch keys (erased from every node with their epoch) on the cluster.</summary>
/// <remarks>
/// R6.4, R7.1, R7.3, R8.1–R8.6. The node's data directory still holds what stays on this machine: the history's signing
/// key (<c>audit/signing.key</c>) and grant keys when <see cref="NiiSocsOptions.GrantKeyCustody"/> keeps them on disk; the
/// key-encryption key stays in its own file. Every node writing one schema needs the same key-encryption key (the
/// cluster's epoch keys are sealed under it). docs/scale-out.md describes the cluster.
/// </remarks>
public static class NiiSocsPostgreSql
{
    /// <summary>Opens a node on the cluster's stores in <paramref name="schema"/>.</summary>
    /// <param name="options">The options; validated here.</param>
    /// <param name="connectionString">The cluster's Npgsql connection string (multi-host, read-write).</param>
    /// <param name="schema">The schema (created when absent).</param>
    /// <param name="time">The clock; the system clock when null.</param>
    /// <param name="certificates">The participants' active certificates; null to enrol them with <see cref="SocsNode.EnrolCertificate"/>.</param>
    /// <returns>The node; dispose it to sign the history's final checkpoint and close the stores.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid (every problem named), or the connection string is empty.</exception>
    /// <exception cref="Npgsql.NpgsqlException">The cluster could not be reached.</exception>
    public static Task<SocsNode> OpenNodeAsync(NiiSocsOptions options, string connectionString, string schema = PostgreSqlStorage.DefaultSchema, TimeProvider? time = null, IActiveCertificates? certificates = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var clock = time ?? TimeProvider.System;
        return SocsNode.Open(options, clock, certificates, (directory, retention) => OpenStoresAsync(directory, retention, connectionString, schema, clock));
    }

    /// <summary>Keeps the node's data on the cluster and registers <see cref="SocsNode"/> and its consent service as
    /// singletons, as <see cref="NiiSocsBuilder.UseFasterStorage"/> does for one machine.</summary>
    /// <param name="builder">The builder of <c>services.AddNiiSocs(…)</c>.</param>
    /// <param name="dataDirectory">The node's local directory (signing key, grant keys on disk).</param>
    /// <param name="connectionString">The cluster's Npgsql connection string.</param>
    /// <param name="schema">The schema.</param>
    /// <param name="keyEncryptionKeyFile">The key-encryption key file, outside the data directory; when null, the one set in the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> or <paramref name="connectionString"/> is null or empty.</exception>
    /// <remarks>The node is opened (options validated, every problem named in one <see cref="OptionsValidationException"/>)
    /// the first time it is resolved, with the registered <see cref="TimeProvider"/> and <see cref="IActiveCertificates"/>
    /// when there are.</remarks>
    public static NiiSocsBuilder UsePostgreSql(this NiiSocsBuilder builder, string dataDirectory, string connectionString, string schema = PostgreSqlStorage.DefaultSchema, string? keyEncryptionKeyFile = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        builder.Services.Configure<NiiSocsOptions>(o =>
        {
            o.DataDirectory = dataDirectory;
            if (keyEncryptionKeyFile is not null)
            {
                o.KeyEncryptionKeyFile = keyEncryptionKeyFile;
            }
        });
        builder.Services.TryAddSingleton(sp => OpenNodeAsync(
            sp.GetRequiredService<IOptions<NiiSocsOptions>>().Value,
            connectionString,
            schema,
            sp.GetService<TimeProvider>(),
            sp.GetService<IActiveCertificates>()).GetAwaiter().GetResult());
        builder.Services.TryAddSingleton(sp => sp.GetRequiredService<SocsNode>().Consent);
        return builder;
    }

    private static async Task<NodeStores> OpenStoresAsync(string directory, RetentionSchedule retention, string connectionString, string schema, TimeProvider time)
    {
        var storage = await PostgreSqlStorage.OpenAsync(connectionString, schema).ConfigureAwait(false);
        NSec.Cryptography.Key? signing = null;
        PostgreSqlOperationHistory? history = null;
        PostgreSqlDetectionStore? detections = null;
        try
        {
            signing = OperationHistoryStore.OpenSigningKey(directory);
            history = storage.SignedHistory(signing, time: time);
            detections = storage.Detections(retention, time);
            var consent = await storage.ConsentLogAsync().ConfigureAwait(false);
            var keys = storage.Keys(history, time);
            var (h, d, k) = (history, detections, signing);
            return new NodeStores(d, h, consent, keys, async () =>
            {
                consent.Dispose();
                await h.DisposeAsync().ConfigureAwait(false);
                d.Dispose();
                k.Dispose();
                await storage.DisposeAsync().ConfigureAwait(false);
            });
        }
        catch
        {
            detections?.Dispose();
            if (history is not null)
            {
                await history.DisposeAsync().ConfigureAwait(false);
            }

            signing?.Dispose();
            await storage.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
