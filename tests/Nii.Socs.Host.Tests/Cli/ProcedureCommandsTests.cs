using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>The staff verbs of the participant procedures end to end on a data directory: each happy path, and the
/// refusals (one line, exit 2, nothing changed).</summary>
public sealed class ProcedureCommandsTests : IDisposable
{
    // Tuesday 2026-12-01 10:00 JST: inside service hours.
    private static readonly DateTimeOffset Tuesday = new(2026, 12, 1, 1, 0, 0, TimeSpan.Zero);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "socs-procedures-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(Tuesday);

    public ProcedureCommandsTests()
    {
        Directory.CreateDirectory(_dir);
        Directory.CreateDirectory(Files);
    }

    private string Files => _dir + "-files";

    public void Dispose()
    {
        foreach (var dir in new[] { _dir, Files })
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        System.IO.File.Delete(_dir + ".kek");
    }

    private string File(string name, string json)
    {
        var path = Path.Combine(Files, name);
        System.IO.File.WriteAllText(path, json);
        return path;
    }

    private string Application(string participant, string prefix, string name = "application") => File(
        name + "-" + participant + ".json",
        $$"""{"participant":"{{participant}}","institutionName":"University {{participant}}","prefixes":["{{prefix}}"],"contactMails":["soc@{{participant}}.example.ac.jp"],"operators":[{"name":"Sato","mail":"sato@{{participant}}.example.ac.jp","issueCertificate":true}]}""");

    private CliResult Run(params string[] args) => Cli.Run(_time, args);

    private static string Field(string output, string name) =>
        output.Split('\n').Single(l => l.StartsWith(name + "\t", StringComparison.Ordinal)).Split('\t')[1];

    private string Snapshot() => string.Join("\n", Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(f => f + ":" + new FileInfo(f).Length));

    private static void AssertRefused(CliResult result, string expected)
    {
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Out);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    private string ApplyAndApprove(string participant, string prefix)
    {
        var apply = Run("participants", "apply", "--data", _dir, "--file", Application(participant, prefix));
        Assert.True(apply.ExitCode == 0, apply.Error);
        var id = Field(apply.Out, "id");
        var approve = Run("participants", "approve", "--data", _dir, "--application", id);
        Assert.True(approve.ExitCode == 0, approve.Error);
        return id;
    }

    [Fact]
    [Trait("Requirement", "R3.1")]
    [Trait("Requirement", "R3.2")]
    [Trait("Requirement", "R11.1")]
    public void Apply_approve_list_and_show_record_history_and_mail_the_contacts()
    {
        var apply = Run("participants", "apply", "--data", _dir, "--file", Application("u-tokyo", "192.0.2.77/24"));
        Assert.True(apply.ExitCode == 0, apply.Error);
        Assert.Equal("app-0001", Field(apply.Out, "id"));
        Assert.Contains("u-tokyo\tapplied", Run("participants", "list", "--data", _dir).Out, StringComparison.Ordinal);

        var approve = Run("participants", "approve", "--data", _dir, "--application", "app-0001");
        Assert.True(approve.ExitCode == 0, approve.Error);
        Assert.Contains("registry.application.approved", approve.Out, StringComparison.Ordinal);

        var show = Run("participants", "show", "--data", _dir, "--participant", "u-tokyo");
        Assert.True(show.ExitCode == 0, show.Error);
        Assert.Equal("active", Field(show.Out, "status"));
        Assert.Equal("2026-12-01..2027-03-31", Field(show.Out, "period"));
        Assert.Equal("192.0.2.0/24", Field(show.Out, "prefixes"));
        Assert.Contains("application app-0001 approved on 2026-12-01", show.Out, StringComparison.Ordinal);

        var json = Run("participants", "list", "--data", _dir, "--json");
        Assert.Contains("\"status\": \"active\"", json.Out, StringComparison.Ordinal);

        // Before the approval instant the registry said "applied"; the history and two mails record both steps.
        var before = Run("participants", "list", "--data", _dir, "--at", "2026-11-30T00:00:00Z");
        Assert.Contains("0 participant(s)", before.Out, StringComparison.Ordinal);
        var actions = OperationHistoryStore.ReadAll(_dir).Select(e => e.Action).ToList();
        Assert.Contains("registry.application.submitted", actions);
        Assert.Contains("registry.application.approved", actions);
        var mails = Directory.GetFiles(Path.Combine(_dir, "mail"), "*.eml").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, mails.Length);
        using var message = MimeKit.MimeMessage.Load(mails[1]);
        Assert.Equal("soc@u-tokyo.example.ac.jp", message.To.Mailboxes.Single().Address);
        Assert.Contains("利用期間は 2026-12-01 から 2027-03-31", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("The usage period runs from 2026-12-01 to 2027-03-31", message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R3.1")]
    public void Apply_refuses_overlap_with_registered_and_pending_participants_and_default_routes()
    {
        ApplyAndApprove("u-tokyo", "192.0.2.0/24");
        Assert.Equal(0, Run("participants", "apply", "--data", _dir, "--file", Application("kyoto-u", "198.51.100.0/24")).ExitCode);
        var before = Snapshot();

        AssertRefused(Run("participants", "apply", "--data", _dir, "--file", Application("osaka-u", "192.0.2.128/25")), "prefixes[0]: 192.0.2.128/25 overlaps 192.0.2.0/24 of participant u-tokyo");
        AssertRefused(Run("participants", "apply", "--data", _dir, "--file", Application("osaka-u", "198.51.100.0/25")), "overlaps 198.51.100.0/24 of participant kyoto-u");
        AssertRefused(Run("participants", "apply", "--data", _dir, "--file", Application("osaka-u", "0.0.0.0/0")), "0.0.0.0/0 is shorter than /8");
        AssertRefused(Run("participants", "apply", "--data", _dir, "--file", Application("osaka-u", "::/0")), "::/0 is shorter than /19");
        AssertRefused(Run("participants", "apply", "--data", _dir, "--file", Application("u-tokyo", "203.0.113.0/24")), "participant: u-tokyo is already a participant (active)");
        Assert.Equal(before, Snapshot());

        // validate --data checks against the real registry; without it, against no one.
        var path = Application("osaka-u", "192.0.2.0/26", "validate");
        Assert.Equal(0, Run("participants", "validate", path).ExitCode);
        var validate = Run("participants", "validate", path, "--data", _dir);
        Assert.Equal(2, validate.ExitCode);
        Assert.Contains("overlaps 192.0.2.0/24 of participant u-tokyo", validate.Error, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R12.2")]
    public void Refuse_and_revoke_need_one_of_the_six_reasons_and_a_note()
    {
        Assert.Equal(0, Run("participants", "apply", "--data", _dir, "--file", Application("u-tokyo", "192.0.2.0/24")).ExitCode);
        var before = Snapshot();
        AssertRefused(Run("participants", "refuse", "--data", _dir, "--application", "app-0001", "--note", "not a member"), "reason: the reason is required and is one of the six of R12.2");
        AssertRefused(Run("participants", "refuse", "--data", _dir, "--application", "app-0001", "--reason", "7", "--note", "x"), "got 7");
        AssertRefused(Run("participants", "refuse", "--data", _dir, "--application", "app-0001", "--reason", "1"), "note: the decision's note is required");
        AssertRefused(Run("participants", "refuse", "--data", _dir, "--application", "app-9999", "--reason", "1", "--note", "x"), "application: no application 'app-9999'");
        Assert.Equal(before, Snapshot());

        var refuse = Run("participants", "refuse", "--data", _dir, "--application", "app-0001", "--reason", "1", "--note", "not a SINET member");
        Assert.True(refuse.ExitCode == 0, refuse.Error);
        Assert.Contains("u-tokyo\trefused", Run("participants", "list", "--data", _dir).Out, StringComparison.Ordinal);

        ApplyAndApprove("kyoto-u", "198.51.100.0/24");
        AssertRefused(Run("participants", "revoke", "--data", _dir, "--participant", "kyoto-u", "--note", "x"), "reason:");
        AssertRefused(Run("participants", "revoke", "--data", _dir, "--participant", "nobody", "--reason", "5", "--note", "x"), "participant: no participant nobody is registered");
        var revoke = Run("participants", "revoke", "--data", _dir, "--participant", "kyoto-u", "--reason", "5", "--note", "breach feared");
        Assert.True(revoke.ExitCode == 0, revoke.Error);
        Assert.Equal("revoked", Field(Run("participants", "show", "--data", _dir, "--participant", "kyoto-u").Out, "status"));
    }

    [Fact]
    [Trait("Requirement", "R12.1")]
    public void Terminate_takes_effect_the_next_day_and_refuses_a_notice_before_the_approval()
    {
        ApplyAndApprove("u-tokyo", "192.0.2.0/24");
        var before = Snapshot();
        AssertRefused(Run("participants", "terminate", "--data", _dir, "--participant", "u-tokyo", "--notice-date", "2026-11-30"), "notice-date: 2026-11-30 is before the approval on 2026-12-01");
        AssertRefused(Run("participants", "terminate", "--data", _dir, "--participant", "nobody", "--notice-date", "2026-12-10"), "participant: no participant nobody is registered");
        Assert.Equal(before, Snapshot());

        var terminate = Run("participants", "terminate", "--data", _dir, "--participant", "u-tokyo", "--notice-date", "2026-12-10");
        Assert.True(terminate.ExitCode == 0, terminate.Error);
        Assert.Equal("active", Field(Run("participants", "show", "--data", _dir, "--participant", "u-tokyo", "--at", "2026-12-10T14:59:59Z").Out, "status"));
        _time.SetUtcNow(new DateTimeOffset(2026, 12, 10, 15, 0, 0, TimeSpan.Zero));
        Assert.Equal("terminated", Field(Run("participants", "show", "--data", _dir, "--participant", "u-tokyo").Out, "status"));
        AssertRefused(Run("participants", "terminate", "--data", _dir, "--participant", "u-tokyo", "--notice-date", "2026-12-20"), "already filed a termination notice dated 2026-12-10");
    }

    [Fact]
    [Trait("Requirement", "R3.2")]
    [Trait("Requirement", "R3.3")]
    [Trait("Requirement", "R11.2")]
    [Trait("Requirement", "R7.3")]
    [Trait("Requirement", "R5.2")]
    public void Change_extension_agreement_and_exclusions()
    {
        ApplyAndApprove("u-tokyo", "192.0.2.0/24");
        ApplyAndApprove("kyoto-u", "198.51.100.0/24");
        var change = File("change.json", """{"contactMails":["cert@u-tokyo.example.ac.jp"],"operators":[{"name":"Ito","mail":"ito@u-tokyo.example.ac.jp","issueCertificate":false}]}""");
        var changed = Run("participants", "change", "--data", _dir, "--participant", "u-tokyo", "--file", change);
        Assert.True(changed.ExitCode == 0, changed.Error);
        var show = Run("participants", "show", "--data", _dir, "--participant", "u-tokyo").Out;
        Assert.Equal("cert@u-tokyo.example.ac.jp", Field(show, "contacts"));
        Assert.Contains("operator\tIto\tito@u-tokyo.example.ac.jp\tcertificate:false", show, StringComparison.Ordinal);
        AssertRefused(Run("participants", "change", "--data", _dir, "--participant", "u-tokyo", "--file", File("overlap.json", """{"prefixes":["198.51.100.0/28"]}""")), "overlaps 198.51.100.0/24 of participant kyoto-u");

        var declined = Run("participants", "extension", "--data", _dir, "--participant", "u-tokyo", "--decline", "--reason", "no longer a member next year");
        Assert.True(declined.ExitCode == 0, declined.Error);
        Assert.Equal("expired", Field(Run("participants", "show", "--data", _dir, "--participant", "u-tokyo", "--at", "2027-04-01T00:00:00+09:00").Out, "status"));
        Assert.Equal("active", Field(Run("participants", "show", "--data", _dir, "--participant", "kyoto-u", "--at", "2027-04-01T00:00:00+09:00").Out, "status"));

        AssertRefused(Run("participants", "agreement", "--data", _dir, "--participant", "u-tokyo", "--months", "6", "--reference", " "), "reference:");
        var agreed = Run("participants", "agreement", "--data", _dir, "--participant", "u-tokyo", "--months", "6", "--reference", "NII-SOCS-2026-17");
        Assert.True(agreed.ExitCode == 0, agreed.Error);
        Assert.Contains("agreement\tu-tokyo: 6 month(s) from 2026-12-01", Run("participants", "show", "--data", _dir, "--participant", "u-tokyo").Out, StringComparison.Ordinal);

        AssertRefused(Run("exclusions", "start", "--data", _dir, "--participant", "u-tokyo", "--prefix", "198.51.100.0/25", "--reason", "load"), "is not inside a monitored prefix of u-tokyo");
        var start = Run("exclusions", "start", "--data", _dir, "--participant", "u-tokyo", "--prefix", "192.0.2.0/25", "--reason", "sensor overload");
        Assert.True(start.ExitCode == 0, start.Error);
        using (var registry = RegistryStore.Open(_dir))
        {
            Assert.Single(registry.State.Exclusions.Values, x => x.EndedAt is null);
        }

        AssertRefused(Run("exclusions", "end", "--data", _dir, "--participant", "u-tokyo", "--prefix", "192.0.2.128/25", "--reason", "over"), "no exclusion in force covers exactly 192.0.2.128/25");
        var end = Run("exclusions", "end", "--data", _dir, "--participant", "u-tokyo", "--prefix", "192.0.2.0/25", "--reason", "load is back to normal");
        Assert.True(end.ExitCode == 0, end.Error);
        using (var registry = RegistryStore.Open(_dir))
        {
            Assert.DoesNotContain(registry.State.Exclusions.Values, x => x.EndedAt is null);
            Assert.Equal(ParticipantStatus.Active, registry.State.Participants[new ParticipantId("kyoto-u")].StatusOn(new DateOnly(2026, 12, 2)));
        }

        var history = Run("participants", "show", "--data", _dir, "--participant", "u-tokyo").Out;
        Assert.Contains("contacts changed: cert@u-tokyo.example.ac.jp", history, StringComparison.Ordinal);
        Assert.Contains("not extended past FY2026", history, StringComparison.Ordinal);
        Assert.Contains("exclusion decision-u-tokyo-1 ended", history, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R10.2")]
    public void A_procedure_received_on_a_saturday_evening_is_accepted_and_approved_from_the_next_service_window()
    {
        // Saturday 2026-12-05 20:00 JST; the next service window opens Monday 2026-12-07 09:00 JST.
        _time.SetUtcNow(new DateTimeOffset(2026, 12, 5, 11, 0, 0, TimeSpan.Zero));
        var apply = Run("participants", "apply", "--data", _dir, "--file", Application("u-tokyo", "192.0.2.0/24"));
        Assert.True(apply.ExitCode == 0, apply.Error);
        Assert.Equal("2026-12-05T20:00:00+09:00", Field(apply.Out, "received"));
        Assert.Contains("outside service hours", apply.Out, StringComparison.Ordinal);
        Assert.Equal("2026-12-07T09:00:00+09:00", Field(apply.Out, "processed_from"));
        var approve = Run("participants", "approve", "--data", _dir, "--application", Field(apply.Out, "id"));
        Assert.True(approve.ExitCode == 0, approve.Error);
        Assert.Equal("2026-12-07..2027-03-31", Field(Run("participants", "show", "--data", _dir, "--participant", "u-tokyo", "--at", "2026-12-08T00:00:00Z").Out, "period"));
        Assert.Contains(OperationHistoryStore.ReadAll(_dir), e => e.Action == "registry.application.approved" && e.Details.Contains("outside_service_hours processed_from=2026-12-07T09:00:00+09:00", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Requirement", "R8.5")]
    public void Consent_request_for_an_unregistered_participant_is_refused()
    {
        ApplyAndApprove("u-tokyo", "192.0.2.0/24");
        var result = Run("consent", "request", "--data", _dir, "--participant", "nobody", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-01T00:00:00Z", "--purpose", "x", "--requester", "staff:yamada");
        AssertRefused(result, "--participant: no participant nobody is registered");
        Assert.DoesNotContain(OperationHistoryStore.ReadAll(_dir), e => e.Action.StartsWith("consent.", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Requirement", "R3.3")]
    public void The_sample_application_and_change_are_accepted_as_documented()
    {
        var root = AppContext.BaseDirectory;
        while (!System.IO.File.Exists(Path.Combine(root, "Nii.Socs.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no repository root above the test binaries");
        }

        var samples = Path.Combine(root, "samples", "procedures");
        var apply = Run("participants", "apply", "--data", _dir, "--file", Path.Combine(samples, "APPLICATION.json"));
        Assert.True(apply.ExitCode == 0, apply.Error);
        Assert.Equal(0, Run("participants", "approve", "--data", _dir, "--application", Field(apply.Out, "id")).ExitCode);
        var change = Run("participants", "change", "--data", _dir, "--participant", "example-u", "--file", Path.Combine(samples, "CHANGE.json"));
        Assert.True(change.ExitCode == 0, change.Error);
        var show = Run("participants", "show", "--data", _dir, "--participant", "example-u").Out;
        Assert.Equal("soc@example-u.example.ac.jp,csirt@example-u.example.ac.jp", Field(show, "contacts"));
        Assert.Contains("operator\tJiro Kato\tkato@example-u.example.ac.jp\tcertificate:true", show, StringComparison.Ordinal);
        Assert.Equal("203.0.113.0/24,2001:db8:20::/48", Field(show, "prefixes"));
    }
}
