using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Tests.Keys;

public class KeyCommitmentProperties
{
    private static readonly EpochId s_epoch = new(new ParticipantId("u-tokyo"), 2921);

    [Property]
    [Trait("Requirement", "R8.6")]
    public Property R8_6_a_wrong_presented_key_is_always_rejected_by_the_commitment(byte[] presented, PositiveInt bit)
    {
        using var key = EpochKey.Create(s_epoch);
        var commitment = KeyCommitment.Compute(key);
        var flipped = key.Bytes.ToArray();
        flipped[(bit.Get / 8) % 32] ^= (byte)(1 << (bit.Get % 8));
        return commitment.Matches(key.Bytes).Label("own key accepted")
            .And((!commitment.Matches(flipped)).Label("one bit off rejected"))
            .And((!commitment.Matches(presented)).Label("arbitrary bytes rejected"))
            .Classify(presented.Length == 32, "32-byte presented key");
    }

    [Property(MaxTest = 50)]
    [Trait("Requirement", "R8.6")]
    public bool R8_6_a_commitment_never_accepts_the_key_of_another_epoch(PositiveInt index)
    {
        using var key = EpochKey.Create(s_epoch);
        using var sameBytesOtherEpoch = EpochKey.FromBytes(s_epoch with { Index = s_epoch.Index + index.Get }, key.Bytes);
        var commitment = KeyCommitment.Compute(key);
        return !commitment.Matches(sameBytesOtherEpoch) && !KeyCommitment.Compute(sameBytesOtherEpoch).Value.SequenceEqual(commitment.Value);
    }

    [Fact]
    public void Commitment_and_key_never_print_key_bytes()
    {
        using var key = EpochKey.Create(s_epoch);
        var hex = Convert.ToHexStringLower(key.Bytes);
        Assert.DoesNotContain(hex, key.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(hex, KeyCommitment.Compute(key).ToString(), StringComparison.Ordinal);
        Assert.Equal("EpochKey(u-tokyo#2921)", key.ToString());
    }

    [Fact]
    public void Disposed_key_is_zeroed_and_unusable()
    {
        var key = EpochKey.Create(s_epoch);
        var array = key.BackingArrayForTests;
        Assert.Contains(array, b => b != 0);
        key.Dispose();
        Assert.All(array, b => Assert.Equal(0, b));
        Assert.True(key.IsDestroyed);
        Assert.Throws<ObjectDisposedException>(() => key.CopyTo(new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => KeyCommitment.Compute(key));
    }
}
