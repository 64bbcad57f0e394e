using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Nii.Socs.Core.Tests.Docs;

/// <summary>Every <c>```csharp</c> block of <c>docs/**/*.md</c> and <c>src/*/README.md</c> compiles as a program against the
/// packages' public API (an assembly the packages give no internals to), and a block fenced <c>```csharp run</c> runs and
/// prints exactly the <c>```output</c> block that follows it. So the docs cannot drift from the API.</summary>
public partial class DocSnippetTests
{
    /// <summary>The usings every snippet gets, as a consumer's file would start.</summary>
    private const string Usings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net;
        global using System.Security.Cryptography;
        global using System.Text;
        global using System.Security.Cryptography.X509Certificates;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using Microsoft.Extensions.DependencyInjection;
        global using Nii.Socs.Core.Consent;
        global using Nii.Socs.Core.Detections;
        global using Nii.Socs.Core.Hosting;
        global using Nii.Socs.Core.Keys;
        global using Nii.Socs.Core.Participants;
        global using Nii.Socs.Core.Research;
        global using Nii.Socs.Core.Retention;
        global using Nii.Socs.Core.Scope;
        global using Nii.Socs.Core.Sealing;
        global using Nii.Socs.Core.Storage.Consent;
        global using Nii.Socs.Core.Time;
        global using Nii.Socs.Capture.Detection;
        global using Nii.Socs.Capture.Governor;
        global using Nii.Socs.Capture.Readers;
        """;

    private static readonly Lazy<MetadataReference[]> s_references = new(References);

    public static TheoryData<string> Snippets => [.. Find().Select(s => s.Name)];

    [Fact]
    public void The_docs_have_snippets_and_some_run()
    {
        var all = Find();
        Assert.True(all.Count >= 8, $"only {all.Count} snippets found");
        Assert.Contains(all, s => s.Run);
        Assert.All(all.Where(s => s.Run), s => Assert.NotNull(s.Output));
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public async Task Every_snippet_compiles_and_the_ones_that_print_print_what_the_doc_says(string name)
    {
        var snippet = Find().Single(s => s.Name == name);
        var compilation = CSharpCompilation.Create(
            "DocSnippet",
            [CSharpSyntaxTree.ParseText(Usings, path: "Usings.cs"), CSharpSyntaxTree.ParseText(snippet.Code, path: name)],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(emitted.Success, $"{name} does not compile:\n{string.Join('\n', errors)}\n---\n{snippet.Code}");
        if (!snippet.Run)
        {
            return;
        }

        var printed = await RunAsync(image.ToArray());
        Assert.Equal(Normalize(snippet.Output!), Normalize(printed));
    }

    private static async Task<string> RunAsync(byte[] image)
    {
        var context = new AssemblyLoadContext("doc-snippet", isCollectible: true);
        var previousOut = Console.Out;
        using var output = new StringWriter();
        try
        {
            Console.SetOut(output);
            var entry = context.LoadFromStream(new MemoryStream(image)).EntryPoint!;
            var result = entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
            if (result is Task task)
            {
                await task;
            }
        }
        finally
        {
            Console.SetOut(previousOut);
            context.Unload();
        }

        return output.ToString();
    }

    private static string Normalize(string text) => string.Join('\n', text.ReplaceLineEndings("\n").Trim().Split('\n').Select(l => l.TrimEnd()));

    private static MetadataReference[] References()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => !Path.GetFileNameWithoutExtension(p).EndsWith(".Tests", StringComparison.Ordinal))
            .GroupBy(Path.GetFileName)
            .Select(g => g.First());
        return [.. paths.Select(p => MetadataReference.CreateFromFile(p))];
    }

    private sealed record Snippet(string Name, string Code, bool Run, string? Output);

    private static List<Snippet> Find()
    {
        var root = RepositoryRoot();
        var files = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateDirectories(Path.Combine(root, "src")).Select(d => Path.Combine(d, "README.md")).Where(File.Exists))
            .Order(StringComparer.Ordinal);
        var snippets = new List<Snippet>();
        foreach (var file in files)
        {
            var text = File.ReadAllText(file).ReplaceLineEndings("\n");
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            var n = 0;
            foreach (Match m in Fence().Matches(text))
            {
                if (m.Groups["lang"].Value != "csharp")
                {
                    continue;
                }

                n++;
                var run = m.Groups["info"].Value.Trim() == "run";
                string? expected = null;
                if (run && Fence().Match(text, m.Index + m.Length) is { Success: true } next && next.Groups["lang"].Value == "output"
                    && string.IsNullOrWhiteSpace(text[(m.Index + m.Length)..next.Index]))
                {
                    expected = next.Groups["body"].Value;
                }

                snippets.Add(new Snippet($"{relative}#{n}", m.Groups["body"].Value, run, expected));
            }
        }

        return snippets;
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Nii.Socs.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("The repository root (Nii.Socs.sln) was not found.");
    }

    [GeneratedRegex(@"^```(?<lang>[a-z]+)(?<info>[^\n]*)\n(?<body>.*?)^```[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();
}
