using System.Text;

namespace Nii.Socs.Capture.Detection;

/// <summary>The rules loaded from one or more rule files, and the errors of those that did not load (R4.2, R4.3).</summary>
/// <remarks>
/// <para>Lines starting with <c>#</c> and blank lines are ignored; a line ending in <c>\</c>
/// continues on the next. A rule that fails to parse, or repeats an earlier sid, becomes a
/// <see cref="RuleError"/> with file, line and reason, and the other rules still load.</para>
/// <para>Example: a file whose line 3 reads <c>alert tcp any any -> any any (msg:"x";)</c> loads its
/// other rules and reports <c>demo.rules:3: the rule has no sid</c>.</para>
/// </remarks>
public sealed class RuleSet
{
    private RuleSet(IReadOnlyList<Rule> rules, IReadOnlyList<RuleError> errors)
    {
        Rules = rules;
        Errors = errors;
    }

    /// <summary>The rules that loaded, in file order.</summary>
    public IReadOnlyList<Rule> Rules { get; }

    /// <summary>The rules that did not load; empty when all did.</summary>
    public IReadOnlyList<RuleError> Errors { get; }

    /// <summary>The timeout of each <c>pcre</c> evaluation; the default is 100 ms.</summary>
    public static TimeSpan DefaultPcreTimeout { get; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Parses rule text.</summary>
    /// <param name="text">The rules.</param>
    /// <param name="file">The file name used in errors.</param>
    /// <param name="variables">The variables, with <c>$HOME_NET</c> bound to the scope.</param>
    /// <param name="pcreTimeout">The regex timeout; null for <see cref="DefaultPcreTimeout"/>.</param>
    /// <returns>The rule set.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static RuleSet Parse(string text, string file, RuleVariables variables, TimeSpan? pcreTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(variables);
        var parser = new RuleParser(variables, pcreTimeout ?? DefaultPcreTimeout);
        var rules = new List<Rule>();
        var errors = new List<RuleError>();
        var sids = new Dictionary<long, int>();
        var lines = text.Split('\n');
        var logical = new StringBuilder();
        var startLine = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (logical.Length == 0)
            {
                var trimmed = line.Trim();
                if (trimmed.Length == 0 || trimmed.StartsWith('#'))
                {
                    continue;
                }

                startLine = i + 1;
            }

            if (line.EndsWith('\\'))
            {
                logical.Append(line.AsSpan(0, line.Length - 1)).Append(' ');
                if (i + 1 < lines.Length)
                {
                    continue;
                }
            }
            else
            {
                logical.Append(line);
            }

            var ruleText = logical.ToString().Trim();
            logical.Clear();
            if (!parser.TryParse(ruleText, file, startLine, out var rule, out var error))
            {
                errors.Add(new RuleError(file, startLine, error!));
            }
            else if (sids.TryGetValue(rule!.Sid, out var firstLine))
            {
                errors.Add(new RuleError(file, startLine, $"sid {rule.Sid} is already used on line {firstLine}"));
            }
            else
            {
                sids.Add(rule.Sid, startLine);
                rules.Add(rule);
            }
        }

        return new RuleSet(rules, errors);
    }

    /// <summary>Loads a rule file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="variables">The variables.</param>
    /// <returns>The rule set; errors name the file as given.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static RuleSet Load(string path, RuleVariables variables) =>
        Parse(File.ReadAllText(path), path, variables);
}
