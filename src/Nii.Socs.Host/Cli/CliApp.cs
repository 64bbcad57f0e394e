using System.CommandLine;
using System.Globalization;

namespace Nii.Socs.Host.Cli;

/// <summary>The <c>socs</c> command line: builds the command tree and runs one invocation.</summary>
/// <remarks>
/// Exit codes: 0 success, 1 a check that found a problem (e.g. <c>audit verify</c>), 2 bad input.
/// Users never see a stack trace: every failure is one line on stderr. <c>socs</c> alone, or a command group
/// without its verb, prints that level's help on stdout and exits 2; a misspelt verb or option is answered with the
/// closest one (<see cref="CliGuide"/>).
/// </remarks>
internal static class CliApp
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code for a check that found a problem.</summary>
    public const int Problem = 1;

    /// <summary>Exit code for bad input.</summary>
    public const int BadInput = 2;

    /// <summary>Runs one invocation of <c>socs</c>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "The CLI is a boundary: any failure becomes one line on stderr, never a stack trace (STYLE §4).")]
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CliContext? context = null)
    {
        var previousCulture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            context ??= new CliContext(stdout, stderr, TimeProvider.System);
            var root = BuildRoot(context);
            var parse = root.Parse(args);

            // Ctrl+C and SIGTERM cancel the running verb's token; a long-running verb (serve, demo's portal)
            // then has this long to close its stores, commit and checkpoint.
            var config = new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                // Inside a service (admin channel) the service owns the signals.
                ProcessTerminationTimeout = context.Served is null ? TimeSpan.FromSeconds(20) : null,
            };
            if (parse.Errors.Count > 0)
            {
                return CliGuide.Refuse(root, parse, config, stderr);
            }

            return DataAccess.Dispatch(parse, args, context, () => parse.InvokeAsync(config).GetAwaiter().GetResult());
        }
        catch (CliUsageException ex)
        {
            stderr.WriteLine($"socs: {ex.Message}");
            return BadInput;
        }
        catch (Pipeline.DataDirectoryBusyException ex)
        {
            stderr.WriteLine($"socs: {ex.Message}");
            return BadInput;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException)
        {
            stderr.WriteLine($"socs: {ex.Message}");
            return BadInput;
        }
        catch (Exception ex)
        {
            stderr.WriteLine($"socs: {ex.GetType().Name}: {ex.Message}");
            return Problem;
        }
        finally
        {
            CultureInfo.CurrentCulture = previousCulture;
        }
    }

    /// <summary>The whole command tree; tests enumerate it.</summary>
    internal static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("socs — the NII-SOCS reference host and operator tools");
        var output = new RedirectableWriter(context.Out);
        foreach (var command in CommandSet.All(context with { Out = output }))
        {
            root.Subcommands.Add(command);
        }

        KeyValueJson.AddTo(root, output);
        return root;
    }
}
