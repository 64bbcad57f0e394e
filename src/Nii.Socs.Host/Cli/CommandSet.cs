using System.CommandLine;

namespace Nii.Socs.Host.Cli;

/// <summary>The table of contents of <c>socs</c>: one line per feature's verbs.</summary>
internal static class CommandSet
{
    public static IEnumerable<Command> All(CliContext context)
    {
        yield return DemoCommand.Create(context);
        yield return ServeCommand.Create(context);
        yield return CalendarCommands.Create(context);
        yield return ParticipantsCommands.Create(context);
        yield return ProcedureCommands.Exclusions(context);
        yield return RetentionCommands.Create(context);
        yield return KeysCommands.Create(context);
        yield return ParticipantSideCommands.Create(context);
        yield return CertificatesCommands.Create(context);
        yield return ConsentCommands.Create(context);
        yield return DetectionsCommands.Create(context);
        yield return ResearchCommands.Create(context);
        yield return PortalCommands.Create(context);
        yield return MailCommands.Create(context);
        yield return InspectCommands.Create(context);
        foreach (var command in StoreCommands.Create(context))
        {
            yield return command;
        }
        yield return CaptureCommands.Create(context);
    }
}
