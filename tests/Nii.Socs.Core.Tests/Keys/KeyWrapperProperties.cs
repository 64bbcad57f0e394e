using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Tests.Keys;

public class KeyWrapperProperties
{
    private static readonly ParticipantPrivateKey s_rsa = ParticipantPrivateKey.Load(TestCertificates.Rsa.Pkcs8, null);
    private static readonly ParticipantPrivateKey s_p256 = ParticipantPrivateKey.Load(TestCertificates.P256.Pkcs8, null);
    private static readonly ParticipantPrivateKey s_x25519 = ParticipantPrivateKey.Load(TestCertificates.X25519.Pkcs8, null);

    public static Arbitrary<int> Kinds() => Arb.From(Gen.Choose(0, 2));

    [Property(MaxTest = 60)]
    [Trait("Requirement", "R8.1")]
    public Property R8_1_a_key_wrapped_to_a_certificate_unwraps_with_its_private_key(NonNegativeInt index, NonNegativeInt which)
    {
        var kind = which.Get % 3;
        var (issued, privateKey) = kind switch
        {
            0 => (TestCertificates.Rsa, s_rsa),
            1 => (TestCertificates.P256, s_p256),
            _ => (TestCertificates.X25519, s_x25519),
        };
        using var key = EpochKey.Create(new EpochId(new ParticipantId("kyoto-u"), index.Get));
        var wrapped = KeyWrapper.Wrap(key, issued.Certificate);
        var bytes = new byte[32];
        var ok = privateKey.TryUnwrap(wrapped, bytes, out var failure);
        return (ok && failure == UnwrapFailure.None).Label($"unwrapped ({failure})")
            .And(bytes.AsSpan().SequenceEqual(key.Bytes).Label("same bytes"))
            .And((wrapped.Suite == privateKey.Suite).Label("suite"))
            .Collect(wrapped.Suite.Name);
    }

    [Property(MaxTest = 60)]
    [Trait("Requirement", "R8.1")]
    public Property R8_1_any_single_bit_flip_in_an_hpke_wrapped_key_fails_to_unwrap(NonNegativeInt bit, bool x25519)
    {
        var (issued, privateKey) = x25519 ? (TestCertificates.X25519, s_x25519) : (TestCertificates.P256, s_p256);
        using var key = EpochKey.Create(new EpochId(new ParticipantId("kyoto-u"), 7));
        var w = KeyWrapper.Wrap(key, issued.Certificate);
        var parts = new[] { w.Enc.ToArray(), w.Ciphertext.ToArray(), w.Info.ToArray(), w.Aad.ToArray() };
        var total = parts.Sum(p => p.Length * 8);
        var at = bit.Get % total;
        var part = 0;
        while (at >= parts[part].Length * 8)
        {
            at -= parts[part].Length * 8;
            part++;
        }

        parts[part][at / 8] ^= (byte)(1 << (at % 8));
        var tampered = w with { Enc = parts[0], Ciphertext = parts[1], Info = parts[2], Aad = parts[3] };
        var ok = privateKey.TryUnwrap(tampered, new byte[32], out var failure);
        return (!ok && failure == UnwrapFailure.NotAuthentic).Label($"rejected ({failure})").Collect(new[] { "enc", "ct", "info", "aad" }[part]);
    }
}
