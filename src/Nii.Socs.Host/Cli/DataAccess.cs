using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;
using Nii.Socs.Core.Storage.Consent;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Cli;

/// <summary>The data directory a running service has open, handed to the verbs it runs for the admin channel.</summary>
/// <param name="Data">The service's stores (one instance, one view of the logs).</param>
/// <param name="Services">The service's container (e.g. the mail notifier of <c>socs serve</c>), when it has one.</param>
internal sealed record ServedData(SocsData Data, IServiceProvider? Services);

/// <summary>How a verb with <c>--data</c> uses the data directory (docs/architecture.md, "One owner of the data directory").</summary>
internal enum DataUse
{
    /// <summary>Unmarked: runs only while it holds the directory's lock; refused (exit 2) while a service owns it.</summary>
    Exclusive = 0,

    /// <summary>Changes state through <see cref="DataAccess.Open"/>: forwarded to the service when one owns the directory.</summary>
    Served,

    /// <summary>Reads committed state only; runs beside a service without the lock.</summary>
    ReadOnly,

    /// <summary>A long-running owner (<c>serve</c>, <c>demo</c>, <c>portal serve</c>): takes the lock itself.</summary>
    Owner,
}

/// <summary>The one seam between verbs and the open data of a directory: the service's when a verb runs inside it over
/// the admin channel, else the verb's own, opened under the directory's lock.</summary>
internal static class DataAccess
{
    private static readonly ConditionalWeakTable<Command, object> Marks = [];

    /// <summary>Marks how <paramref name="command"/> uses its <c>--data</c> directory; returns the command.</summary>
    public static Command Uses(this Command command, DataUse use)
    {
        Marks.AddOrUpdate(command, use);
        return command;
    }

    /// <summary>How a command uses its data directory (unmarked: <see cref="DataUse.Exclusive"/>).</summary>
    public static DataUse UseOf(Command command) => Marks.TryGetValue(command, out var use) ? (DataUse)use : DataUse.Exclusive;

    /// <summary>The open data of <paramref name="data"/> for one verb: the running service's (when the verb runs inside
    /// it) or freshly opened under the lock and closed (commit, checkpoint) when the lease is disposed.</summary>
    /// <param name="context">The verb's context.</param>
    /// <param name="data">The <c>--data</c> value; it must exist.</param>
    /// <param name="requireKek">Refuse a directory without the host key-encryption key (verbs that unseal).</param>
    public static DataLease Open(CliContext context, string? data, bool requireKek = false)
    {
        var dir = Path.GetFullPath(CliParse.ExistingDataDirectory(data)).TrimEnd(Path.DirectorySeparatorChar);
        if (context.Served is { } served)
        {
            return served.Data.Directory.TrimEnd(Path.DirectorySeparatorChar) == dir
                ? new DataLease(served.Data, served.Services, owned: false)
                : throw new CliUsageException($"--data: this service owns {served.Data.Directory}, not {dir}.");
        }

        var kekFile = CliParse.KekFileFor(dir);
        if (requireKek && !File.Exists(kekFile))
        {
            throw new CliUsageException($"the host key-encryption key {kekFile} is missing: this is not the data directory of a running service.");
        }

        var opened = SocsData.Open(dir, context.Time, ProcedureCommands.ConfiguredRetention(), custody: GrantKeyCustody.SealedUntilGrantEnds);
        opened.ConsentService.ReleaseEnded();
        return new DataLease(opened, null, owned: true);
    }

    /// <summary>Runs the parsed verb where it belongs: here under the directory's lock, in the owning service over the
    /// admin channel, or not at all (one line naming the owner's pid, exit 2).</summary>
    internal static int Dispatch(ParseResult parse, string[] args, CliContext context, Func<int> run)
    {
        var use = UseOf(parse.CommandResult.Command);
        if (context.Served is not null || use is DataUse.Owner or DataUse.ReadOnly || DataOf(parse) is not { } dir || !Directory.Exists(dir))
        {
            return run();
        }

        using (var held = DataDirectoryLock.TryAcquire(dir, out var holder))
        {
            if (held is not null)
            {
                return run();
            }

            var depth = 0;
            for (var c = parse.CommandResult; c.Parent is CommandResult parent; c = parent)
            {
                depth++;
            }

            if (use == DataUse.Served && AdminChannel.TryForward(dir, ForwardedArguments(args, depth), context.Out, context.Error, out var code))
            {
                return code;
            }

            throw new DataDirectoryBusyException(Path.GetFullPath(dir), holder);
        }
    }

    /// <summary>The <c>--data</c> value of the parsed verb, if it has one.</summary>
    internal static string? DataOf(ParseResult parse)
    {
        var result = parse.CommandResult.Children.OfType<OptionResult>().FirstOrDefault(o => o.Option.Name == "--data");
        return result is { Tokens.Count: > 0 } ? result.Tokens[0].Value : null;
    }

    /// <summary>The arguments with every path the service must find made absolute (its working directory differs):
    /// the <c>--data</c> value, any argument naming an existing file, and any argument with a '/' whose
    /// parent exists (an output to be written).</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="commands">How many leading arguments name the command (never rewritten, e.g. <c>certificates staff</c>).</param>
    internal static string[] ForwardedArguments(string[] args, int commands)
    {
        var result = (string[])args.Clone();
        for (var i = commands; i < result.Length; i++)
        {
            var arg = result[i];
            if (arg.StartsWith("--data=", StringComparison.Ordinal))
            {
                result[i] = "--data=" + Path.GetFullPath(arg["--data=".Length..]);
            }
            else if (i > 0 && result[i - 1] == "--data" || LooksLikePath(arg))
            {
                result[i] = Path.GetFullPath(arg);
            }
        }

        return result;
    }

    private static bool LooksLikePath(string arg)
    {
        if (arg.Length == 0 || arg.StartsWith('-') || Path.IsPathRooted(arg))
        {
            return false;
        }

        // A bare word is a path only when it names a file here: a name such as --name suzuki may equal a folder's.
        if (File.Exists(arg))
        {
            return true;
        }

        return arg.Contains('/', StringComparison.Ordinal) && Path.GetDirectoryName(Path.GetFullPath(arg)) is { } parent && Directory.Exists(parent);
    }
}

/// <summary>One verb's use of the open data (<see cref="DataAccess.Open"/>); disposing closes it only if the verb opened it.</summary>
internal sealed class DataLease : IDisposable
{
    private readonly bool _owned;

    internal DataLease(SocsData data, IServiceProvider? services, bool owned)
    {
        Data = data;
        Services = services;
        _owned = owned;
    }

    /// <summary>The stores.</summary>
    public SocsData Data { get; }

    /// <summary>The running service's container when the verb runs inside <c>socs serve</c>; null otherwise.</summary>
    public IServiceProvider? Services { get; }

    /// <summary>Whether the verb runs inside a service (over the admin channel).</summary>
    public bool Served => !_owned;

    /// <summary>Closes the stores (commit, checkpoint) when the verb opened them.</summary>
    public void Dispose()
    {
        if (_owned)
        {
            Data.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
