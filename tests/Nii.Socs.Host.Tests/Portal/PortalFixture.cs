using System.Collections.Immutable;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Consent;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary>
/// A real portal on Kestrel (127.0.0.1, port 0, HTTPS, client certificates required) over a temporary data directory
/// holding three participants, their sealed detections, wrapped keys, exclusions and operator certificates.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes a collection fixture through IAsyncLifetime.DisposeAsync, which disposes every field.")]
public sealed class PortalFixture : IAsyncLifetime
{
    public const int RecordsPerParticipant = 6;

    public static readonly ParticipantId Alpha = new("alpha");
    public static readonly ParticipantId Alpha2 = new("alpha-2");
    public static readonly ParticipantId Beta = new("beta");
    public static readonly ParticipantId[] All = [Alpha, Alpha2, Beta];

    private readonly List<IDisposable> _owned = [];
    private readonly string _foreignDirectory = Directory.CreateTempSubdirectory("socs-foreign-ca-").FullName;
    private FileKeyEncryptionKey _kek = null!;
    private ConsentStore _consentStore = null!;
    private ConsentService _consentService = null!;

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("socs-portal-").FullName;

    internal DevelopmentCa Ca { get; private set; } = null!;

    internal RegistryStore Registry { get; private set; } = null!;

    internal DetectionStore Detections { get; private set; } = null!;

    internal OperationHistoryStore History { get; private set; } = null!;

    internal IPortalConsent Consent { get; private set; } = null!;

    internal PortalServer Server { get; private set; } = null!;

    /// <summary>One operator certificate per participant, registered and active.</summary>
    internal Dictionary<ParticipantId, IssuedCertificate> Operators { get; } = [];

    /// <summary>An alpha operator certificate that the compromise test revokes.</summary>
    internal IssuedCertificate AlphaSpare { get; private set; } = null!;

    internal IssuedCertificate Staff { get; private set; } = null!;

    /// <summary>Issued by the portal CA but never registered.</summary>
    internal IssuedCertificate Unregistered { get; private set; } = null!;

    /// <summary>Issued by another CA.</summary>
    internal IssuedCertificate Foreign { get; private set; } = null!;

    /// <summary>Records by participant, newest first, with their plaintext content.</summary>
    internal Dictionary<ParticipantId, List<(DetectionRecord Record, byte[] Content)>> Records { get; } = [];

    public Uri BaseAddress => Server.BaseAddress;

    /// <summary>The epoch current by the schedule when the fixture was made (alpha's key of it is live).</summary>
    public long LiveEpoch { get; private set; }

    /// <summary>The epoch before it, whose keys are destroyed.</summary>
    public long OldEpoch => LiveEpoch - 1;

    public async Task InitializeAsync()
    {
        var time = TimeProvider.System;
        Ca = DevelopmentCa.OpenOrCreate(DataDirectory, time);
        Registry = RegistryStore.Open(DataDirectory);
        Detections = DetectionStore.Open(DataDirectory, time: time);
        History = OperationHistoryStore.Open(DataDirectory, time);
        var keyStore = new FileKeyStore(DataDirectory);
        // The host key-encryption key lives beside the data directory, never inside it (as CliParse.KekFileFor).
        _kek = FileKeyEncryptionKey.Create(DataDirectory + ".kek");
        _consentStore = ConsentStore.Open(DataDirectory);

        foreach (var p in All)
        {
            Operators[p] = Ca.IssueClient($"{p}-operator", p == Beta ? ClientKeyType.Rsa3072 : ClientKeyType.EcP256);
        }

        AlphaSpare = Ca.IssueClient("alpha-spare", ClientKeyType.EcP256);
        Staff = Ca.IssueClient("staff-yamada", ClientKeyType.EcP256);
        Unregistered = Ca.IssueClient("nobody", ClientKeyType.EcP256);
        using (var foreignCa = DevelopmentCa.OpenOrCreate(_foreignDirectory, time))
        {
            Foreign = foreignCa.IssueClient("alpha-impostor", ClientKeyType.EcP256);
        }

        var now = time.GetUtcNow();
        LiveEpoch = EpochSchedule.WeeklyFromMondayJst.EpochOf(Alpha, now).Index;
        var prefixes = new Dictionary<ParticipantId, string> { [Alpha] = "192.0.2.0/24", [Alpha2] = "198.51.100.0/24", [Beta] = "203.0.113.0/24" };
        var events = new List<RegistryEvent>();
        foreach (var p in All)
        {
            var mail = $"ops@{p}.example.ac.jp";
            events.Add(new ApplicationSubmitted(now, "app-" + p, p, $"University {p}", [IPPrefix.Parse(prefixes[p])], [mail], [new OperatorContact("Operator", mail, null, true)]));
            events.Add(new ApplicationApproved(now, "app-" + p));
            events.Add(new CertificateIssued(now, p, Operators[p].Thumbprint, mail));
        }

        events.Add(new CertificateIssued(now, Alpha, AlphaSpare.Thumbprint, "spare@alpha.example.ac.jp"));
        events.Add(new ExclusionStarted(now.AddHours(-5), "x-alpha", [IPPrefix.Parse("192.0.2.0/25")], now.AddHours(-4), "load test on the alpha link"));
        events.Add(new ExclusionStarted(now.AddHours(-3), "x-beta", [IPPrefix.Parse("203.0.113.0/24")], null, "overload at the beta connection point"));
        await Registry.AppendAsync(events);

        foreach (var p in All)
        {
            var list = new List<(DetectionRecord, byte[])>();
            // "1" is the epoch before the current one (its key destroyed), "2" the current one by the schedule.
            var keys = new Dictionary<long, EpochKey> { [1] = EpochKey.Create(new EpochId(p, OldEpoch)), [2] = EpochKey.Create(new EpochId(p, LiveEpoch)) };
            for (var i = 0; i < RecordsPerParticipant; i++)
            {
                var observed = now.AddMinutes(-10 * (RecordsPerParticipant - i)).AddSeconds(-i);
                var epoch = i < RecordsPerParticipant / 2 ? 1 : 2;
                var network = prefixes[p].Split('/')[0];
                var destination = network[..network.LastIndexOf('.')] + "." + (10 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var content = Encoding.ASCII.GetBytes($"SECRET-{p}-{i}: GET /login?user=admin HTTP/1.1");
                var message = p == Alpha && i == 0 ? "<script>alert('x')</script> ET WEB probe" : $"ET SCAN probe {i}";
                var record = new DetectionRecord
                {
                    Id = DetectionId.New(observed),
                    Participant = p,
                    Epoch = keys[epoch].Epoch,
                    Header = new DetectionHeader
                    {
                        ObservedAt = observed,
                        Source = IPAddress.Parse("100.64.0." + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                        Destination = IPAddress.Parse(destination),
                        Protocol = 6,
                        SourcePort = 40000,
                        DestinationPort = 80,
                        TcpFlags = 0x18,
                        CapturedLength = 40 + content.Length,
                        WireLength = 40 + content.Length,
                        ContentLength = content.Length,
                        HeaderBytes = new byte[] { 0x45, 0, 0, 40 },
                    },
                    Rule = new RuleRef(2_000_000 + i, 1, message, "attempted-recon", 2),
                };
                record = record with { SealedContent = ContentSealer.Default.Seal(keys[epoch], SealingContext.For(record), content) };
                await Detections.AppendAsync(record);
                list.Add((record, content));
            }

            var certificates = p == Alpha ? new[] { Operators[p].Certificate, AlphaSpare.Certificate } : [Operators[p].Certificate];
            foreach (var key in keys.Values)
            {
                keyStore.SaveWrappedSet(KeyWrapper.WrapToAll(key, [.. certificates.Select(PublicOnly)]));
            }

            // Epoch 1 keys are destroyed as at rotation (R8.4). Alpha's epoch 2 stays current: sealed under the host
            // key-encryption key as the key ring keeps it (AAD = the epoch's text form), so fault access can reach it.
            if (p == Alpha)
            {
                var bytes = new byte[EpochKey.Size];
                keys[2].CopyTo(bytes);
                keyStore.SaveSealedKey(keys[2].Epoch, _kek.Seal(bytes, Encoding.UTF8.GetBytes(keys[2].Epoch.ToString())));
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
            }

            keys[1].Dispose();
            keys[2].Dispose();

            list.Reverse();
            Records[p] = list;
        }

        _consentService = new ConsentService(DataDirectory, _consentStore, Detections, keyStore, _kek, History, time, GrantKeyCustody.Memory);
        Consent = new ConsentServicePortalConsent(_consentService, Detections);
        var options = new PortalOptions { Port = 0, PageSize = 4, Staff = new(StringComparer.OrdinalIgnoreCase) { [Staff.Thumbprint] = "yamada" } };
        var services = new PortalServices(DataDirectory, Registry, Detections, History, keyStore, Consent, time, Ca.Certificate, options);
        Server = await PortalServer.StartAsync(services, Ca.ServerCertificate());
    }

    /// <summary>An HTTP client presenting a certificate and trusting only the portal CA for the server; it reads the
    /// English pages (the language cookie is set) unless <paramref name="language"/> says otherwise (null: the default, Japanese).</summary>
    internal HttpClient Client(IssuedCertificate? certificate, bool allowRedirects = true, string? language = "en")
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = allowRedirects, PooledConnectionLifetime = TimeSpan.FromMinutes(5), Expect100ContinueTimeout = TimeSpan.FromMinutes(1) };
        if (language is not null)
        {
            handler.CookieContainer.Add(BaseAddress, new System.Net.Cookie(Nii.Socs.Host.Portal.PortalText.Cookie, language));
        }

        var ca = X509CertificateLoader.LoadCertificate(Ca.Certificate.RawData);
        _owned.Add(ca);
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, server, _, _) =>
            {
                if (server is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(server as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(server.GetRawCertData()));
            },
        };
        if (certificate is not null)
        {
            var withKey = X509CertificateLoader.LoadPkcs12FromFile(certificate.Pkcs12Path, null);
            _owned.Add(withKey);
            handler.SslOptions.ClientCertificates = [withKey];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => withKey;
        }

        var client = new HttpClient(handler) { BaseAddress = BaseAddress };
        _owned.Add(client);
        return client;
    }

    internal static X509Certificate2 PublicOnly(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);

    public async Task DisposeAsync()
    {
        // Null-safe: a failed InitializeAsync still leaves nothing behind.
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        _consentService?.Dispose();
        _consentStore?.Dispose();
        _kek?.Dispose();
        if (History is not null)
        {
            await History.DisposeAsync();
        }

        Detections?.Dispose();
        Registry?.Dispose();
        Ca?.Dispose();
        Directory.Delete(DataDirectory, recursive: true);
        Directory.Delete(_foreignDirectory, recursive: true);
        TestOperatorKeys.DeleteSecrets(DataDirectory);
    }
}
