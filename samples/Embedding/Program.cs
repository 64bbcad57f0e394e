using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Hosting;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Research;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Sealing;

// 1. Retention (R7.3): when is a record acquired at this instant deleted?
var acquired = DateTimeOffset.Parse("2026-11-30T20:00:00Z", CultureInfo.InvariantCulture); // already December in JST
Console.WriteLine($"retention: deleted from {RetentionPolicy.Default.ExpiryOf(acquired).ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture)}");

// 2. Seal, wrap the key to the participant's certificate, unwrap it with the private key, open (R7.1, R8.1).
using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
using var certificate = new CertificateRequest("CN=operator", ec, HashAlgorithmName.SHA256).CreateSelfSigned(acquired.AddDays(-1), acquired.AddYears(1));
var participant = new ParticipantId("u-tokyo");
var header = new DetectionHeader { ObservedAt = acquired, Source = IPAddress.Parse("192.0.2.7"), Destination = IPAddress.Parse("198.51.100.1"), Protocol = 6, DestinationPort = 80 };
var id = DetectionId.New(acquired);
byte[] blob;
WrappedKeySet wrapped;
using (var key = EpochKey.Create(new EpochId(participant, 2969)))
{
    blob = SealedContent.Seal(key, id, header, "GET /../etc/passwd"u8);
    wrapped = KeyWrapper.WrapToAll(key, [certificate]);
}

using (var privateKey = ParticipantPrivateKey.FromCertificate(certificate))
{
    if (privateKey.TryUnwrap(wrapped, out var unwrapped, out var unwrapFailure))
    {
        using (unwrapped)
        {
            var opened = SealedContent.TryOpen(unwrapped, id, header, blob, out var plain, out var failure);
            Console.WriteLine(opened ? $"sealing: opened '{Encoding.ASCII.GetString(plain!)}'" : $"sealing: {failure}");
        }
    }
    else
    {
        Console.WriteLine($"sealing: the key did not unwrap ({unwrapFailure})");
    }
}

// 3. Crypto-PAn (R9.1): prefix-preserving anonymisation; the published sample key and one of its vectors.
using (var pan = new CryptoPan(Convert.FromHexString("1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202")))
{
    Console.WriteLine($"crypto-pan: 128.11.68.132 -> {pan.Anonymize(IPAddress.Parse("128.11.68.132"))}");
}

// 4. A consent round trip (R8.5, R8.6): the node seals and stores; staff ask; the participant presents its key; staff view.
var work = Directory.CreateTempSubdirectory("nii-socs-embedding-");
try
{
    var options = new NiiSocsOptions { DataDirectory = Path.Combine(work.FullName, "data"), KeyEncryptionKeyFile = Path.Combine(work.FullName, "host.kek") };
    await using var node = SocsNode.OpenFaster(options);
    node.EnrolCertificate(participant, certificate);
    var stored = await node.StoreAsync(participant, header with { ObservedAt = DateTimeOffset.UtcNow }, new RuleRef(2001, 1, "directory traversal", null, 1), "GET /../etc/passwd"u8.ToArray());
    var staff = Actor.Staff("yamada");
    var request = await node.Consent.RequestAsync(staff, participant, new ConsentScope.RecordList([stored!.Id]), Purpose.Investigation, "follow-up of rule 2001", DateTimeOffset.UtcNow.AddDays(3));
    var keys = new List<EpochKey>();
    using (var privateKey = ParticipantPrivateKey.FromCertificate(certificate))
    {
        foreach (var epoch in await node.Consent.RequiredEpochsAsync(request.Value!.Id))
        {
            if (node.TryGetWrappedKeys(epoch, out var set) && privateKey.TryUnwrap(set, out var key, out _))
            {
                keys.Add(key);
            }
        }
    }

    var stranger = await node.Consent.ApproveAsync(request.Value.Id, Actor.Operator(new ParticipantId("u-kyoto"), "suzuki"), keys, DateTimeOffset.UtcNow.AddHours(1));
    Console.WriteLine($"consent: another participant's operator is refused: {stranger.Refusal!.Code} ({stranger.Refusal.Requirement})");
    var grant = await node.Consent.ApproveAsync(request.Value.Id, Actor.Operator(participant, "sato"), keys, DateTimeOffset.UtcNow.AddHours(1));
    keys.ForEach(k => k.Dispose());
    var view = await node.Consent.ViewAsync(grant.Value!.Id, staff, stored.Id);
    Console.WriteLine(view.Succeeded ? $"consent: viewed '{Encoding.ASCII.GetString(view.Value)}'" : $"consent: {view.Refusal!.Message}");
}
finally
{
    work.Delete(recursive: true);
}
