using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.KeyService;

/// <summary>A sensor's sealing keys, fetched from the organization's key service over mTLS and held in memory only
/// until their epoch's end (docs/scale-out.md, "Epoch keys"; R7.1, R8.2, R8.4).</summary>
/// <remarks>
/// <para>Each participant's key is fetched once per epoch (<c>keys.sealing.fetched</c> in this host's history), kept in
/// an <see cref="EpochKey"/> (pinned, zeroised on dispose) and destroyed at the epoch's end by a timer on the injected
/// clock, whether or not traffic comes (<c>keys.sealing.dropped</c>, recorded at the next lookup). The sensor makes,
/// rotates, wraps and stores no key of its own: it never writes a key to its disk, sealed or not.</para>
/// <para>A failure (the service unreachable, a refusal, an unknown participant, a key whose epoch already ended by this
/// sensor's clock) is thrown as <see cref="IOException"/>, so the ingest path stores headers only and records
/// <c>keys.sealing.failed</c> once per epoch; it is remembered for <see cref="RetryAfter"/> so a down service does not
/// slow every detection. A 409 (the participant has no key this epoch, R8.1) is remembered as well and gives no key.</para>
/// <para><b>Security:</b> the key arrives as the response body and is read into a pinned buffer that is zeroed after
/// the key object is made; no string, header or log holds it. The HTTP and TLS stacks' own buffers hold it for the
/// moment of the read.</para>
/// </remarks>
internal sealed class KeyServiceClient : ISealingKeys
{
    /// <summary>How long a failure or a key-less answer is remembered before the service is asked again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>The longest a request may take (connect included).</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2 _ca;
    private readonly IOperationHistory _history;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<ParticipantId, Held> _held = [];
    private readonly Dictionary<ParticipantId, Memo> _memos = [];
    private readonly List<EpochId> _dropped = [];
    private readonly SemaphoreSlim _fetch = new(1, 1);
    private readonly ITimer _timer;
    private bool _disposed;

    /// <summary>A client of the service at <paramref name="baseAddress"/>.</summary>
    /// <param name="baseAddress">The service's base address (https).</param>
    /// <param name="certificate">The sensor's client certificate with its private key; owned by the client from now on.</param>
    /// <param name="ca">The CA the service's server certificate must chain to; owned by the client from now on.</param>
    /// <param name="history">This host's operation history.</param>
    /// <param name="time">The clock.</param>
    public KeyServiceClient(Uri baseAddress, X509Certificate2 certificate, X509Certificate2 ca, IOperationHistory history, TimeProvider time)
    {
        BaseAddress = baseAddress;
        _certificate = certificate;
        _ca = ca;
        _history = history;
        _time = time;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = RequestTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            AllowAutoRedirect = false,
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
                RemoteCertificateValidationCallback = (_, server, _, errors) => ValidatesServer(server, errors),
            },
        };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = RequestTimeout };
        _timer = time.CreateTimer(_ => DropEnded(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The service's base address.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Opens the client the settings describe.</summary>
    /// <exception cref="Cli.CliUsageException">The certificate, key or CA does not load.</exception>
    public static KeyServiceClient Open(KeyServiceOptions options, IOperationHistory history, TimeProvider time)
    {
        var certificate = ParticipantSide.OperatorKeys.LoadWithKey(options.ClientCertificate, options.ClientKey);
        try
        {
            var ca = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(File.ReadAllText(options.TrustedCa)).RawData);
            var url = options.Url.EndsWith('/') ? options.Url : options.Url + "/";
            return new KeyServiceClient(new Uri(url), certificate, ca, history, time);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException)
        {
            certificate.Dispose();
            throw new Cli.CliUsageException($"{KeyServiceOptions.SectionName}:TrustedCa {options.TrustedCa} is not a PEM certificate: {ex.Message}");
        }
    }

    /// <inheritdoc />
    public async ValueTask<SealingKey> CurrentAsync(ParticipantId participant, CancellationToken cancellationToken)
    {
        await RecordDroppedAsync(cancellationToken).ConfigureAwait(false);
        if (TryKnown(participant, out var known))
        {
            return known;
        }

        await _fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return TryKnown(participant, out known) ? known : await FetchAsync(participant, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _fetch.Release();
        }
    }

    /// <summary>The key held for a participant now, for tests that check it is destroyed at its epoch's end.</summary>
    internal bool TryHeld(ParticipantId participant, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EpochKey? key)
    {
        lock (_gate)
        {
            key = _held.TryGetValue(participant, out var held) ? held.Key : null;
            return key is not null;
        }
    }

    /// <summary>Destroys every held key (zeroised) and closes the connection.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var held in _held.Values)
            {
                held.Key.Dispose();
            }

            _held.Clear();
        }

        _timer.Dispose();
        _http.Dispose();
        _fetch.Dispose();
        _certificate.Dispose();
        _ca.Dispose();
    }

    private bool TryKnown(ParticipantId participant, out SealingKey known)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow();
            DropEndedLocked(now);
            if (_held.TryGetValue(participant, out var held))
            {
                known = new SealingKey(held.Key.Epoch, held.Key);
                return true;
            }

            if (_memos.TryGetValue(participant, out var memo) && now < memo.Until)
            {
                if (memo.Failure is { } failure)
                {
                    throw new IOException(failure);
                }

                known = new SealingKey(memo.Epoch, null);
                return true;
            }

            _memos.Remove(participant);
            known = default;
            return false;
        }
    }

    private async Task<SealingKey> FetchAsync(ParticipantId participant, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(KeyServiceProtocol.PathOf(participant), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw Fail(participant, $"the key service at {BaseAddress} cannot be reached: {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Fail(participant, $"the key service at {BaseAddress} did not answer within {RequestTimeout.TotalSeconds:0} s");
        }

        using (response)
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    return await ReceiveAsync(participant, response, cancellationToken).ConfigureAwait(false);
                case HttpStatusCode.Conflict when EpochOf(participant, response) is { } keyless:
                    lock (_gate)
                    {
                        var until = _time.GetUtcNow() + RetryAfter;
                        _memos[participant] = new Memo(keyless.Epoch, keyless.End < until ? keyless.End : until, null);
                    }

                    return new SealingKey(keyless.Epoch, null);
                case HttpStatusCode.Forbidden:
                    throw Fail(participant, $"the key service at {BaseAddress} refused this sensor's certificate (403): it must be issued by the organization's CA and listed in Socs:KeyService:Sensors");
                case HttpStatusCode.NotFound:
                    throw Fail(participant, $"the key service at {BaseAddress} does not know {participant} as an active participant (404)");
                default:
                    throw Fail(participant, string.Create(CultureInfo.InvariantCulture, $"the key service at {BaseAddress} answered {(int)response.StatusCode} {response.ReasonPhrase}"));
            }
        }
    }

    private async Task<SealingKey> ReceiveAsync(ParticipantId participant, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (EpochOf(participant, response) is not { } meta)
        {
            throw Fail(participant, $"the key service at {BaseAddress} answered without a valid {KeyServiceProtocol.EpochHeader}/{KeyServiceProtocol.EndHeader}");
        }

        var bytes = GC.AllocateArray<byte>(EpochKey.Size + 1, pinned: true);
        EpochKey key;
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                // One byte more than a key is room for: a longer body is refused, not cut.
                var read = 0;
                while (read < bytes.Length)
                {
                    var n = await stream.ReadAsync(bytes.AsMemory(read), cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }

                if (read != EpochKey.Size)
                {
                    throw Fail(participant, string.Create(CultureInfo.InvariantCulture, $"the key service at {BaseAddress} sent {read}{(read > EpochKey.Size ? " or more" : string.Empty)} bytes, not a {EpochKey.Size}-byte key"));
                }
            }

            key = EpochKey.FromBytes(meta.Epoch, bytes.AsSpan(0, EpochKey.Size));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        var now = _time.GetUtcNow();
        if (meta.End <= now)
        {
            key.Dispose();
            throw Fail(participant, $"the key service at {BaseAddress} handed out epoch {meta.Epoch.Index}, which ended at {KeyServiceProtocol.Format(meta.End)} by this sensor's clock ({KeyServiceProtocol.Format(now)}): the two clocks differ");
        }

        lock (_gate)
        {
            if (_disposed)
            {
                key.Dispose();
                throw new ObjectDisposedException(nameof(KeyServiceClient));
            }

            _held[participant] = new Held(key, meta.End);
            _memos.Remove(participant);
            ScheduleLocked(now);
        }

        await _history.AppendAsync("system:capture", "keys.sealing.fetched", $"keys/{participant}/{meta.Epoch.Index}", $"from the key service at {BaseAddress}; held in memory only until {KeyServiceProtocol.Format(meta.End)}, never written to this sensor's disk", cancellationToken).ConfigureAwait(false);
        return new SealingKey(key.Epoch, key);
    }

    private static (EpochId Epoch, DateTimeOffset End)? EpochOf(ParticipantId participant, HttpResponseMessage response) =>
        response.Headers.TryGetValues(KeyServiceProtocol.EpochHeader, out var epochs)
        && long.TryParse(epochs.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var index)
        && response.Headers.TryGetValues(KeyServiceProtocol.EndHeader, out var ends)
        && KeyServiceProtocol.TryParse(ends.FirstOrDefault(), out var end)
            ? (new EpochId(participant, index), end)
            : null;

    private IOException Fail(ParticipantId participant, string message)
    {
        lock (_gate)
        {
            _memos[participant] = new Memo(default, _time.GetUtcNow() + RetryAfter, message);
        }

        return new IOException(message);
    }

    private void DropEnded()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                var now = _time.GetUtcNow();
                DropEndedLocked(now);
                ScheduleLocked(now);
            }
        }
    }

    private void DropEndedLocked(DateTimeOffset now)
    {
        List<ParticipantId>? ended = null;
        foreach (var (participant, held) in _held)
        {
            if (held.End <= now)
            {
                (ended ??= []).Add(participant);
            }
        }

        foreach (var participant in ended ?? [])
        {
            var key = _held[participant].Key;
            _dropped.Add(key.Epoch);
            key.Dispose();
            _held.Remove(participant);
        }
    }

    /// <summary>Wakes at the earliest end of a held key's epoch (the injected clock's timer).</summary>
    private void ScheduleLocked(DateTimeOffset now)
    {
        DateTimeOffset? earliest = null;
        foreach (var held in _held.Values)
        {
            if (earliest is null || held.End < earliest)
            {
                earliest = held.End;
            }
        }

        _timer.Change(earliest is { } end ? (end > now ? end - now : TimeSpan.Zero) : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private async Task RecordDroppedAsync(CancellationToken cancellationToken)
    {
        List<EpochId> dropped;
        lock (_gate)
        {
            if (_dropped.Count == 0)
            {
                return;
            }

            dropped = [.. _dropped];
            _dropped.Clear();
        }

        foreach (var epoch in dropped)
        {
            await _history.AppendAsync("system:capture", "keys.sealing.dropped", $"keys/{epoch.Participant}/{epoch.Index}", "zeroised in memory at the epoch's end; this sensor never wrote it to disk (R8.4)", cancellationToken).ConfigureAwait(false);
        }
    }

    private bool ValidatesServer(X509Certificate? server, SslPolicyErrors errors)
    {
        // The name must match the URL; the chain is checked against the configured CA alone, at the injected clock's instant.
        if (server is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var certificate = X509CertificateLoader.LoadCertificate(server.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(_ca.RawData);
    }

    private sealed record Held(EpochKey Key, DateTimeOffset End);

    private sealed record Memo(EpochId Epoch, DateTimeOffset Until, string? Failure);
}
