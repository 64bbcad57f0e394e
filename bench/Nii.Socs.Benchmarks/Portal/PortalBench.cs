using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Benchmarks.Portal;

/// <summary>
/// Hand-timed portal benchmark: the newest page of detections (50) read straight from DetectionStore (the reference),
/// against the same page through the real portal over mTLS on loopback as JSON (/api/detections) and as HTML
/// (/detections) on a kept-alive connection, and with a new TLS handshake per request. Every portal request also
/// appends its operation to the history (R6.4), which is part of what is measured.
/// </summary>
public static class PortalBench
{
    private static readonly ParticipantId Who = new("u-tokyo");

    public static async Task<int> RunAsync(string[] args)
    {
        var records = Flag(args, "--records", 20_000);
        var requests = Flag(args, "--requests", 300);
        var root = Directory.CreateTempSubdirectory("socs-bench-portal-").FullName;
        try
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"portal bench: newest page of 50 over {records} stored records; {requests} requests per path"));
            using var ca = DevelopmentCa.OpenOrCreate(root, TimeProvider.System);
            // The operator's key is made on its side (outside the data directory) and only its CSR is signed.
            var (_, csr) = Nii.Socs.Host.ParticipantSide.OperatorKeys.Generate(root + "-operator", "bench-operator", ClientKeyType.EcP256);
            var request = System.Security.Cryptography.X509Certificates.CertificateRequest.LoadSigningRequestPem(File.ReadAllText(csr), System.Security.Cryptography.HashAlgorithmName.SHA256);
            var op = Nii.Socs.Host.ParticipantSide.OperatorKeys.Bundle(root + "-operator", "bench-operator", ca.SignClient(request.PublicKey, new System.Security.Cryptography.X509Certificates.X500DistinguishedName("CN=bench-operator")));
            await using var data = SocsData.Open(root, TimeProvider.System);
            var now = DateTimeOffset.UtcNow;
            await data.Registry.AppendAsync(
            [
                new ApplicationSubmitted(now, "a", Who, "Bench University", [IPPrefix.Parse("192.0.2.0/24")], ["soc@bench.example"], [new OperatorContact("Op", "op@bench.example", null, true)]),
                new ApplicationApproved(now, "a"),
                new CertificateIssued(now, Who, op.Thumbprint, "op@bench.example"),
            ]);
            var batch = new List<DetectionRecord>(1000);
            for (var i = 0; i < records; i++)
            {
                batch.Add(Record(now.AddSeconds(-i), i));
                if (batch.Count == 1000)
                {
                    await data.Detections.AppendAsync(batch);
                    batch.Clear();
                }
            }

            await data.Detections.AppendAsync(batch);
            var options = new PortalOptions { Port = 0, PageSize = 50 };
            var services = PortalServices.For(data, ca.Certificate, options);
            await using var server = await PortalServer.StartAsync(services, ca.ServerCertificate());
            using var certificate = X509CertificateLoader.LoadPkcs12FromFile(op.Pkcs12Path, null);

            var reference = await TimeAsync(requests, async () =>
            {
                var page = await PortalQueries.DetectionsAsync(services, Who, default, CancellationToken.None);
                return page.Records.Count;
            });
            using var kept = Client(server.BaseAddress, certificate, ca.Certificate);
            var json = await TimeAsync(requests, async () => (await kept.GetStringAsync("/api/detections")).Length);
            var html = await TimeAsync(requests, async () => (await kept.GetStringAsync("/detections")).Length);
            var handshakes = Math.Max(20, requests / 5);
            var fresh = await TimeAsync(handshakes, async () =>
            {
                using var client = Client(server.BaseAddress, certificate, ca.Certificate);
                return (await client.GetStringAsync("/api/detections")).Length;
            });

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"path",-44} {"mean ms",9} {"× store",9}"));
            Print("DetectionStore.QueryAsync (reference)", reference, reference);
            Print("GET /api/detections, kept-alive mTLS", json, reference);
            Print("GET /detections (HTML), kept-alive mTLS", html, reference);
            Print("GET /api/detections, new TLS handshake", fresh, reference);
            return 0;
        }
        finally
        {
            foreach (var directory in new[] { root, root + "-operator", root + ".secrets" })
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }
    }

    private static void Print(string name, double ms, double reference) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-44} {ms,9:F3} {ms / reference,9:F1}"));

    private static async Task<double> TimeAsync(int count, Func<Task<int>> run)
    {
        // Warm-up: JIT, connection, first page of the index.
        for (var i = 0; i < Math.Min(20, count); i++)
        {
            await run();
        }

        var sink = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            sink += await run();
        }

        watch.Stop();
        GC.KeepAlive(sink);
        return watch.Elapsed.TotalMilliseconds / count;
    }

    private static HttpClient Client(Uri baseAddress, X509Certificate2 certificate, X509Certificate2 ca)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, server, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return server is X509Certificate2 s && chain.Build(s);
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress };
    }

    private static int Flag(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }

    private static DetectionRecord Record(DateTimeOffset at, int i) => new()
    {
        Id = DetectionId.New(at),
        Participant = Who,
        Epoch = new EpochId(Who, 1),
        Header = new DetectionHeader
        {
            ObservedAt = at,
            Source = IPAddress.Parse("198.51.100." + (i % 250).ToString(CultureInfo.InvariantCulture)),
            Destination = IPAddress.Parse("192.0.2." + (i % 250).ToString(CultureInfo.InvariantCulture)),
            Protocol = 6,
            SourcePort = 40000,
            DestinationPort = 443,
            TcpFlags = 0x18,
            CapturedLength = 200,
            WireLength = 200,
            ContentLength = 160,
            HeaderBytes = new byte[] { 0x45, 0, 0, 200 },
        },
        Rule = new RuleRef(2_000_000 + (i % 50), 1, "ET SCAN bench probe", "attempted-recon", 2),
        SealedContent = new byte[200],
    };
}
