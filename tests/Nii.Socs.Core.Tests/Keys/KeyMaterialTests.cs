using Nii.Socs.Core.Keys;

namespace Nii.Socs.Core.Tests.Keys;

public class KeyMaterialTests
{
    [Fact]
    [Trait("Requirement", "R7.1")]
    public void Nonces_drawn_in_blocks_never_repeat_across_blocks_and_threads()
    {
        // 24- and 32-byte nonces over several 4 KiB blocks on two threads: every nonce distinct, none all zero
        // (a handed-out byte is cleared, so a reused block position would show as zeros or as a repeat).
        var perThread = 3 * KeyMaterial.NonceBlockSize / 24;
        var results = new string[2][];
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            var mine = new string[perThread];
            for (var i = 0; i < perThread; i++)
            {
                var nonce = new byte[i % 2 == 0 ? 24 : 32];
                KeyMaterial.FillNonce(nonce);
                Assert.Contains(nonce, b => b != 0);
                mine[i] = Convert.ToHexString(nonce);
            }

            results[t] = mine;
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        var all = results.SelectMany(r => r).ToArray();
        Assert.Equal(all.Length, all.Distinct(StringComparer.Ordinal).Count());

        // Prefixes of 16 bytes distinct too: no nonce is a shifted copy of another's bytes.
        Assert.Equal(all.Length, all.Select(n => n[..32]).Distinct(StringComparer.Ordinal).Count());
    }
}
