using System.Text;

namespace Nii.Socs.Capture.Detection;

/// <summary>The rules loaded from one or more rule files, and the errors of those that did not load (R4.2, R4.3).</summary>
/// <remarks>
/// <para>Lines starting with <c>#</c> and blank lines are ignored; a line ending in <c>\</c>
/// continues on the next. A rule that fails to parse, or repeats an earlier sid, becomes a
/// <see cref="RuleError"/> with file, line and reason, and the other rules still load.</para>
/// <para>Bounded input: a file over <see cref="MaxFileLength"/> characters, a rule over <see cref="MaxRuleLength"/>
/// characters, or an address or port nested more than 32 levels of <c>[</c> and <c>!</c> makes the whole file refused
/// with an <see cref="InvalidDataException"/> naming the file and line: such a file is hostile or broken, and half of it
/// is not a rule set to run. Parsing time and memory stay linear in the file's size.</para>
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

    /// <summary>The largest rule file accepted, in characters: 64 Mi (the largest public rule sets are under 40 MB).</summary>
    public const int MaxFileLength = 64 << 20;

    /// <summary>The largest rule accepted (after joining continued lines), in characters: 1 Mi.</summary>
    public const int MaxRuleLength = 1 << 20;

    /// <summary>The timeout of each <c>pcre</c> evaluation; the default is 100 ms.</summary>
    public static TimeSpan DefaultPcreTimeout { get; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Parses rule text.</summary>
    /// <param name="text">The rules.</param>
    /// <param name="file">The file name used in errors.</param>
    /// <param name="variables">The variables, with <c>$HOME_NET</c> bound to the scope.</param>
    /// <param name="pcreTimeout">The regex timeout; null for <see cref="DefaultPcreTimeout"/>.</param>
    /// <returns>The rule set.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidDataException">The text is beyond the parser's bounds (size or nesting); the message names file and line.</exception>
    public static RuleSet Parse(string text, string file, RuleVariables variables, TimeSpan? pcreTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(variables);
        if (text.Length > MaxFileLength)
        {
            throw new InvalidDataException($"{file}: the rule file has {text.Length} characters; at most {MaxFileLength} are accepted");
        }

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

            if (logical.Length > MaxRuleLength)
            {
                throw new InvalidDataException($"{file}:{startLine}: the rule has {logical.Length} characters; at most {MaxRuleLength} are accepted");
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
    /// <exception cref="InvalidDataException">The file is beyond the parser's bounds (size or nesting); the message names file and line.</exception>
    public static RuleSet Load(string path, RuleVariables variables)
    {
        ArgumentNullException.ThrowIfNull(path);
        var length = new FileInfo(path).Length;
        if (length > MaxFileLength)
        {
            // Checked before reading, so a huge file costs nothing.
            throw new InvalidDataException($"{path}: the rule file has {length} bytes; at most {MaxFileLength} are accepted");
        }

        return Parse(File.ReadAllText(path), path, variables);
    }
}
