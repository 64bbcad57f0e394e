using Nii.Socs.Host.Cli;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>Runs <c>socs</c> in process and captures what it prints.</summary>
internal static class Cli
{
    public static CliResult Run(params string[] args) => Run(TimeProvider.System, args);

    public static CliResult Run(TimeProvider time, params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var code = CliApp.Run(args, stdout, stderr, new CliContext(stdout, stderr, time));
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}

internal sealed record CliResult(int ExitCode, string Out, string Error);
