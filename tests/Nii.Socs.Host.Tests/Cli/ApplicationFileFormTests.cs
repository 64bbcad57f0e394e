namespace Nii.Socs.Host.Tests.Cli;

/// <summary>docs/procedures.md: APPLICATION.json names are matched case-insensitively and comments are allowed
/// and trailing commas are allowed, by <c>validate</c> and <c>apply</c> alike; a procedure mail's subject is <c>[NII-SOCS] 手続き / Procedure: &lt;title&gt; - &lt;participant&gt;</c>.</summary>
public sealed class ApplicationFileFormTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-application-form-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait("Requirement", "R3.1")]
    public void An_application_with_other_cased_names_comments_and_trailing_commas_is_filed_and_mailed_with_the_procedure_subject()
    {
        var file = Path.Combine(_root, "application.json");
        File.WriteAllText(file, """
            {
              // the id asked for
              "Participant": "example-u",
              "INSTITUTIONNAME": "Example University",
              "prefixes": ["203.0.113.0/24",],
              "contactMails": ["soc@example-u.example.ac.jp"],
              "Operators": [ { "Name": "Hanako Sato", "Mail": "sato@example-u.example.ac.jp", "IssueCertificate": true, }, ],
            }
            """);
        var data = Path.Combine(_root, "data");
        Directory.CreateDirectory(data);

        var validate = Cli.Run("participants", "validate", file, "--json");
        var apply = Cli.Run("participants", "apply", "--data", data, "--file", file);

        Assert.True(validate.ExitCode == 0, validate.Error);
        Assert.Contains("Example University", validate.Out, StringComparison.Ordinal);
        Assert.True(apply.ExitCode == 0, apply.Error);
        var mail = Assert.Single(Directory.GetFiles(Path.Combine(data, "mail"), "*.eml"));
        using var message = MimeKit.MimeMessage.Load(mail);
        Assert.StartsWith("[NII-SOCS] 手続き / Procedure: ", message.Subject, StringComparison.Ordinal);
        Assert.EndsWith(" - example-u", message.Subject, StringComparison.Ordinal);
        Assert.Equal("soc@example-u.example.ac.jp", message.To.Mailboxes.Single().Address);
    }
}
