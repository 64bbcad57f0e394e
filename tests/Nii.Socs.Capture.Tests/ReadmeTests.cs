using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Tests;

public class ReadmeTests
{
    [Fact]
    public async Task The_package_readme_first_use_runs_as_written()
    {
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = TempDirectory.RepositoryRoot();
        try
        {
            var scope = ScopeIndex.Create(ScopeFile.Parse(File.ReadAllText("samples/prefixes.txt"), out _));
            var rules = RuleSet.Load("samples/rules/demo.rules", RuleVariables.ForScope(scope));
            var pipeline = new CapturePipeline(scope, rules, new LoadGovernorOptions(), TimeProvider.System);
            using var reader = CaptureReader.OpenFile("samples/captures/demo.pcap");
            var detections = new List<CaptureDetection>();
            var summary = await pipeline.RunAsync(reader, detections.Add);
            Assert.Equal((22L, 21L, 12L), (summary.FramesRead, summary.InScope, summary.Detections));
            Assert.Equal(12, detections.Count);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }
}
