using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;
using System.Text.Json.Nodes;

namespace Nii.Socs.Host.Cli;

/// <summary><c>--json</c> for the verbs whose text output is <c>key⇥value</c> lines (docs/cli.md, "Key/value verbs"):
/// each line <c>key⇥v</c> becomes <c>"key": "v"</c>, a line with more fields <c>"key": ["v1", "v2", …]</c>, a key that
/// repeats an array of its values, and any line without a tab goes to <c>"lines"</c>. One adapter over the command
/// tree, so a verb that prints key/value lines has <c>--json</c> without a second printer to keep in step.</summary>
internal static class KeyValueJson
{
    /// <summary>Gives every leaf of <paramref name="root"/> that prints data but declares no <c>--json</c> the
    /// key/value adapter; its text goes through <paramref name="output"/>, redirected while the verb runs.</summary>
    public static void AddTo(Command root, RedirectableWriter output)
    {
        foreach (var path in CliGuide.Leaves(root, []))
        {
            Command leaf = root;
            foreach (var name in path)
            {
                leaf = leaf.Subcommands.Single(c => c.Name == name);
            }

            if (CliOutput.NoDataVerbs.Contains(string.Join(' ', path)) || leaf.Options.Any(o => o.Name == "--json") || leaf.Action is not { } action)
            {
                continue;
            }

            var json = CliOutput.JsonOption("Print JSON: the verb's key/value lines as one object (schema: docs/cli.md)");
            leaf.Options.Add(json);
            leaf.SetAction(async (parse, cancellationToken) =>
            {
                if (!parse.GetValue(json))
                {
                    return await RunAsync(action, parse, cancellationToken).ConfigureAwait(false);
                }

                using var buffer = new StringWriter();
                int code;
                using (output.Redirect(buffer))
                {
                    code = await RunAsync(action, parse, cancellationToken).ConfigureAwait(false);
                }

                CliOutput.WriteJson(output, ToJson(buffer.ToString()));
                return code;
            });
        }
    }

    /// <summary>The key/value lines of a verb's text output as one JSON object.</summary>
    internal static JsonObject ToJson(string text)
    {
        var result = new JsonObject();
        var lines = new JsonArray();
        var repeated = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Length == 0)
            {
                continue;
            }

            var fields = trimmed.Split('\t');
            if (fields.Length < 2 || fields[0].Length == 0)
            {
                lines.Add(trimmed);
                continue;
            }

            JsonNode value = fields.Length == 2 ? JsonValue.Create(fields[1]) : new JsonArray([.. fields.Skip(1).Select(f => (JsonNode?)JsonValue.Create(f))]);
            var key = fields[0];
            if (!result.TryGetPropertyValue(key, out var existing))
            {
                result[key] = value;
            }
            else if (repeated.Contains(key))
            {
                ((JsonArray)existing!).Add(value);
            }
            else
            {
                result.Remove(key);
                result[key] = new JsonArray(existing, value);
                repeated.Add(key);
            }
        }

        if (lines.Count > 0)
        {
            result["lines"] = lines;
        }

        return result;
    }

    private static async Task<int> RunAsync(CommandLineAction action, ParseResult parse, CancellationToken cancellationToken) => action switch
    {
        SynchronousCommandLineAction sync => sync.Invoke(parse),
        AsynchronousCommandLineAction async => await async.InvokeAsync(parse, cancellationToken).ConfigureAwait(false),
        _ => throw new InvalidOperationException($"Unknown action {action.GetType().Name}."),
    };
}

/// <summary>A writer whose target can be swapped for the span of one verb (the key/value <c>--json</c> adapter).</summary>
internal sealed class RedirectableWriter(TextWriter target) : TextWriter
{
    private TextWriter _target = target;

    /// <inheritdoc/>
    public override Encoding Encoding => _target.Encoding;

    /// <summary>Sends everything written to <paramref name="to"/> until the returned scope is disposed.</summary>
    public IDisposable Redirect(TextWriter to)
    {
        var previous = _target;
        _target = to;
        return new Scope(() => _target = previous);
    }

    /// <inheritdoc/>
    public override void Write(char value) => _target.Write(value);

    /// <inheritdoc/>
    public override void Write(string? value) => _target.Write(value);

    /// <inheritdoc/>
    public override void WriteLine(string? value) => _target.WriteLine(value);

    /// <inheritdoc/>
    public override void WriteLine() => _target.WriteLine();

    /// <inheritdoc/>
    public override void Flush() => _target.Flush();

    private sealed class Scope(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
