using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NSec.Cryptography;
using Nii.Socs.Benchmarks.Capture;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Benchmarks.Sealing;

/// <summary>
/// Sealing throughput per AEAD on 64 B, 1 KiB and 64 KiB against raw NSec in the same run, and wraps/s
/// per suite. A hand-timed runner on the thread's CPU time (the machine is shared: the whole run stays under a minute);
/// each figure is the median of 7 alternating rounds, and every line prints the ratio to its reference.
/// </summary>
internal static class SealingBenchmark
{
    private const int Rounds = 7;
    private static readonly TimeSpan s_round = TimeSpan.FromMilliseconds(120);

    public static int Run(string[] args)
    {
        if (args.Contains("--profile"))
        {
            SealingProfile.Run(Time);
            return 0;
        }

        var epoch = new EpochId(new ParticipantId("u-tokyo"), 2969);
        var header = SealingBenchmark.SampleHeader();
        var context = SealingContext.For(epoch, DetectionId.New(header.ObservedAt), header);
        using var key = EpochKey.Create(epoch);
        Console.WriteLine($"Sealing benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}, AAD {context.AssociatedData.Length} B; median of {Rounds} rounds of {s_round.TotalMilliseconds} ms");
        Console.WriteLine();
        Console.WriteLine("seal                         size      raw NSec (ns)  ContentSealer (ns)  overhead   MB/s (sealer)");
        foreach (var algorithm in new[] { SealingAlgorithm.XChaCha20Poly1305, SealingAlgorithm.Aegis256 })
        {
            if (!ContentSealer.IsSupported(algorithm))
            {
                Console.WriteLine($"{algorithm}: not supported on this CPU");
                continue;
            }

            var sealer = new ContentSealer(algorithm);
            var aead = algorithm == SealingAlgorithm.Aegis256 ? (AeadAlgorithm)AeadAlgorithm.Aegis256 : AeadAlgorithm.XChaCha20Poly1305;
            var bytes = new byte[32];
            key.CopyTo(bytes);
            using var rawKey = Key.Import(aead, bytes, KeyBlobFormat.RawSymmetricKey);
            CryptographicOperations.ZeroMemory(bytes);
            foreach (var size in new[] { 64, 1024, 65536 })
            {
                var plaintext = RandomNumberGenerator.GetBytes(size);
                var output = new byte[sealer.SealedLength(size)];
                var rawOut = new byte[size + aead.TagSize];
                var nonce = new byte[aead.NonceSize];
                var aad = context.AssociatedData.ToArray();

                // Reference: what sealing costs at the least: a CSPRNG nonce (drawn in 4 KiB blocks, as the sealer
                // does) and one AEAD call with the same AAD into a preallocated buffer.
                var block = new byte[4096];
                var at = block.Length;
                void Raw()
                {
                    if (at + nonce.Length > block.Length)
                    {
                        RandomNumberGenerator.Fill(block);
                        at = 0;
                    }

                    block.AsSpan(at, nonce.Length).CopyTo(nonce);
                    at += nonce.Length;
                    aead.Encrypt(rawKey, nonce, aad, plaintext, rawOut);
                }

                void Layer() => sealer.Seal(key, context, plaintext, output);

                // As the ingest path seals a detection: Host/Pipeline/Ingestor.Sealers itself (one EpochSealer per
                // participant's key, one scratch with its nonce block, blobs sealed one after another into slabs), with
                // the ingest consumer's batch lifecycle: a batch ends at Ingestor.BatchSize records or
                // Ingestor.MaxBatchBytes sealed bytes, and its slabs are released when the next batch ends (the
                // consumer releases a batch once its append is committed and onStored has returned, one append in flight).
                var id = DetectionId.New(header.ObservedAt);
                var sealers = new Ingestor.Sealers(sealer);
                var inFlight = Ingestor.SealedSlabs.None;
                var inBatch = 0;
                void Ingest()
                {
                    sealers.Seal(key, id, header, plaintext);
                    if (++inBatch >= Ingestor.BatchSize || sealers.BatchBytes >= Ingestor.MaxBatchBytes)
                    {
                        sealers.Release(inFlight);
                        inFlight = sealers.CloseBatch();
                        inBatch = 0;
                    }
                }

                // Profile of the difference: the same EpochSealer and scratch into one reused buffer, so what is left
                // between this and the ingest path is the slab bookkeeping and writing each blob to other memory.
                var epochSealer = new EpochSealer(sealer, key);
                var scratch = new SealingScratch();
                void Reused() => epochSealer.Seal(id, header, plaintext, output, scratch);

                var (raw, layer, _, _, _) = Compare(Raw, Layer);
                var (raw2, ingest, ratio2, min2, max2) = Compare(Raw, Ingest);
                var (raw3, reused, ratio3, min3, max3) = Compare(Raw, Reused);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{algorithm,-28} {size,6} B  {raw,13:F0}  {layer,18:F0}  {(layer / raw) - 1,8:P1}   {size / layer * 1e3,10:F0}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  as the ingest path (Ingestor.Sealers, batches released as the ingestor does): raw {raw2:F0} ns, ingest {ingest:F0} ns, speed ratio per round {ratio2:F2} ({min2:F2}–{max2:F2}); EpochSealer with its scratch into one reused buffer: raw {raw3:F0} ns, {reused:F0} ns, speed ratio per round {ratio3:F2} ({min3:F2}–{max3:F2})"));
            }

            foreach (var size in new[] { 64, 1024, 65536 })
            {
                var plaintext = RandomNumberGenerator.GetBytes(size);
                var blob = sealer.Seal(key, context, plaintext);
                var back = new byte[size];
                var nonce = blob.AsSpan(2, aead.NonceSize).ToArray();
                var body = blob.AsSpan(2 + aead.NonceSize).ToArray();
                var aad = context.AssociatedData.ToArray();
                void Raw() => aead.Decrypt(rawKey, nonce, aad, body, back);
                void Layer() => ContentSealer.TryOpen(key, context, blob, back, out _, out _);
                var (raw, layer, _, _, _) = Compare(Raw, Layer);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"open {algorithm,-23} {size,6} B  {raw,13:F0}  {layer,18:F0}  {(layer / raw) - 1,8:P1}   {size / layer * 1e3,10:F0}"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("wrap (per certificate)                      wraps/s   unwraps/s   wrap vs X25519");
        var certs = Certificates();
        double? reference = null;
        foreach (var (name, cert, privateKey) in certs.OrderBy(c => c.Name == "HPKE-X25519" ? 0 : 1))
        {
            var wrapped = KeyWrapper.Wrap(key, cert);
            var into = new byte[32];
            var wrapNs = Measure(() => KeyWrapper.Wrap(key, cert), Rounds);
            var unwrapNs = Measure(() => privateKey.TryUnwrap(wrapped, into, out _), Rounds);
            reference ??= wrapNs;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-40} {1e9 / wrapNs,10:F0}  {1e9 / unwrapNs,10:F0}   {wrapNs / reference.Value,8:F2}x time"));
            privateKey.Dispose();
        }

        return 0;
    }

    private static (double Raw, double Layer, double Ratio, double RatioMin, double RatioMax) Compare(Action raw, Action layer)
    {
        var raws = new double[Rounds];
        var layers = new double[Rounds];
        raw();
        layer();
        for (var i = 0; i < Rounds; i++)
        {
            raws[i] = Time(raw);
            layers[i] = Time(layer);
        }

        // Speed ratio per alternating round (raw time / layer time), so each ratio compares runs made side by side.
        var ratios = new double[Rounds];
        for (var i = 0; i < Rounds; i++)
        {
            ratios[i] = raws[i] / layers[i];
        }

        Array.Sort(raws);
        Array.Sort(layers);
        Array.Sort(ratios);
        return (raws[Rounds / 2], layers[Rounds / 2], ratios[Rounds / 2], ratios[0], ratios[^1]);
    }

    private static double Measure(Action action, int rounds)
    {
        var times = new double[rounds];
        action();
        for (var i = 0; i < rounds; i++)
        {
            times[i] = Time(action);
        }

        Array.Sort(times);
        return times[rounds / 2];
    }

    // Nanoseconds of this thread's CPU time per call over one round (a round lasts s_round of wall time). CPU time,
    // not wall time: on the shared machine other processes take the core for long stretches, which wall time counts.
    private static double Time(Action action)
    {
        long n = 0;
        var watch = Stopwatch.StartNew();
        var cpu = ThreadClock.Seconds();
        while (watch.Elapsed < s_round)
        {
            for (var i = 0; i < 16; i++)
            {
                action();
            }

            n += 16;
        }

        return (ThreadClock.Seconds() - cpu) * 1e9 / n;
    }

    private static List<(string Name, X509Certificate2 Cert, ParticipantPrivateKey Key)> Certificates()
    {
        var list = new List<(string, X509Certificate2, ParticipantPrivateKey)>();
        using (var rsa = RSA.Create(2048))
        {
            var cert = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(1));
            list.Add(("RSA-OAEP-256 (2048)", cert, ParticipantPrivateKey.Load(rsa.ExportPkcs8PrivateKey(), null)));
        }

        using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            var cert = new CertificateRequest("CN=p256", ec, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(1));
            list.Add(("HPKE-P256-SHA256-AES256GCM", cert, ParticipantPrivateKey.Load(ec.ExportPkcs8PrivateKey(), null)));
        }

        using (var x = Key.Create(KeyAgreementAlgorithm.X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }))
        using (var ca = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            var publicKey = new System.Security.Cryptography.X509Certificates.PublicKey(new Oid("1.3.101.110"), null, new AsnEncodedData(x.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
            var cert = new CertificateRequest(new X500DistinguishedName("CN=x25519"), publicKey, HashAlgorithmName.SHA256)
                .Create(new X500DistinguishedName("CN=ca"), X509SignatureGenerator.CreateForECDsa(ca), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(1), [1, 2, 3]);
            list.Add(("HPKE-X25519", cert, ParticipantPrivateKey.Load(x.Export(KeyBlobFormat.PkixPrivateKey), null)));
        }

        return list;
    }

    /// <summary>The header both the benchmark and its profile seal against: a full-size TCP frame to port 443.</summary>
    internal static DetectionHeader SampleHeader() => new()
    {
        ObservedAt = new DateTimeOffset(2026, 11, 30, 1, 2, 3, TimeSpan.Zero),
        Source = IPAddress.Parse("192.0.2.10"),
        Destination = IPAddress.Parse("198.51.100.7"),
        Protocol = 6,
        SourcePort = 51515,
        DestinationPort = 443,
        TcpFlags = 0x18,
        CapturedLength = 1514,
        WireLength = 1514,
        ContentLength = 1460,
        HeaderBytes = new byte[54],
    };
}
