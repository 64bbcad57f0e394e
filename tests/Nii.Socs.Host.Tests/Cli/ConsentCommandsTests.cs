using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>The consent verbs end to end on the demo's data: request, show, unwrap on the participant's side, approve, view, fault access.</summary>
public sealed class ConsentCommandsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "socs-consent-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }

        TestOperatorKeys.DeleteSecrets(_dir);
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    [Trait("Requirement", "R7.2")]
    [Trait("Requirement", "R8.5")]
    public async Task Request_unwrap_approve_view_and_the_fault_exception()
    {
        Assert.Equal(0, Cli.Run("demo", "--no-serve", "--data", _dir, "--people", _dir + "-people").ExitCode);
        string record;
        using (var store = DetectionStore.Open(_dir))
        {
            var page = await store.QueryAsync(new DetectionQuery { Participant = new ParticipantId("u-tokyo"), From = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), RuleSid = 1000001 });
            record = page.Records[^1].Id.ToString();
        }

        // R8.5: a purpose over 4 KiB is refused with exit 2 and one line, and nothing is written.
        var entries = OperationHistoryStore.ReadAll(_dir).Count;
        var oversized = Cli.Run("consent", "request", "--data", _dir, "--participant", "u-tokyo", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-02T00:00:00Z", "--purpose", new string('x', 4097), "--requester", "staff:yamada");
        Assert.Equal(2, oversized.ExitCode);
        Assert.Single(oversized.Error.TrimEnd('\n').Split('\n'));
        Assert.Contains("at most 4096", oversized.Error, StringComparison.Ordinal);
        Assert.Equal(entries, OperationHistoryStore.ReadAll(_dir).Count);

        var request = Cli.Run("consent", "request", "--data", _dir, "--participant", "u-tokyo", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-02T00:00:00Z", "--purpose", "traversal follow-up", "--requester", "staff:yamada");
        Assert.True(request.ExitCode == 0, request.Error);
        var id = Field(request.Out, "request");
        var needs = Lines(request.Out).Single(l => l.StartsWith("needs_key\t", StringComparison.Ordinal)).Split('\t');
        Assert.Equal("2969", needs[1]);
        Assert.True(File.Exists(needs[2]), needs[2]);

        // Staff cannot view yet; an operator of another participant cannot decide.
        Assert.Equal(2, Cli.Run("consent", "deny", "--data", _dir, "--request", id, "--reason", "x", "--operator", "").ExitCode);

        // The participant's side, on its own machine: the request file, its own key, its own certificate.
        var people = Path.Combine(_dir + "-people", "participants");
        var (sato, satoKey) = (Path.Combine(people, "u-tokyo", "sato.crt.pem"), Path.Combine(people, "u-tokyo", "sato.key.pem"));
        var requestFile = Path.Combine(_dir + "-people", "request.json");
        Assert.Equal(0, Cli.Run("consent", "export-request", "--data", _dir, "--request", id, "--out", requestFile).ExitCode);
        var unwrap = Cli.Run("participant", "unwrap", "--wrapped", needs[2], "--private-key", satoKey);
        Assert.True(unwrap.ExitCode == 0, unwrap.Error);
        var hex = unwrap.Out.Trim();

        var wrongFile = Path.Combine(_dir + "-people", "wrong.p7m");
        Assert.Equal(0, Cli.Run("participant", "approve", "--request", requestFile, "--key", "2969=" + new string('0', 64), "--certificate", sato, "--private-key", satoKey, "--out", wrongFile).ExitCode);
        var wrong = Cli.Run("consent", "approve", "--data", _dir, "--approval", wrongFile);
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("does not match its commitment", wrong.Error, StringComparison.Ordinal);

        // Without --key, the epochs' keys are unwrapped from the request file with the operator's key.
        var approvalFile = Path.Combine(_dir + "-people", "approval.p7m");
        var signed = Cli.Run("participant", "approve", "--request", requestFile, "--certificate", sato, "--private-key", satoKey, "--out", approvalFile);
        Assert.True(signed.ExitCode == 0, signed.Error);
        Assert.Contains("epochs\t2969", signed.Out, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(approvalFile));
        }

        var approve = Cli.Run("consent", "approve", "--data", _dir, "--approval", approvalFile);
        Assert.True(approve.ExitCode == 0, approve.Error);
        var grant = Field(approve.Out, "grant");
        var thumbprint = Field(approve.Out, "approved_by");
        Assert.Contains(OperationHistoryStore.ReadAll(_dir), e => e.Action == "consent.approval.signed" && e.Details.Contains(Lines(approve.Out).First(l => l.StartsWith("approved_by", StringComparison.Ordinal)).Split('\t')[2], StringComparison.Ordinal));
        Assert.Equal("sato@u-tokyo.example.ac.jp", thumbprint);

        var view = Cli.Run("consent", "view", "--data", _dir, "--grant", grant, "--record", record);
        Assert.True(view.ExitCode == 0, view.Error);
        Assert.StartsWith("GET /", view.Out, StringComparison.Ordinal);

        var show = Cli.Run("consent", "show", "--data", _dir, "--request", id);
        Assert.Contains("status\tapproved", show.Out, StringComparison.Ordinal);

        // The fault exception cannot reach a destroyed epoch's key.
        var fault = Cli.Run("consent", "fault-access", "--data", _dir, "--record", record, "--reason", "index check", "--incident", "INC-1", "--staff", "yamada");
        Assert.Equal(2, fault.ExitCode);
        Assert.Contains("destroyed", fault.Error, StringComparison.Ordinal);

        var history = OperationHistoryStore.ReadAll(_dir).Select(e => e.Action).ToList();
        Assert.Contains("consent.key.refused", history);
        Assert.Equal(2, history.Count(a => a == "consent.viewed"));
        Assert.Equal(0, Cli.Run("audit", "verify", "--data", _dir).ExitCode);
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    [Trait("Requirement", "R7.2")]
    public void Consent_approve_refuses_every_approval_but_an_active_registered_operators_of_that_participant_and_changes_nothing()
    {
        Assert.Equal(0, Cli.Run("demo", "--no-serve", "--data", _dir, "--people", _dir + "-people").ExitCode);
        var people = Path.Combine(_dir + "-people", "participants");
        var (sato, satoKey) = (Path.Combine(people, "u-tokyo", "sato.crt.pem"), Path.Combine(people, "u-tokyo", "sato.key.pem"));
        var (ito, itoKey) = (Path.Combine(people, "kyoto-u", "ito.crt.pem"), Path.Combine(people, "kyoto-u", "ito.key.pem"));
        var request = Cli.Run("consent", "request", "--data", _dir, "--participant", "u-tokyo", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-02T00:00:00Z", "--purpose", "p", "--requester", "staff:yamada");
        var id = Field(request.Out, "request");
        var requestFile = Path.Combine(_dir + "-people", "request.json");
        Assert.Equal(0, Cli.Run("consent", "export-request", "--data", _dir, "--request", id, "--out", requestFile).ExitCode);
        var key = Cli.Run("participant", "unwrap", "--wrapped", Path.Combine(_dir, "keys", "u-tokyo", "2969", "wrapped.json"), "--private-key", satoKey).Out.Trim();

        string Sign(string name, string certificate, string privateKey)
        {
            var file = Path.Combine(_dir + "-people", name + ".p7m");
            var result = Cli.Run("participant", "approve", "--request", requestFile, "--key", "2969=" + key, "--certificate", certificate, "--private-key", privateKey, "--out", file);
            Assert.True(result.ExitCode == 0, result.Error);
            return file;
        }

        // A certificate nobody registered: the operator's own self-signed one.
        var stranger = Path.Combine(_dir + "-people", "stranger");
        Assert.Equal(0, Cli.Run("participant", "keygen", "--out", stranger, "--name", "x").ExitCode);
        using (var strangerKey = System.Security.Cryptography.ECDsa.Create())
        {
            strangerKey.ImportFromPem(File.ReadAllText(Path.Combine(stranger, "x.key.pem")));
            var self = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=x", strangerKey, System.Security.Cryptography.HashAlgorithmName.SHA256)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            File.WriteAllText(Path.Combine(stranger, "x.crt.pem"), self.ExportCertificatePem());
        }

        var unsigned = Path.Combine(_dir + "-people", "unsigned.json");
        File.WriteAllText(unsigned, $"{{\"type\":\"nii-socs/approval/v1\",\"request\":\"{id}\",\"participant\":\"u-tokyo\",\"keys\":{{\"2969\":\"{key}\"}}}}");
        var tampered = Sign("tampered", sato, satoKey);
        var bytes = File.ReadAllBytes(tampered);
        var at = bytes.AsSpan().IndexOf("u-tokyo"u8);
        bytes[at] = (byte)'x';
        File.WriteAllBytes(tampered, bytes);
        var cases = new (string File, string Says)[]
        {
            (unsigned, "not a CMS signed statement"),
            (tampered, "does not verify"),
            (Sign("other", ito, itoKey), "certificate of kyoto-u"),
            (Sign("stranger", Path.Combine(stranger, "x.crt.pem"), Path.Combine(stranger, "x.key.pem")), "not registered"),
        };

        var historyBefore = OperationHistoryStore.ReadAll(_dir).Count;
        var revokedApproval = Sign("revoked", sato, satoKey);
        foreach (var (file, says) in cases)
        {
            var refused = Cli.Run("consent", "approve", "--data", _dir, "--approval", file);
            Assert.Equal(2, refused.ExitCode);
            Assert.Single(Lines(refused.Error));
            Assert.Contains(says, refused.Error, StringComparison.Ordinal);
        }

        Assert.Equal(historyBefore, OperationHistoryStore.ReadAll(_dir).Count);
        Assert.Contains("status\tpending", Cli.Run("consent", "show", "--data", _dir, "--request", id).Out, StringComparison.Ordinal);

        // Revoked after signing: refused too.
        var thumbprint = Cli.Run("certificates", "list", "--data", _dir, "--participant", "u-tokyo").Out.Split('\t')[1];
        Assert.Equal(0, Cli.Run("certificates", "revoke", "--data", _dir, "--participant", "u-tokyo", "--thumbprint", thumbprint, "--reason", "laptop stolen").ExitCode);
        var afterRevoke = OperationHistoryStore.ReadAll(_dir).Count;
        var revoked = Cli.Run("consent", "approve", "--data", _dir, "--approval", revokedApproval);
        Assert.Equal(2, revoked.ExitCode);
        Assert.Contains("revoked", revoked.Error, StringComparison.Ordinal);
        Assert.Equal(afterRevoke, OperationHistoryStore.ReadAll(_dir).Count);
        Assert.Contains("status\tpending", Cli.Run("consent", "show", "--data", _dir, "--request", id).Out, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string Field(string text, string name) =>
        Lines(text).First(l => l.StartsWith(name + "\t", StringComparison.Ordinal)).Split('\t')[1];
}
