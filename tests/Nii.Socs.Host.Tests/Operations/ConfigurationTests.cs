using System.Text.Json;

namespace Nii.Socs.Host.Tests.Operations;

/// <summary>Clean configuration (issue #15): every invalid setting at once, one line each, exit 2, nothing created;
/// <c>SOCS_Section__Key</c> and the old <c>SOCS_Socs__Section__Key</c>; the Logging section with JSON console output;
/// <c>--config FILE</c>.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-config-").FullName;

    [Fact]
    public void Every_invalid_setting_is_reported_at_once_one_line_each_and_nothing_is_created()
    {
        var data = Path.Combine(_root, "data");
        var result = Cli.Cli.Run("serve", "--set", "Socs:Data:Directory=" + data, "--set", "Socs:Retention:Months=999", "--set", "Socs:Portal:Port=-1", "--set", "Socs:Health:Port=70000", "--set", "Socs:Mail:SmtpPort=many");
        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("socs: ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Socs:Retention:Months", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Socs:Portal:Port", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Socs:Health:Port", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Socs:Mail:SmtpPort", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Out);
        Assert.False(Directory.Exists(data));
    }

    [Theory]
    [InlineData("SOCS_Retention__Months")]
    [InlineData("SOCS_Socs__Retention__Months")]
    public void Both_forms_of_environment_variable_are_read(string variable)
    {
        var (code, output, error) = SocsProcess.Run(new Dictionary<string, string> { [variable] = "999" }, _root, "serve", "--set", "Socs:Data:Directory=data");
        Assert.Equal(2, code);
        Assert.Equal("socs: Socs:Retention:Months must be between 0 and 3 (was 999): it can only shorten the 3 months of R7.3; a longer period is a recorded agreement (socs participants agreement)", error.Trim());
        Assert.Equal(string.Empty, output);
        Assert.False(Directory.Exists(Path.Combine(_root, "data")));
    }

    [Fact]
    public async Task A_settings_file_anywhere_with_JSON_console_logs_and_levels_from_the_Logging_section()
    {
        var settings = Path.Combine(_root, "elsewhere", "socs.json");
        Directory.CreateDirectory(Path.GetDirectoryName(settings)!);
        File.WriteAllText(settings, """
            {
              "Logging": { "LogLevel": { "Default": "Information", "Microsoft": "Warning" }, "Console": { "FormatterName": "json" } },
              "Socs": { "Data": { "Directory": "data" }, "Portal": { "Port": 0 }, "Capture": { "IncomingDirectory": "data/incoming" }, "Health": { "Enabled": true, "Port": 0 } }
            }
            """);
        using var serve = SocsProcess.Start(_root, "serve", "--config", settings);
        await serve.WaitForOutputAsync("health and metrics on", TimeSpan.FromSeconds(60));
        Assert.NotNull(serve.Signal("TERM", TimeSpan.FromSeconds(10)));
        var lines = serve.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            Assert.True(json.RootElement.TryGetProperty("Category", out var category));
            // Microsoft.* is filtered to Warning: the host's "Application started" lines are gone.
            Assert.False(category.GetString()!.StartsWith("Microsoft.", StringComparison.Ordinal), line);
        }

        Assert.True(Directory.Exists(Path.Combine(_root, "data", "audit")));
        var missing = Cli.Cli.Run("serve", "--config", Path.Combine(_root, "nope.json"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal($"socs: --config must be an existing settings file; got '{Path.Combine(_root, "nope.json")}'.\n", missing.Error);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
