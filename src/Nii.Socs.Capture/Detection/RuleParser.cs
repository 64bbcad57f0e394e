using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Detection;

/// <summary>Parses one rule of the documented Suricata/Snort subset; failures carry a reason.</summary>
internal sealed class RuleParser(RuleVariables variables, TimeSpan pcreTimeout)
{
    private const int MaxVariableDepth = 8;

    /// <summary>The deepest nesting of <c>[</c> lists and <c>!</c> negations in one address or port spec.</summary>
    /// <remarks>Real rule sets nest three or four levels; the bound keeps a hostile rule from costing memory and stack
    /// (100,000 nested <c>[</c> once took 17 GB and overflowed the stack).</remarks>
    internal const int MaxNesting = 32;

    private static readonly Dictionary<string, int> s_classPriorities = new(StringComparer.Ordinal)
    {
        // Priorities from Suricata's classification.config.
        ["not-suspicious"] = 3, ["unknown"] = 3, ["bad-unknown"] = 2, ["attempted-recon"] = 2,
        ["successful-recon-limited"] = 2, ["successful-recon-largescale"] = 2, ["attempted-dos"] = 2,
        ["successful-dos"] = 2, ["attempted-user"] = 1, ["unsuccessful-user"] = 1, ["successful-user"] = 1,
        ["attempted-admin"] = 1, ["successful-admin"] = 1, ["rpc-portmap-decode"] = 2, ["shellcode-detect"] = 1,
        ["string-detect"] = 3, ["suspicious-filename-detect"] = 2, ["suspicious-login"] = 2,
        ["system-call-detect"] = 2, ["tcp-connection"] = 4, ["trojan-activity"] = 1,
        ["unusual-client-port-connection"] = 2, ["network-scan"] = 3, ["denial-of-service"] = 2,
        ["non-standard-protocol"] = 2, ["protocol-command-decode"] = 3, ["web-application-activity"] = 2,
        ["web-application-attack"] = 1, ["misc-activity"] = 3, ["misc-attack"] = 2, ["icmp-event"] = 3,
        ["inappropriate-content"] = 1, ["policy-violation"] = 1, ["default-login-attempt"] = 2,
        ["targeted-activity"] = 1, ["exploit-kit"] = 1, ["external-ip-check"] = 2, ["domain-c2"] = 1,
        ["credential-theft"] = 1, ["social-engineering"] = 2, ["coin-mining"] = 2, ["command-and-control"] = 1,
    };

    public bool TryParse(string text, string file, int line, out Rule? rule, out string? error)
    {
        rule = null;
        try
        {
            rule = Parse(text, file, line);
            error = null;
            return true;
        }
        catch (RuleSyntaxException ex)
        {
            error = ex.Message;
            return false;
        }
        catch (RuleBoundsException ex)
        {
            // Not a rule to skip: a file carrying it is refused whole, so a hostile rule feed cannot be half-loaded.
            throw new InvalidDataException($"{file}:{line}: {ex.Message}", ex);
        }
    }

    private Rule Parse(string text, string file, int line)
    {
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            throw new RuleSyntaxException("expected 'action proto src sport -> dst dport (options)'; the option list in parentheses is missing");
        }

        if (text[(close + 1)..].Trim().Length > 0)
        {
            throw new RuleSyntaxException("text after the closing parenthesis");
        }

        var header = SplitHeader(text[..open]);
        if (header.Count != 7)
        {
            throw new RuleSyntaxException($"the header needs 7 fields (action proto src sport direction dst dport); got {header.Count}");
        }

        var action = header[0] switch
        {
            "alert" => RuleAction.Alert,
            "log" => RuleAction.Log,
            "pass" => RuleAction.Pass,
            "drop" => RuleAction.Drop,
            "reject" => RuleAction.Reject,
            _ => throw new RuleSyntaxException($"unknown action '{header[0]}'; expected alert, log, pass, drop or reject"),
        };
        var protocol = header[1] switch
        {
            "ip" => RuleProtocol.IP,
            "tcp" => RuleProtocol.Tcp,
            "udp" => RuleProtocol.Udp,
            "icmp" => RuleProtocol.Icmp,
            _ => throw new RuleSyntaxException($"unsupported protocol '{header[1]}'; expected ip, tcp, udp or icmp"),
        };
        var bidirectional = header[4] switch
        {
            "->" => false,
            "<>" => true,
            _ => throw new RuleSyntaxException($"unknown direction '{header[4]}'; expected -> or <>"),
        };
        var source = Address(header[2], 0, 0);
        var sourcePorts = Ports(header[3], 0);
        var destination = Address(header[5], 0, 0);
        var destinationPorts = Ports(header[6], 0);

        long? sid = null;
        var rev = 1;
        var message = string.Empty;
        string? classType = null;
        int? priority = null;
        var flow = FlowFlags.None;
        var references = new List<string>();
        var contents = new List<ContentMatch>();
        var pcres = new List<PcreMatch>();
        foreach (var (name, value) in SplitOptions(text[(open + 1)..close]))
        {
            var last = contents.Count > 0 ? contents[^1] : null;
            switch (name)
            {
                case "msg":
                    message = Unquote(value, name, Unescape.All);
                    break;
                case "sid":
                    sid = PositiveLong(value, name);
                    break;
                case "rev":
                    rev = (int)Math.Min(PositiveLong(value, name), int.MaxValue);
                    break;
                case "gid":
                case "metadata":
                case "rawbytes":
                    break;
                case "classtype":
                    if (!s_classPriorities.ContainsKey(Required(value, name)))
                    {
                        throw new RuleSyntaxException($"unknown classtype '{value}'");
                    }

                    classType = value;
                    break;
                case "priority":
                    var p = PositiveLong(value, name);
                    priority = p is >= 1 and <= 255 ? (int)p : throw new RuleSyntaxException($"priority must be between 1 and 255; got {value}");
                    break;
                case "reference":
                    references.Add(Required(value, name));
                    break;
                case "flow":
                    flow = Flow(Required(value, name));
                    break;
                case "content":
                    contents.Add(Content(Required(value, name)));
                    break;
                case "nocase":
                    Need(last, name).NoCase = true;
                    break;
                case "fast_pattern":
                    Need(last, name).FastPattern = true;
                    break;
                case "offset":
                    Absolute(Need(last, name), name).Offset = NonNegative(value, name);
                    break;
                case "depth":
                    var depthOf = Absolute(Need(last, name), name);
                    depthOf.Depth = NonNegative(value, name);
                    if (depthOf.Depth < depthOf.Pattern.Length)
                    {
                        throw new RuleSyntaxException($"depth {depthOf.Depth} is shorter than its content ({depthOf.Pattern.Length} bytes)");
                    }

                    break;
                case "distance":
                    Relative(Need(last, name), name).Distance = Integer(value, name);
                    break;
                case "within":
                    var withinOf = Relative(Need(last, name), name);
                    withinOf.Within = NonNegative(value, name);
                    if (withinOf.Within < withinOf.Pattern.Length)
                    {
                        throw new RuleSyntaxException($"within {withinOf.Within} is shorter than its content ({withinOf.Pattern.Length} bytes)");
                    }

                    break;
                case "pcre":
                    pcres.Add(Pcre(Required(value, name)));
                    break;
                default:
                    throw new RuleSyntaxException($"unsupported option '{name}' (see docs/capture.md for the supported subset)");
            }
        }

        if (sid is null)
        {
            throw new RuleSyntaxException("the rule has no sid");
        }

        var positives = contents.Where(c => !c.Negated).ToList();
        var fast = positives.FirstOrDefault(c => c.FastPattern) ?? FastPatternRarity.Rarest(positives);
        return new Rule
        {
            Sid = sid.Value,
            Rev = rev,
            Message = message,
            ClassType = classType,
            Priority = priority ?? (classType is null ? 3 : s_classPriorities[classType]),
            Action = action,
            Protocol = protocol,
            References = references,
            File = file,
            Line = line,
            Text = text,
            Source = source,
            Destination = destination,
            SourcePorts = sourcePorts,
            DestinationPorts = destinationPorts,
            Bidirectional = bidirectional,
            Contents = [.. contents],
            Pcres = [.. pcres],
            Flow = flow,
            FastPattern = fast,
        };
    }

    private static List<string> SplitHeader(string header)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var depth = 0;
        foreach (var c in header)
        {
            if (c == '[')
            {
                depth++;
            }
            else if (c == ']')
            {
                depth--;
            }

            if (char.IsWhiteSpace(c) && depth <= 0)
            {
                if (current.Length > 0)
                {
                    fields.Add(current.ToString());
                    current.Clear();
                }
            }
            else if (!char.IsWhiteSpace(c))
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            fields.Add(current.ToString());
        }

        return fields;
    }

    private static List<(string Name, string Value)> SplitOptions(string options)
    {
        var result = new List<(string, string)>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < options.Length; i++)
        {
            var c = options[i];
            if (c == '\\' && i + 1 < options.Length)
            {
                current.Append(c).Append(options[++i]);
                continue;
            }

            if (c == '"')
            {
                quoted = !quoted;
            }

            if (c == ';' && !quoted)
            {
                Add(current.ToString());
                current.Clear();
                continue;
            }

            current.Append(c);
        }

        if (quoted)
        {
            throw new RuleSyntaxException("a quoted option value is not closed");
        }

        if (current.ToString().Trim().Length > 0)
        {
            throw new RuleSyntaxException($"option '{current.ToString().Trim()}' is not terminated by ';'");
        }

        return result;

        void Add(string option)
        {
            option = option.Trim();
            if (option.Length == 0)
            {
                return;
            }

            var colon = option.IndexOf(':', StringComparison.Ordinal);
            var quote = option.IndexOf('"', StringComparison.Ordinal);
            if (colon < 0 || (quote >= 0 && quote < colon))
            {
                result.Add((option, string.Empty));
            }
            else
            {
                result.Add((option[..colon].Trim(), option[(colon + 1)..].Trim()));
            }
        }
    }

    private AddressMatcher Address(string text, int depth, int nesting)
    {
        if (nesting > MaxNesting)
        {
            throw new RuleBoundsException($"address nesting of '[' and '!' deeper than {MaxNesting} levels");
        }

        if (depth > MaxVariableDepth)
        {
            throw new RuleSyntaxException("address variables refer to each other too deeply (a cycle?)");
        }

        text = text.Trim();
        if (text.Length == 0)
        {
            throw new RuleSyntaxException("an empty address");
        }

        if (text[0] == '!')
        {
            var inner = Address(text[1..], depth, nesting + 1);
            return inner is AnyAddress ? throw new RuleSyntaxException("'!any' matches nothing") : new NotAddress(inner);
        }

        if (text == "any")
        {
            return AnyAddress.Instance;
        }

        if (text[0] == '$')
        {
            var name = text[1..];
            if (name == "HOME_NET")
            {
                return new ScopeAddress(variables.Scope);
            }

            return variables.TryGetAddress(name, out var value)
                ? Address(value, depth + 1, nesting)
                : throw new RuleSyntaxException($"unknown address variable '${name}'");
        }

        if (text[0] == '[')
        {
            if (text[^1] != ']')
            {
                throw new RuleSyntaxException($"address list '{text}' is not closed by ']'");
            }

            var positives = new List<AddressMatcher>();
            var negatives = new List<AddressMatcher>();
            foreach (var item in SplitList(text[1..^1]))
            {
                var trimmed = item.Trim();
                if (trimmed.StartsWith('!'))
                {
                    negatives.Add(Address(trimmed[1..], depth, nesting + 2));
                }
                else
                {
                    positives.Add(Address(trimmed, depth, nesting + 1));
                }
            }

            return new ListAddress([.. positives], [.. negatives]);
        }

        return IPPrefix.TryParse(text, out var prefix, out var error)
            ? new PrefixAddress(prefix)
            : throw new RuleSyntaxException($"bad address: {error}");
    }

    private PortMatcher Ports(string text, int depth)
    {
        var positives = new List<(int, int)>();
        var negatives = new List<(int, int)>();
        if (text.Trim() == "any")
        {
            return PortMatcher.Any;
        }

        Collect(text, false, depth, 0);
        return new PortMatcher([.. positives], [.. negatives]);

        void Collect(string item, bool negated, int level, int nesting)
        {
            if (nesting > MaxNesting)
            {
                throw new RuleBoundsException($"port nesting of '[' and '!' deeper than {MaxNesting} levels");
            }

            if (level > MaxVariableDepth)
            {
                throw new RuleSyntaxException("port variables refer to each other too deeply (a cycle?)");
            }

            item = item.Trim();
            if (item.Length == 0)
            {
                throw new RuleSyntaxException("an empty port");
            }

            if (item[0] == '!')
            {
                Collect(item[1..], !negated, level, nesting + 1);
                return;
            }

            if (item == "any")
            {
                if (negated)
                {
                    throw new RuleSyntaxException("'!any' matches no port");
                }

                (negated ? negatives : positives).Add((0, 65535));
                return;
            }

            if (item[0] == '$')
            {
                if (!variables.TryGetPort(item[1..], out var value))
                {
                    throw new RuleSyntaxException($"unknown port variable '{item}'");
                }

                Collect(value, negated, level + 1, nesting);
                return;
            }

            if (item[0] == '[')
            {
                if (item[^1] != ']')
                {
                    throw new RuleSyntaxException($"port list '{item}' is not closed by ']'");
                }

                // ![a,b] excludes a and b: each item is collected with the list's negation.
                foreach (var part in SplitList(item[1..^1]))
                {
                    Collect(part, negated, level, nesting + 1);
                }

                return;
            }

            var colon = item.IndexOf(':', StringComparison.Ordinal);
            var low = colon < 0 ? Port(item) : colon == 0 ? 0 : Port(item[..colon]);
            var high = colon < 0 ? low : colon == item.Length - 1 ? 65535 : Port(item[(colon + 1)..]);
            if (low > high)
            {
                throw new RuleSyntaxException($"port range '{item}' is empty");
            }

            (negated ? negatives : positives).Add((low, high));
        }

        static int Port(string value) =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
                ? port
                : throw new RuleSyntaxException($"'{value}' is not a port (0-65535)");
    }

    private static List<string> SplitList(string text)
    {
        var items = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '[')
            {
                depth++;
            }
            else if (text[i] == ']')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                items.Add(text[start..i]);
                start = i + 1;
            }
        }

        items.Add(text[start..]);
        return items;
    }

    private static ContentMatch Content(string value)
    {
        var negated = value.StartsWith('!');
        var text = Unquote(negated ? value[1..].Trim() : value, "content", Unescape.None);
        var bytes = new List<byte>();
        var hex = false;
        var digits = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '|')
            {
                if (hex && digits.Length > 0)
                {
                    throw new RuleSyntaxException("content hex block has an odd number of digits");
                }

                hex = !hex;
                continue;
            }

            if (hex)
            {
                if (char.IsWhiteSpace(c))
                {
                    continue;
                }

                if (!char.IsAsciiHexDigit(c))
                {
                    throw new RuleSyntaxException($"'{c}' in a content hex block is not a hex digit");
                }

                digits.Append(c);
                if (digits.Length == 2)
                {
                    bytes.Add(byte.Parse(digits.ToString(), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    digits.Clear();
                }

                continue;
            }

            if (c == '\\' && i + 1 < text.Length)
            {
                c = text[++i];
            }

            bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }

        if (hex)
        {
            throw new RuleSyntaxException("content hex block is not closed by '|'");
        }

        if (bytes.Count == 0)
        {
            throw new RuleSyntaxException("content is empty");
        }

        return new ContentMatch { Pattern = [.. bytes], Negated = negated };
    }

    private PcreMatch Pcre(string value)
    {
        var negated = value.StartsWith('!');
        var text = Unquote(negated ? value[1..].Trim() : value, "pcre", Unescape.QuoteAndSemicolon);
        var end = text.LastIndexOf('/');
        if (text.Length < 2 || text[0] != '/' || end <= 0)
        {
            throw new RuleSyntaxException("pcre must look like \"/pattern/flags\"");
        }

        var options = RegexOptions.CultureInvariant;
        foreach (var flag in text[(end + 1)..])
        {
            options |= flag switch
            {
                'i' => RegexOptions.IgnoreCase,
                's' => RegexOptions.Singleline,
                'm' => RegexOptions.Multiline,
                'x' => RegexOptions.IgnorePatternWhitespace,
                _ => throw new RuleSyntaxException($"pcre flag '{flag}' is not supported; supported: i s m x"),
            };
        }

        try
        {
            return new PcreMatch(new Regex(text[1..end], options, pcreTimeout), negated);
        }
        catch (ArgumentException ex)
        {
            throw new RuleSyntaxException($"pcre does not compile as a .NET regex: {ex.Message}");
        }
    }

    private static FlowFlags Flow(string value)
    {
        var flags = FlowFlags.None;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            flags |= part switch
            {
                "to_server" or "from_client" => FlowFlags.ToServer,
                "to_client" or "from_server" => FlowFlags.ToClient,
                "established" => FlowFlags.Established,
                "not_established" => FlowFlags.NotEstablished,
                "stateless" => FlowFlags.None,
                _ => throw new RuleSyntaxException($"flow '{part}' is not supported; supported: to_server, to_client, from_server, from_client, established, not_established, stateless"),
            };
        }

        if ((flags & FlowFlags.ToServer) != 0 && (flags & FlowFlags.ToClient) != 0)
        {
            throw new RuleSyntaxException("flow cannot be both to_server and to_client");
        }

        return flags;
    }

    private static ContentMatch Need(ContentMatch? last, string name) =>
        last ?? throw new RuleSyntaxException($"'{name}' must follow a content");

    private static ContentMatch Absolute(ContentMatch content, string name)
    {
        if (content.IsRelative)
        {
            throw new RuleSyntaxException($"'{name}' cannot be combined with distance/within on one content");
        }

        content.HasOffsetOrDepth = true;
        return content;
    }

    private static ContentMatch Relative(ContentMatch content, string name)
    {
        if (content.HasOffsetOrDepth)
        {
            throw new RuleSyntaxException($"'{name}' cannot be combined with offset/depth on one content");
        }

        content.IsRelative = true;
        return content;
    }

    private static string Required(string value, string name) =>
        value.Length > 0 ? value : throw new RuleSyntaxException($"'{name}' needs a value");

    private static string Unquote(string value, string name, Unescape unescape)
    {
        value = value.Trim();
        if (value.Length < 2 || value[0] != '"' || value[^1] != '"')
        {
            throw new RuleSyntaxException($"'{name}' needs a quoted value");
        }

        var inner = value[1..^1];
        if (unescape == Unescape.None)
        {
            return inner;
        }

        inner = inner.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\;", ";", StringComparison.Ordinal);
        return unescape == Unescape.All ? inner.Replace("\\\\", "\\", StringComparison.Ordinal) : inner;
    }

    private enum Unescape
    {
        None,
        QuoteAndSemicolon,
        All,
    }

    private static long PositiveLong(string value, string name) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new RuleSyntaxException($"'{name}' must be a positive integer; got '{value}'");

    private static int NonNegative(string value, string name) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 65535
            ? n
            : throw new RuleSyntaxException($"'{name}' must be an integer from 0 to 65535; got '{value}'");

    private static int Integer(string value, string name) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n is >= -65535 and <= 65535
            ? n
            : throw new RuleSyntaxException($"'{name}' must be an integer from -65535 to 65535; got '{value}'");
}

/// <summary>A rule the parser rejects; caught inside the parser and turned into a <see cref="RuleError"/>.</summary>
internal sealed class RuleSyntaxException(string message) : Exception(message);

/// <summary>A rule beyond the parser's bounds: the whole file is refused, not just the rule.</summary>
internal sealed class RuleBoundsException(string message) : Exception(message);
