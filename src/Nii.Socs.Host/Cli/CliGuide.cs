using System.CommandLine;

namespace Nii.Socs.Host.Cli;

/// <summary>What <c>socs</c> says when the command line does not name a verb it knows: help, or the closest verb or option.</summary>
/// <remarks>
/// Generic over the command tree, so every verb added later behaves the same (docs/cli.md):
/// <list type="bullet">
/// <item><c>socs</c> alone, or a group such as <c>socs consent</c> without its verb: the help of that level on
/// stdout, one line on stderr, exit 2 (nothing was done, so a script that forgot the verb fails).</item>
/// <item>A misspelt verb or option (<c>socs cosnent show</c>, <c>--partcipant</c>): one line on stderr naming the
/// closest ones by edit distance, exit 2.</item>
/// </list>
/// </remarks>
internal static class CliGuide
{
    /// <summary>Answers a command line with parse errors; always returns <see cref="CliApp.BadInput"/>.</summary>
    public static int Refuse(RootCommand root, ParseResult parse, InvocationConfiguration config, TextWriter stderr)
    {
        var command = parse.CommandResult.Command;
        var path = PathOf(parse.CommandResult);
        var shown = path.Count == 0 ? "socs" : "socs " + string.Join(' ', path);
        var unmatched = parse.UnmatchedTokens.Count > 0 ? parse.UnmatchedTokens[0] : null;
        if (unmatched is not null)
        {
            var candidates = unmatched.StartsWith('-')
                ? OptionNames(parse.CommandResult)
                : command.Subcommands.Select(c => c.Name).Concat(command.Subcommands.SelectMany(c => c.Aliases));
            var near = Nearest(unmatched, candidates);
            if (near.Count == 0 && !unmatched.StartsWith('-'))
            {
                // A verb given at the wrong level, such as `socs stats` for `socs store stats`.
                near = [.. Leaves(command, []).Where(p => Distance(unmatched, p[^1]) <= 1).Select(p => string.Join(' ', p))];
            }

            var hint = near.Count == 0
                ? $"see '{shown} --help'"
                : "did you mean " + string.Join(" or ", near.Select(n => $"'{(unmatched.StartsWith('-') ? n : shown + " " + n)}'")) + "?";
            var what = unmatched.StartsWith('-') ? "option" : command.Subcommands.Count > 0 ? "command" : "argument";
            var where = path.Count == 0 ? string.Empty : $" for '{shown}'";
            stderr.WriteLine($"socs: unknown {what} '{unmatched}'{where}; {hint}");
            return CliApp.BadInput;
        }

        if (command.Subcommands.Count > 0 && command.Action is null)
        {
            root.Parse([.. path, "--help"]).Invoke(config);
            stderr.WriteLine($"socs: '{shown}' needs a command; they are listed above.");
            return CliApp.BadInput;
        }

        stderr.WriteLine($"socs: {parse.Errors[0].Message} (see '{shown} --help')");
        return CliApp.BadInput;
    }

    /// <summary>The candidates nearest to a mistyped word: edit distance at most 2 and less than half its length.</summary>
    public static List<string> Nearest(string typed, IEnumerable<string> candidates)
    {
        var scored = candidates.Distinct(StringComparer.Ordinal)
            .Select(c => (Name: c, Distance: Distance(typed, c)))
            .Where(x => x.Distance <= 2 && x.Distance * 2 < Math.Max(typed.Length, 2))
            .ToList();
        if (scored.Count == 0)
        {
            // A prefix such as `socs cons` for `consent` is a likely slip too.
            return [.. candidates.Distinct(StringComparer.Ordinal).Where(c => typed.Length >= 3 && c.StartsWith(typed, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        }

        var best = scored.Min(x => x.Distance);
        return [.. scored.Where(x => x.Distance == best).Select(x => x.Name).Order(StringComparer.Ordinal)];
    }

    /// <summary>The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>Every verb (a command with an action) under a command, as its path of names.</summary>
    public static IEnumerable<string[]> Leaves(Command command, string[] prefix)
    {
        foreach (var sub in command.Subcommands)
        {
            string[] path = [.. prefix, sub.Name];
            if (sub.Action is not null)
            {
                yield return path;
            }

            foreach (var deeper in Leaves(sub, path))
            {
                yield return deeper;
            }
        }
    }

    private static List<string> PathOf(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (var r = result; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, r.Command.Name);
        }

        return names;
    }

    private static IEnumerable<string> OptionNames(System.CommandLine.Parsing.CommandResult result)
    {
        for (var r = result; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            foreach (var option in r.Command.Options)
            {
                if (r == result || option.Recursive)
                {
                    yield return option.Name;
                    foreach (var alias in option.Aliases)
                    {
                        yield return alias;
                    }
                }
            }
        }
    }
}
