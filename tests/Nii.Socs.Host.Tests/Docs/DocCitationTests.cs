using System.Text.RegularExpressions;

namespace Nii.Socs.Host.Tests.Docs;

/// <summary>
/// Every test the docs cite as proof exists: a claim names its test (`Class.Method_with_underscores`, or a prefix
/// `Class.R8_4_*`, or a class `SomethingTests`), and a renamed or deleted test fails here instead of leaving the
/// claim unproven. All of docs/ and the READMEs are checked alike.
/// </summary>
public partial class DocCitationTests
{
    private static readonly string s_root = FindRoot();

    [Fact]
    public void Every_test_a_doc_cites_exists_in_the_tests()
    {
        var index = TestIndex.Scan(Path.Combine(s_root, "tests"));
        var problems = DocFiles()
            .SelectMany(file => Check(Path.GetRelativePath(s_root, file), File.ReadAllText(file), index))
            .ToList();

        Assert.True(index.Methods.Count > 300, $"only {index.Methods.Count} test methods found: the scanner is broken");
        Assert.Empty(problems);
    }

    [Fact]
    public void The_citation_check_names_a_missing_test_a_missing_class_and_a_missing_path_and_accepts_real_ones()
    {
        var index = TestIndex.Scan(Path.Combine(s_root, "tests"));
        const string doc = """
            Proven by `DocCitationTests.Every_test_a_doc_cites_exists_in_the_tests` and `RegulationMapTests`,
            by prefix `DocCitationTests.The_citation_check_*`, in `tests/Nii.Socs.Host.Tests/Docs/DocCitationTests.cs`.
            Not by `DocCitationTests.A_test_nobody_wrote`, `NoSuchThingTests`, `tests/Nii.Socs.Host.Tests/Docs/Nope.cs`,
            nor `*CitationTests.Nothing_starts_like_this_*`. Code names like `RetentionPolicy.Default` are not citations.
            """;

        var problems = Check("doc.md", doc, index).ToList();

        Assert.Equal(
            [
                "doc.md: no test `DocCitationTests.A_test_nobody_wrote`",
                "doc.md: no test `*CitationTests.Nothing_starts_like_this_*`",
                "doc.md: no test class `NoSuchThingTests`",
                "doc.md: no file `tests/Nii.Socs.Host.Tests/Docs/Nope.cs`",
            ],
            problems);
    }

    private static IEnumerable<string> DocFiles() =>
        Directory.EnumerateFiles(Path.Combine(s_root, "docs"), "*.md", SearchOption.AllDirectories)
            .Append(Path.Combine(s_root, "README.md"))
            .Concat(Directory.EnumerateFiles(Path.Combine(s_root, "src"), "README.md", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal);

    private static IEnumerable<string> Check(string name, string text, TestIndex index)
    {
        var spans = Code().Matches(text).Select(m => m.Groups[1].Value).ToList();
        foreach (var span in spans)
        {
            foreach (Match citation in Citation().Matches(span))
            {
                var anyClass = citation.Groups["any"].Success;
                var prefix = citation.Groups["prefix"].Success;
                var type = citation.Groups["type"].Value;
                var method = citation.Groups["method"].Value;
                var found = index.Methods.Any(m =>
                    (anyClass ? m.Class.EndsWith(type, StringComparison.Ordinal) : m.Class == type)
                    && (prefix ? m.Method.StartsWith(method, StringComparison.Ordinal) : m.Method == method));
                if (!found)
                {
                    yield return $"{name}: no test `{citation.Value}`";
                }
            }
        }

        foreach (var span in spans.Where(s => ClassOnly().IsMatch(s) && !index.Classes.Contains(s)))
        {
            yield return $"{name}: no test class `{span}`";
        }

        foreach (var span in spans.Where(s => TestPath().IsMatch(s)))
        {
            // tests/…/Class.Method_name: the file Class.cs; generated output (TestResults) is not in the tree.
            var path = Citation().IsMatch(Path.GetFileName(span))
                ? Path.Combine(Path.GetDirectoryName(span)!, Path.GetFileName(span).Split('.')[0] + ".cs")
                : span;
            if (!span.Contains("TestResults", StringComparison.Ordinal)
                && !File.Exists(Path.Combine(s_root, path)) && !Directory.Exists(Path.Combine(s_root, path)))
            {
                yield return $"{name}: no file `{span}`";
            }
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Nii.Socs.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Nii.Socs.sln not found above the test directory.");
    }

    /// <summary>The test methods of the source tree: a method after a [Fact], [Theory] or [Property] attribute.</summary>
    private sealed record TestIndex(IReadOnlyList<(string Class, string Method)> Methods, IReadOnlySet<string> Classes)
    {
        public static TestIndex Scan(string tests)
        {
            var methods = new List<(string, string)>();
            var classes = new HashSet<string>(StringComparer.Ordinal);
            var separator = Path.DirectorySeparatorChar;
            foreach (var file in Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{separator}obj{separator}", StringComparison.Ordinal)
                    && !f.Contains($"{separator}bin{separator}", StringComparison.Ordinal)))
            {
                var lines = File.ReadAllLines(file);
                var declared = ClassDeclaration().Matches(string.Join('\n', lines)).Select(m => m.Groups[1].Value).ToList();
                classes.UnionWith(declared);
                for (var i = 0; i < lines.Length; i++)
                {
                    if (!TestAttribute().IsMatch(lines[i]))
                    {
                        continue;
                    }

                    var method = lines.Skip(i + 1).Take(80).Select(l => MethodDeclaration().Match(l)).FirstOrDefault(m => m.Success);
                    if (method is not null)
                    {
                        // The file's classes: a test in a file with nested helper classes belongs to one of them.
                        methods.AddRange(declared.Select(c => (c, method.Groups[1].Value)));
                    }
                }
            }

            return new TestIndex(methods, classes);
        }
    }

    [GeneratedRegex(@"`([^`\n]+)`")]
    private static partial Regex Code();

    [GeneratedRegex(@"(?<any>[*…])?(?<type>[A-Z]\w*)\.(?<method>\w*_\w*)(?<prefix>[*…])?")]
    private static partial Regex Citation();

    [GeneratedRegex(@"^[A-Z]\w*(Tests|Properties)$")]
    private static partial Regex ClassOnly();

    [GeneratedRegex(@"^tests/[\w./-]+$")]
    private static partial Regex TestPath();

    [GeneratedRegex(@"\bclass\s+(\w+)")]
    private static partial Regex ClassDeclaration();

    [GeneratedRegex(@"^\s*\[(Fact|Theory|Property|SkippableFact|SkippableTheory)\b")]
    private static partial Regex TestAttribute();

    [GeneratedRegex(@"^\s*(?:public|internal)\s[^=;]*?(\w+)\s*(?:<[^>]*>)?\s*\(")]
    private static partial Regex MethodDeclaration();
}
