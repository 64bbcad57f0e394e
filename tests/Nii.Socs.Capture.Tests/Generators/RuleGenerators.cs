using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Nii.Socs.Capture.Tests.Generators;

/// <summary>Random rules over a small alphabet (so patterns hit often) and payloads over the same alphabet.</summary>
public static class RuleGenerators
{
    private const string Alphabet = "abcAB";

    public static Gen<string> Pattern() =>
        from length in Gen.Choose(1, 3)
        from chars in Gen.ArrayOf(Gen.Elements(Alphabet.ToCharArray()), length)
        select new string(chars);

    /// <summary>Words of HTTP-like traffic: common protocol tokens next to rarer ones, so fast-pattern choice matters.</summary>
    private static readonly string[] Vocabulary = ["GET ", "HTTP/1.1", "Host: ", "a", "ab", "ABC", "cmd=", "/x.php", "id", "zz", "Q"];

    public static Gen<string> Content(bool first) => Content(first, Pattern());

    public static Gen<string> Content(bool first, Gen<string> patterns) =>
        from pattern in patterns
        from negated in Gen.Frequency((6, Gen.Constant(false)), (1, Gen.Constant(true)))
        from nocase in Gen.Elements(false, true)
        from kind in Gen.Choose(0, first ? 1 : 2)
        from offset in Gen.Choose(0, 6)
        from depthExtra in Gen.Choose(0, 8)
        from useDepth in Gen.Elements(false, true)
        from distance in Gen.Choose(-3, 5)
        from withinExtra in Gen.Choose(0, 6)
        from useWithin in Gen.Elements(false, true)
        select Build(pattern, negated, nocase, kind, offset, useDepth ? pattern.Length + depthExtra : -1, distance, useWithin ? pattern.Length + withinExtra : -1);

    public static Gen<string> Rule() => Rule(Pattern());

    /// <summary>Rules whose contents come from HTTP-like words (common tokens such as <c>HTTP/1.1</c> among them).</summary>
    public static Gen<string> HttpRule() => Rule(Gen.Elements(Vocabulary));

    /// <summary>Payloads made of the same HTTP-like words, with a few other bytes.</summary>
    public static Gen<byte[]> HttpPayload() =>
        from count in Gen.Choose(0, 14)
        from words in Gen.ArrayOf(Gen.Elements([.. Vocabulary, " ", "x", "\r\n"]), count)
        select Encoding.ASCII.GetBytes(string.Concat(words));

    /// <summary><paramref name="count"/> rules with sids 1…count.</summary>
    public static Gen<string[]> Rules(Gen<string> rule, int count) =>
        from rules in Gen.ArrayOf(rule, count)
        select rules.Select((r, i) => r.Replace("sid:SID;", $"sid:{i + 1};", StringComparison.Ordinal)).ToArray();

    private static Gen<string> Rule(Gen<string> patterns) =>
        from count in Gen.Choose(0, 3)
        from first in Content(true, patterns)
        from rest in Gen.ArrayOf(Content(false, patterns), Math.Max(0, count - 1))
        let contents = count == 0 ? [] : new[] { first }.Concat(rest).ToArray()
        from pcre in Gen.Frequency((5, Gen.Constant(string.Empty)), (1, Gen.Elements(" pcre:\"/a[bc]/i\";", " pcre:!\"/bb/\";", " pcre:\"/^a/\";")))
        from ports in Gen.Elements("any any", "any [80,8080]", "any !80", "1024: any")
        from flow in Gen.Elements(string.Empty, " flow:to_server;", " flow:to_client;", " flow:established;")
        select $"alert tcp any {ports.Split(' ')[0]} -> any {ports.Split(' ')[1]} (msg:\"r\";{string.Concat(contents)}{pcre}{flow} sid:SID;)";

    public static Gen<string[]> Rules() =>
        from count in Gen.Choose(1, 30)
        from rules in Gen.ArrayOf(Rule(), count)
        select rules.Select((r, i) => r.Replace("sid:SID;", $"sid:{i + 1};", StringComparison.Ordinal)).ToArray();

    public static Gen<byte[]> Payload() =>
        from length in Gen.Choose(0, 40)
        from chars in Gen.ArrayOf(Gen.Elements("abcABx".ToCharArray()), length)
        select Encoding.ASCII.GetBytes(chars);

    private static string Build(string pattern, bool negated, bool nocase, int kind, int offset, int depth, int distance, int within)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $" content:{(negated ? "!" : string.Empty)}\"{pattern}\";");
        if (nocase)
        {
            text.Append(" nocase;");
        }

        if (kind == 1)
        {
            text.Append(CultureInfo.InvariantCulture, $" offset:{offset};");
            if (depth >= 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" depth:{depth};");
            }
        }
        else if (kind == 2)
        {
            text.Append(CultureInfo.InvariantCulture, $" distance:{distance};");
            if (within >= 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" within:{within};");
            }
        }

        return text.ToString();
    }
}
