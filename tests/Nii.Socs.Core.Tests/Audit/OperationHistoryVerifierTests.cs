using NSec.Cryptography;
using Nii.Socs.Core.Audit;

namespace Nii.Socs.Core.Tests.Audit;

public sealed class OperationHistoryVerifierTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);
    private readonly Key _key = Key.Create(SignatureAlgorithm.Ed25519);

    public void Dispose() => _key.Dispose();

    private static List<OperationEntry> Chain(int n)
    {
        var list = new List<OperationEntry>();
        var previous = OperationEntry.GenesisHash;
        for (var i = 1; i <= n; i++)
        {
            var e = OperationEntry.Create(i, T0.AddMinutes(i), "org:yamada", "portal.view", $"detections/u-tokyo/{i}", string.Empty, previous);
            list.Add(e);
            previous = e.Hash;
        }

        return list;
    }

    private HistoryVerification Verify(IEnumerable<OperationEntry> entries, params HistoryCheckpoint[] checkpoints)
    {
        var verifier = new OperationHistoryVerifier(checkpoints, _key.PublicKey);
        foreach (var e in entries)
        {
            if (!verifier.TryAccept(e))
            {
                break;
            }
        }

        return verifier.Complete();
    }

    [Fact]
    public void Intact_chain_reports_count_and_last_checkpoint()
    {
        var chain = Chain(5);
        var cp1 = HistoryCheckpoint.Sign(null, chain[2], T0, _key);
        var cp2 = HistoryCheckpoint.Sign(cp1, chain[4], T0, _key);
        Assert.Equal("ok 5 entries, last checkpoint #2 signed (entry 5)", Verify(chain, cp1, cp2).ToString());
        Assert.Equal("ok 0 entries, no signed checkpoint yet", Verify([]).ToString());
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public void R6_4_removed_middle_entry_breaks_the_chain_at_the_next()
    {
        var chain = Chain(5);
        chain.RemoveAt(2);
        var broken = Assert.IsType<HistoryVerification.Broken>(Verify(chain));
        Assert.Equal(3, broken.Sequence);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public void R6_4_rewritten_entry_with_recomputed_hashes_is_caught_by_the_checkpoint()
    {
        var chain = Chain(4);
        var cp = HistoryCheckpoint.Sign(null, chain[3], T0, _key);
        // An attacker rewrites entry 2 and recomputes every hash after it: the chain is consistent again…
        var forged = new List<OperationEntry> { chain[0] };
        var previous = chain[0].Hash;
        for (var i = 1; i < 4; i++)
        {
            var e = OperationEntry.Create(i + 1, chain[i].At, chain[i].Actor, i == 1 ? "portal.nothing-happened" : chain[i].Action, chain[i].Subject, string.Empty, previous);
            forged.Add(e);
            previous = e.Hash;
        }

        // …but no longer matches what the organization signed.
        var broken = Assert.IsType<HistoryVerification.Broken>(Verify(forged, cp));
        Assert.Equal(4, broken.Sequence);
        Assert.Contains("checkpoint #1", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public void R6_4_truncated_tail_before_a_signed_checkpoint_is_reported()
    {
        var chain = Chain(6);
        var cp = HistoryCheckpoint.Sign(null, chain[5], T0, _key);
        var broken = Assert.IsType<HistoryVerification.Broken>(Verify(chain.Take(4), cp));
        Assert.Equal(5, broken.Sequence);
        Assert.Contains("truncated", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoint_signed_by_another_key_is_rejected()
    {
        using var other = Key.Create(SignatureAlgorithm.Ed25519);
        var chain = Chain(2);
        var broken = Assert.IsType<HistoryVerification.Broken>(Verify(chain, HistoryCheckpoint.Sign(null, chain[1], T0, other)));
        Assert.Contains("the signing key changed", broken.Reason, StringComparison.Ordinal);
        Assert.Equal(1, broken.Sequence);
    }

    [Fact]
    public void Checkpoint_line_round_trips()
    {
        var chain = Chain(1);
        var cp = HistoryCheckpoint.Sign(null, chain[0], T0, _key);
        Assert.True(HistoryCheckpoint.TryParseLine(cp.ToLine(), out var parsed));
        Assert.True(parsed!.HasValidSignature(_key.PublicKey));
        Assert.False(HistoryCheckpoint.TryParseLine("1 2 zz 3 4", out _));
        Assert.Equal(cp.ToLine(), parsed.ToLine());
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public void R6_4_removed_middle_checkpoint_is_a_gap_that_names_the_first_unsigned_entry()
    {
        var chain = Chain(9);
        var cp1 = HistoryCheckpoint.Sign(null, chain[2], T0, _key);
        var cp2 = HistoryCheckpoint.Sign(cp1, chain[5], T0, _key);
        var cp3 = HistoryCheckpoint.Sign(cp2, chain[8], T0, _key);
        var broken = Assert.IsType<HistoryVerification.Broken>(Verify(chain, cp1, cp3));
        Assert.Equal(4, broken.Sequence);
        Assert.Contains("checkpoint #2 is missing", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public void R6_4_a_checkpoint_that_does_not_sign_its_predecessor_is_reported()
    {
        var chain = Chain(6);
        var cp1 = HistoryCheckpoint.Sign(null, chain[2], T0, _key);
        var other = HistoryCheckpoint.Sign(null, chain[1], T0.AddSeconds(1), _key);
        // #2 is validly signed but chains to a different #1 than the one stored.
        var cp2 = HistoryCheckpoint.Sign(other, chain[5], T0, _key);
        var broken = Assert.IsType<HistoryVerification.Broken>(Verify(chain, cp1, cp2));
        Assert.Contains("does not sign the hash of checkpoint #1", broken.Reason, StringComparison.Ordinal);
        Assert.Equal(4, broken.Sequence);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public void R6_4_witnessed_checkpoint_beyond_the_end_names_the_first_missing_entry()
    {
        var chain = Chain(8);
        var cp1 = HistoryCheckpoint.Sign(null, chain[2], T0, _key);
        var cp2 = HistoryCheckpoint.Sign(cp1, chain[7], T0, _key);
        var verifier = new OperationHistoryVerifier([cp1], [cp1, cp2], _key.PublicKey);
        foreach (var e in chain.Take(5))
        {
            Assert.True(verifier.TryAccept(e));
        }

        var broken = Assert.IsType<HistoryVerification.Broken>(verifier.Complete());
        Assert.Equal(6, broken.Sequence);
        Assert.Contains("the witness's checkpoint #2 signed entry 8", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public void R6_4_a_local_checkpoint_that_differs_from_the_witness_copy_is_reported()
    {
        var chain = Chain(4);
        var cp1 = HistoryCheckpoint.Sign(null, chain[3], T0, _key);
        var resigned = HistoryCheckpoint.Sign(null, chain[3], T0.AddHours(1), _key);
        var verifier = new OperationHistoryVerifier([resigned], [cp1], _key.PublicKey);
        var broken = Assert.IsType<HistoryVerification.Broken>(verifier.Complete());
        Assert.Contains("differs from the witness's copy", broken.Reason, StringComparison.Ordinal);
    }
}
