using System.CommandLine;

namespace Nii.Socs.Host.Cli;

/// <summary>The table of contents of <c>socs</c>: one line per feature's verbs.</summary>
internal static class CommandSet
{
    public static IEnumerable<Command> All(CliContext context)
    {
        yield return RetentionCommands.Create(context);
        yield return CaptureCommands.Create(context);
    }
}
