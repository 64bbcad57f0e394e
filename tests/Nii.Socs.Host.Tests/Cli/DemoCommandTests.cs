
namespace Nii.Socs.Host.Tests.Cli;

public class DemoCommandTests
{
    [Fact]
    [Trait("Requirement", "R8.4")]
    [Trait("Requirement", "R4.1")]
    [Trait("Requirement", "R13.1")]
    public void Demo_runs_the_whole_service_and_leaves_a_verifiable_store()
    {
        var dir = Path.Combine(Path.GetTempPath(), "socs-demo-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = Cli.Run("demo", "--no-serve", "--data", dir, "--people", dir + "-people");
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.Contains("detections stored     12", result.Out, StringComparison.Ordinal);
            Assert.Contains("epoch 2969 → 2970; destroyed 2969", result.Out, StringComparison.Ordinal);
            Assert.Contains("\"GET /static/../../../../etc/passwd HTTP/1.1\"", result.Out, StringComparison.Ordinal);
            Assert.Contains("operation history     ok ", result.Out, StringComparison.Ordinal);
            Assert.Contains("mail (R4.5, R4.6)     11 message(s)", result.Out, StringComparison.Ordinal);

            // Mails carry header information only: no content of any detection, decoded (R4.5, R2.1).
            var mails = Directory.GetFiles(Path.Combine(dir, "mail"), "*.eml");
            Assert.Equal(11, mails.Length);
            Assert.Equal(4, mails.Count(m => Path.GetFileName(m).Contains("-procedure-", StringComparison.Ordinal)));
            foreach (var mail in mails)
            {
                using var message = MimeKit.MimeMessage.Load(mail);
                var text = message.TextBody + message.Subject;
                Assert.DoesNotContain("/etc/passwd", text, StringComparison.Ordinal);
                Assert.DoesNotContain("X5O!P%@AP", text, StringComparison.Ordinal);
                Assert.DoesNotContain("UNION+ALL+SELECT", text, StringComparison.Ordinal);
            }

            Assert.Single(mails, m => MimeKit.MimeMessage.Load(m).InReplyTo is not null);

            var stats = Cli.Run("store", "stats", "--data", dir);
            Assert.Contains("12 record(s)", stats.Out, StringComparison.Ordinal);
            var verify = Cli.Run("audit", "verify", "--data", dir);
            Assert.Equal(0, verify.ExitCode);

            // The yearly inspection of what the demo did finds nothing to report (R13.1).
            var report = Path.Combine(dir + "-report");
            var inspect = Cli.Run("inspect", "--data", dir, "--year", "2026", "--out", report);
            Assert.True(inspect.ExitCode == 0, inspect.Out + inspect.Error);
            Assert.Contains("findings: 0", inspect.Out, StringComparison.Ordinal);
            Directory.Delete(report, recursive: true);

            // The demo replaces its own data when run again, and refuses anybody else's.
            Assert.Equal(0, Cli.Run("demo", "--no-serve", "--data", dir, "--people", dir + "-people").ExitCode);
            var other = Path.Combine(dir, "detections");
            var refused = Cli.Run("demo", "--no-serve", "--data", other, "--people", other + "-people");
            Assert.Equal(2, refused.ExitCode);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }

            TestOperatorKeys.DeleteSecrets(dir);
        }
    }

    [Fact]
    public void Bad_settings_stop_the_demo_at_start_with_one_line_each_naming_the_setting()
    {
        var result = Cli.Run("demo", "--set", "Socs:Retention:Months=200", "--set", "Socs:ServiceHours:Closes=08:00", "--set", "Socs:Data:Directory=");
        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.TrimEnd('\n').Split('\n');
        Assert.Equal(
            ["socs: Socs:Data:Directory must name a directory (was empty)",
             "socs: Socs:Retention:Months must be between 0 and 3 (was 200): it can only shorten the 3 months of R7.3; a longer period is a recorded agreement (socs participants agreement)",
             "socs: Socs:ServiceHours:Closes must be after Opens (was 09:00–08:00)"],
            lines);
    }

    [Fact]
    public void A_setting_of_the_wrong_type_is_bad_input()
    {
        var result = Cli.Run("demo", "--set", "Socs:Retention:Months=three");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Socs:Retention:Months", result.Error, StringComparison.Ordinal);
    }
}
