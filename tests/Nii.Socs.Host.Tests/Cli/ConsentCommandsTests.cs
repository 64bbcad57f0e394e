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

        File.Delete(_dir + ".kek");
        if (Directory.Exists(_dir + ".witness"))
        {
            Directory.Delete(_dir + ".witness", recursive: true);
        }
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    [Trait("Requirement", "R7.2")]
    [Trait("Requirement", "R8.5")]
    public async Task Request_unwrap_approve_view_and_the_fault_exception()
    {
        Assert.Equal(0, Cli.Run("demo", "--no-serve", "--data", _dir).ExitCode);
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

        // The participant unwraps the destroyed epoch's key with its own private key.
        var unwrap = Cli.Run("keys", "unwrap", "--wrapped", needs[2], "--private-key", Path.Combine(_dir, "pki", "operators", "u-tokyo-sato.key.pem"));
        Assert.True(unwrap.ExitCode == 0, unwrap.Error);
        var hex = unwrap.Out.Trim();

        var wrong = Cli.Run("consent", "approve", "--data", _dir, "--request", id, "--key", "2969=" + new string('0', 64), "--operator", "sato");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("does not match its commitment", wrong.Error, StringComparison.Ordinal);

        var approve = Cli.Run("consent", "approve", "--data", _dir, "--request", id, "--key", "2969=" + hex, "--operator", "sato");
        Assert.True(approve.ExitCode == 0, approve.Error);
        var grant = Field(approve.Out, "grant");

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

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string Field(string text, string name) =>
        Lines(text).First(l => l.StartsWith(name + "\t", StringComparison.Ordinal)).Split('\t')[1];
}
