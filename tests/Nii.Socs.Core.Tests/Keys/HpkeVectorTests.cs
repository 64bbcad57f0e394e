using System.Text.Json;
using Nii.Socs.Core.Keys.Hpke;

namespace Nii.Socs.Core.Tests.Keys;

/// <summary>RFC 9180 Appendix A: every base-mode vector and every encryption in Vectors/hpke-rfc9180.json.</summary>
public class HpkeVectorTests
{
    private static readonly JsonElement[] s_vectors = Load();

    public static TheoryData<int, string> Vectors()
    {
        var data = new TheoryData<int, string>();
        for (var i = 0; i < s_vectors.Length; i++)
        {
            data.Add(i, s_vectors[i].GetProperty("suite").GetString()!);
        }

        return data;
    }

    [Fact]
    public void The_vector_file_covers_both_KEMs_and_both_AEADs_we_can_check()
    {
        var suites = s_vectors.Select(v => (v.GetProperty("kem_id").GetInt32(), v.GetProperty("aead_id").GetInt32())).ToHashSet();
        Assert.Contains((0x20, 3), suites); // DHKEM(X25519) + ChaCha20-Poly1305: our X25519 suite.
        Assert.Contains((0x10, 1), suites); // DHKEM(P-256) + AES-GCM.
        Assert.True(s_vectors.Length >= 4);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    [Trait("Requirement", "R8.1")]
    public void R8_1_hpke_reproduces_the_RFC_9180_vector(int index, string suiteName)
    {
        var v = s_vectors[index];
        Assert.Equal(0, v.GetProperty("mode").GetInt32());
        Assert.Equal(1, v.GetProperty("kdf_id").GetInt32());
        var kem = DhKem.ById((ushort)v.GetProperty("kem_id").GetInt32());
        var suite = new HpkeSuite(kem, (ushort)v.GetProperty("aead_id").GetInt32());

        // DeriveKeyPair (RFC 9180 §7.1.3) from the vectors' ikm.
        Assert.Equal(Hex(v, "skEm"), kem.DeriveKeyPair(Hex(v, "ikmE")));
        Assert.Equal(Hex(v, "skRm"), kem.DeriveKeyPair(Hex(v, "ikmR")));

        using var ephemeral = kem.ImportPrivateKey(Hex(v, "skEm"));
        using var recipient = kem.ImportPrivateKey(Hex(v, "skRm"));
        Assert.Equal(Hex(v, "pkEm"), ephemeral.PublicKey);
        Assert.Equal(Hex(v, "pkRm"), recipient.PublicKey);

        var (shared, enc) = kem.Encap(Hex(v, "pkRm"), ephemeral);
        Assert.Equal(Hex(v, "enc"), enc);
        Assert.Equal(Hex(v, "shared_secret"), shared);
        Assert.Equal(Hex(v, "shared_secret"), kem.Decap(enc, recipient));

        var schedule = suite.KeySchedule(shared, Hex(v, "info"));
        Assert.Equal(Hex(v, "key_schedule_context"), schedule.KeyScheduleContext);
        Assert.Equal(Hex(v, "secret"), schedule.Secret);
        Assert.Equal(Hex(v, "key"), schedule.Key);
        Assert.Equal(Hex(v, "base_nonce"), schedule.BaseNonce);
        Assert.Equal(Hex(v, "exporter_secret"), schedule.ExporterSecret);

        var encryptions = v.GetProperty("encryptions").EnumerateArray().ToArray();
        Assert.NotEmpty(encryptions);
        foreach (var e in encryptions)
        {
            var seq = (ulong)e.GetProperty("seq").GetInt64();
            var ct = suite.Seal(schedule, seq, Hex(e, "aad"), Hex(e, "pt"));
            Assert.Equal(Hex(e, "ct"), ct);
            Assert.True(suite.TryOpen(schedule, seq, Hex(e, "aad"), Hex(e, "ct"), out var pt), $"{suiteName} seq {seq} did not open");
            Assert.Equal(Hex(e, "pt"), pt);
            Assert.False(suite.TryOpen(schedule, seq + 1, Hex(e, "aad"), Hex(e, "ct"), out _), "a ciphertext opened under the next sequence number's nonce");
        }

        // Single-shot base mode with the vector's ephemeral key gives the first encryption.
        var first = encryptions[0];
        var (enc1, ct1) = suite.SealBase(Hex(v, "pkRm"), ephemeral, Hex(v, "info"), Hex(first, "aad"), Hex(first, "pt"));
        Assert.Equal(Hex(v, "enc"), enc1);
        Assert.Equal(Hex(first, "ct"), ct1);
        Assert.True(suite.TryOpenBase(enc1, recipient, Hex(v, "info"), Hex(first, "aad"), ct1, out var opened));
        Assert.Equal(Hex(first, "pt"), opened);
    }

    private static byte[] Hex(JsonElement element, string name) => Convert.FromHexString(element.GetProperty(name).GetString()!);

    private static JsonElement[] Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Vectors", "hpke-rfc9180.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("vectors").EnumerateArray().Select(e => e.Clone()).ToArray();
    }
}
