using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Hosting;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Core.Storage.Consent;
using Nii.Socs.Core.Tests.Storage.Keys;

namespace Nii.Socs.Core.Tests.Hosting;

/// <summary>The package consumer's entry points: DI with validated options, the node's consent round trip, and sealing
/// with a consumer's own key.</summary>
public class SocsNodeTests
{
    private static readonly ParticipantId s_p = new("u-tokyo");

    [Fact]
    [Trait("Requirement", "R7.3")]
    public void Invalid_options_stop_the_node_with_every_problem_named()
    {
        using var dir = new TempDirectory();
        var data = Path.Combine(dir.Path, "data");
        using var provider = new ServiceCollection()
            .AddNiiSocs(o => (o.RetentionMonths, o.EpochPeriodDays) = (9, 0))
            .UseFasterStorage(data, Path.Combine(data, "host.kek"))
            .Services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<SocsNode>());
        Assert.Contains(ex.Failures, f => f.Contains("RetentionMonths", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("EpochPeriodDays", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("outside DataDirectory", StringComparison.Ordinal));
        Assert.False(Directory.Exists(data));
        Assert.Throws<ArgumentException>(() => SocsNode.OpenFaster(new NiiSocsOptions { DataDirectory = data }));
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task A_consent_round_trip_through_the_container_opens_the_content_only_after_approval()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time);
        services.AddNiiSocs(o => o.KeyEncryptionKeyFile = Path.Combine(dir.Path, "host.kek")).UseFasterStorage(Path.Combine(dir.Path, "data"));
        await using var provider = services.BuildServiceProvider();
        var node = provider.GetRequiredService<SocsNode>();
        Assert.Same(node.Consent, provider.GetRequiredService<ConsentService>());

        await NodeRoundTrip.RunAsync(node, time, s_p);
    }

    [Fact]
    [Trait("Requirement", "R8.1")]
    public async Task A_participant_without_a_certificate_gets_no_key_and_nothing_is_stored()
    {
        using var dir = new TempDirectory();
        await using var node = SocsNode.OpenFaster(new NiiSocsOptions { DataDirectory = Path.Combine(dir.Path, "data"), KeyEncryptionKeyFile = Path.Combine(dir.Path, "host.kek") });
        var header = new DetectionHeader { ObservedAt = DateTimeOffset.UtcNow, Source = IPAddress.Loopback, Destination = IPAddress.Loopback, Protocol = 17 };
        await Assert.ThrowsAsync<InvalidOperationException>(() => node.StoreAsync(s_p, header, new RuleRef(1, 1, "x", null, 1), "x"u8.ToArray()));
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public void Content_sealed_for_one_record_opens_with_its_key_and_not_as_another_record()
    {
        using var key = EpochKey.Create(new EpochId(s_p, 2921));
        var header = new DetectionHeader { ObservedAt = DateTimeOffset.UnixEpoch, Source = IPAddress.Loopback, Destination = IPAddress.IPv6Loopback, Protocol = 6 };
        var id = DetectionId.New(header.ObservedAt);
        var blob = SealedContent.Seal(key, id, header, "payload"u8);
        Assert.True(SealedContent.TryOpen(key, id, header, blob, out var plain, out var none));
        Assert.Equal((OpenFailure.None, "payload"), (none, Encoding.ASCII.GetString(plain)));
        Assert.False(SealedContent.TryOpen(key, DetectionId.New(header.ObservedAt.AddSeconds(1)), header, blob, out _, out var failure));
        Assert.Equal(OpenFailure.NotAuthentic, failure);
        using var other = EpochKey.Create(new EpochId(s_p, 2922));
        Assert.False(SealedContent.TryOpen(other, id, header, blob, out _, out var wrongKey));
        Assert.Equal(OpenFailure.NotAuthentic, wrongKey);
        var record = new DetectionRecord { Id = id, Participant = s_p, Epoch = key.Epoch, Header = header, Rule = new RuleRef(1, 1, "x", null, 1), SealedContent = blob };
        Assert.True(SealedContent.TryOpen(key, record, out _, out _));
        Assert.False(SealedContent.TryOpen(other, record, out _, out var wrongEpoch));
        Assert.Equal(OpenFailure.WrongEpoch, wrongEpoch);
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public void No_public_member_hands_out_a_key_the_organization_holds()
    {
        // The only public ways to an EpochKey: make a fresh one, rebuild one from bytes the caller has, or unwrap one
        // with a participant's private key. The ring, the key store and the grant custody are internal.
        const System.Reflection.BindingFlags all = System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static
            | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly;
        var givers = typeof(EpochKey).Assembly.GetExportedTypes()
            .SelectMany(t => t.GetMethods(all).Select(m => (Type: t, Method: m)))
            .Where(x => x.Method.ReturnType == typeof(EpochKey) || x.Method.GetParameters().Any(p => p.IsOut && p.ParameterType.GetElementType() == typeof(EpochKey)))
            .Select(x => $"{x.Type.Name}.{x.Method.Name}")
            .Distinct()
            .Order(StringComparer.Ordinal);
        Assert.Equal(["EpochKey.Create", "EpochKey.FromBytes", "ParticipantPrivateKey.TryUnwrap"], givers);
    }
}
