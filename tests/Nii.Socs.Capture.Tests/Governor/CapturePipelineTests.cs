using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Tests.Governor;

public class CapturePipelineTests
{
    [Fact]
    [Trait("Requirement", "R5.1")]
    [Trait("Requirement", "R4.3")]
    public async Task The_demo_capture_gives_the_demo_detections_and_drops_out_of_scope_traffic()
    {
        var root = TempDirectory.RepositoryRoot();
        var scope = ScopeIndex.Create(ScopeFile.Parse(File.ReadAllText(Path.Combine(root, "samples", "prefixes.txt")), out _));
        var rules = RuleSet.Load(Path.Combine(root, "samples", "rules", "demo.rules"), RuleVariables.ForScope(scope));
        var pipeline = new CapturePipeline(scope, rules, new LoadGovernorOptions { QueueCapacity = 4 }, new FakeTimeProvider());
        var detections = new List<CaptureDetection>();
        using var reader = CaptureReader.OpenFile(Path.Combine(root, "samples", "captures", "demo.pcap"));
        var summary = await pipeline.RunAsync(reader, detections.Add);

        Assert.Equal((22L, 21L, 1L, 1L), (summary.FramesRead, summary.InScope, summary.OutOfScope, summary.Malformed));
        Assert.Equal(
            new Dictionary<long, long> { [1000001] = 2, [1000002] = 1, [1000003] = 1, [1000004] = 1, [1000005] = 4, [1000006] = 3 },
            summary.DetectionsBySid);
        Assert.Equal("kyoto-u", detections.Single(d => d.Rule.Sid == 1000003).Participants.Single().Value);
        Assert.All(detections, d =>
        {
            Assert.Equal(DetectionSource.Packet, d.Source);
            Assert.Equal(d.Header.CapturedLength, d.Header.HeaderBytes.Length + d.Content.Length);
        });
        Assert.DoesNotContain(detections, d => d.Header.Source.ToString() == "203.0.113.1");
        Assert.Empty(summary.Exclusions);
        Assert.Equal(TimeSpan.Zero, summary.Elapsed);
    }

    [Fact]
    [Trait("Requirement", "R5.2")]
    public async Task With_a_slow_detector_and_drop_mode_the_queue_stays_bounded_and_drops_are_counted()
    {
        var root = TempDirectory.RepositoryRoot();
        var scope = ScopeIndex.Create(ScopeFile.Parse(File.ReadAllText(Path.Combine(root, "samples", "prefixes.txt")), out _));
        var rules = RuleSet.Parse("alert ip any any -> any any (sid:1;)", "all.rules", RuleVariables.ForScope(scope));
        var pipeline = new CapturePipeline(scope, rules, new LoadGovernorOptions { QueueCapacity = 2, DropWhenFull = true }, new FakeTimeProvider());
        using var gate = new ManualResetEventSlim(false);
        var seen = 0;
        using var reader = CaptureReader.OpenFile(Path.Combine(root, "samples", "captures", "demo.pcap"));
        var run = pipeline.RunAsync(reader, _ =>
        {
            // The first detection blocks the detector until the reader has finished: the queue fills.
            if (Interlocked.Increment(ref seen) == 1)
            {
                gate.Wait(TimeSpan.FromSeconds(10));
            }
        }, shed: true, CancellationToken.None);
        var summary = await WaitForReaderThenRelease(run, gate);
        Assert.True(summary.DroppedQueueFull > 0);
        Assert.True(summary.Detections < summary.InScope);
        Assert.Equal(summary.InScope, summary.Detections + summary.DroppedQueueFull + summary.Excluded);
    }

    [Fact]
    [Trait("Requirement", "R5.2")]
    public async Task A_stalled_detector_makes_the_governor_exclude_the_busiest_prefix_and_record_it()
    {
        var root = TempDirectory.RepositoryRoot();
        var scope = ScopeIndex.Create(ScopeFile.Parse(File.ReadAllText(Path.Combine(root, "samples", "prefixes.txt")), out _));
        var rules = RuleSet.Parse("alert ip any any -> any any (sid:1;)", "all.rules", RuleVariables.ForScope(scope));

        // Every reading of the clock advances it by a second, so "high for one second" happens on the next frame.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };
        var options = new LoadGovernorOptions { QueueCapacity = 2, HighWaterMark = 0.5, LowWaterMark = 0.0, Sustain = TimeSpan.FromSeconds(1) };
        var pipeline = new CapturePipeline(scope, rules, options, time);
        using var gate = new ManualResetEventSlim(false);
        var seen = 0;
        using var reader = CaptureReader.OpenFile(Path.Combine(root, "samples", "captures", "demo.pcap"));
        var summary = await pipeline.RunAsync(reader, _ =>
        {
            // The first detection stalls the detector (bounded): the reader fills the queue meanwhile.
            if (Interlocked.Increment(ref seen) == 1)
            {
                gate.Wait(TimeSpan.FromSeconds(3));
            }
        }, shed: true, CancellationToken.None);

        var first = summary.Exclusions[0];
        Assert.Equal(("u-tokyo", "192.0.2.0/24"), (first.Participant.Value, first.Prefixes.Single().ToString()));
        Assert.All(summary.Exclusions, e => Assert.True(e.To >= e.From));
        Assert.Contains("busiest prefix excluded", first.Reason, StringComparison.Ordinal);
        Assert.True(summary.Excluded > 0);
        Assert.Equal(summary.InScope, summary.Detections + summary.Excluded);
    }

    [Fact]
    [Trait("Requirement", "R5.2")]
    public async Task A_file_is_never_shed_a_stalled_detector_makes_the_reader_wait_and_every_in_scope_frame_is_examined()
    {
        var root = TempDirectory.RepositoryRoot();
        var scope = ScopeIndex.Create(ScopeFile.Parse(File.ReadAllText(Path.Combine(root, "samples", "prefixes.txt")), out _));
        var rules = RuleSet.Parse("alert ip any any -> any any (sid:1;)", "all.rules", RuleVariables.ForScope(scope));

        // The same settings and clock that make the governor exclude a prefix for a live reader, with drop mode on.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };
        var options = new LoadGovernorOptions { QueueCapacity = 2, HighWaterMark = 0.5, LowWaterMark = 0.0, Sustain = TimeSpan.FromSeconds(1), DropWhenFull = true };
        var pipeline = new CapturePipeline(scope, rules, options, time);
        var seen = 0;
        using var reader = CaptureReader.OpenFile(Path.Combine(root, "samples", "captures", "demo.pcap"));
        Assert.False(reader.IsLive);
        var summary = await pipeline.RunAsync(reader, _ =>
        {
            // Every tenth detection stalls the detector: the queue is full for many (fake) seconds.
            if (Interlocked.Increment(ref seen) % 10 == 1)
            {
                Task.Delay(20).Wait();
            }
        });

        Assert.Empty(summary.Exclusions);
        Assert.Equal(0, summary.Excluded);
        Assert.Equal(0, summary.DroppedQueueFull);
        Assert.True(summary.InScope > 0);
        Assert.Equal(summary.InScope, summary.Detections);
    }

    private static async Task<CaptureSummary> WaitForReaderThenRelease(Task<CaptureSummary> run, ManualResetEventSlim gate)
    {
        // The reader finishes on its own (it drops rather than waits); give it a bounded chance, then release.
        await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(2)));
        gate.Set();
        return await run;
    }
}
