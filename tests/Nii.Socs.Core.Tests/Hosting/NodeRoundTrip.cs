using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Hosting;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Tests.Hosting;

/// <summary>The consent round trip a package consumer runs on a <see cref="SocsNode"/>, whatever its storage: enrol →
/// store (sealed) → request → a view without a grant refused → unwrap on the participant's side → approve → view → a view
/// after the grant's end refused (R8.6). Shared by the FASTER node's test and the cluster node's (Storage.Tests).</summary>
internal static class NodeRoundTrip
{
    /// <summary>Runs the round trip; returns the stored record.</summary>
    public static async Task<DetectionRecord> RunAsync(SocsNode node, FakeTimeProvider time, ParticipantId participant)
    {
        using var certificate = MakeP256();
        node.EnrolCertificate(participant, X509CertificateLoader.LoadCertificate(certificate.RawData));
        var header = new DetectionHeader { ObservedAt = time.GetUtcNow(), Source = IPAddress.Parse("192.0.2.7"), Destination = IPAddress.Parse("198.51.100.1"), Protocol = 6, DestinationPort = 80 };
        var record = await node.StoreAsync(participant, header, new RuleRef(2001, 1, "traversal", null, 1), "GET /../etc/passwd"u8.ToArray());
        Assert.NotNull(record);
        Assert.Equal(new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.FromHours(9)), node.ExpiryOf(record)); // acquired in November JST

        var staff = Actor.Staff("yamada");
        var request = await node.Consent.RequestAsync(staff, participant, new ConsentScope.RecordList([record.Id]), Purpose.Investigation, "follow-up", time.GetUtcNow().AddDays(1));
        Assert.True(request.Succeeded, request.Refusal?.Message);
        var early = await node.Consent.ViewAsync(new GrantId(Guid.NewGuid()), staff, record.Id);
        Assert.Equal(ConsentRefusalCode.UnknownGrant, early.Refusal!.Code);

        var epochs = await node.Consent.RequiredEpochsAsync(request.Value.Id);
        var keys = new List<EpochKey>();
        using (var privateKey = ParticipantPrivateKey.FromCertificate(certificate))
        {
            foreach (var epoch in epochs)
            {
                Assert.True(node.TryGetWrappedKeys(epoch, out var wrapped));
                Assert.True(privateKey.TryUnwrap(wrapped, out var key, out var failure), failure.ToString());
                keys.Add(key);
            }
        }

        var grant = await node.Consent.ApproveAsync(request.Value.Id, Actor.Operator(participant, "sato"), keys, time.GetUtcNow().AddHours(2));
        keys.ForEach(k => k.Dispose());
        Assert.True(grant.Succeeded, grant.Refusal?.Message);
        var view = await node.Consent.ViewAsync(grant.Value.Id, staff, record.Id);
        Assert.True(view.Succeeded, view.Refusal?.Message);
        Assert.Equal("GET /../etc/passwd", Encoding.ASCII.GetString(view.Value));

        time.Advance(TimeSpan.FromHours(3));
        var late = await node.Consent.ViewAsync(grant.Value.Id, staff, record.Id);
        Assert.Equal((ConsentRefusalCode.GrantNotLive, "R8.6"), (late.Refusal!.Code, late.Refusal.Requirement));
        return record;
    }

    public static X509Certificate2 MakeP256()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest("CN=operator", ec, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
    }
}
