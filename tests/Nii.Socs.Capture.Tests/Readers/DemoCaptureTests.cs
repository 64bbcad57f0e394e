using Nii.Socs.Capture.Readers;

namespace Nii.Socs.Capture.Tests.Readers;

public class DemoCaptureTests
{
    [Fact]
    public void The_committed_demo_pcap_is_exactly_what_the_project_writer_makes()
    {
        using var stream = new MemoryStream();
        DemoCapture.Write(stream);
        var committed = File.ReadAllBytes(Path.Combine(TempDirectory.RepositoryRoot(), "samples", "captures", "demo.pcap"));
        Assert.True(committed.Length < 200 * 1024);
        Assert.Equal(stream.ToArray(), committed);
    }
}
