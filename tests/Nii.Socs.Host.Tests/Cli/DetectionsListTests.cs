using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Nii.Socs.Host.Tests.Docs;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>docs/cli.md: <c>detections list</c> shows 50 by default, at most 10,000, and changes no file of the data
/// directory: neither its bytes nor its modification time.</summary>
public sealed class DetectionsListTests : IDisposable
{
    private static readonly ParticipantId s_tokyo = new("u-tokyo");
    private readonly string _data = Directory.CreateTempSubdirectory("socs-detections-list-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Detections_list_shows_50_by_default_refuses_a_limit_over_10000_and_changes_no_file()
    {
        var observed = Jst.At(new DateOnly(2026, 11, 2), new TimeOnly(10, 0));
        using (var store = DetectionStore.Open(_data, time: new FakeTimeProvider(observed.AddHours(1))))
        {
            await store.AppendAsync([.. Enumerable.Range(0, 60).Select(i => Record(observed.AddMinutes(i)))]);
        }

        var before = DirectoryListing.Of(_data, times: true);

        var list = Cli.Run("detections", "list", "--data", _data);
        var all = Cli.Run("detections", "list", "--data", _data, "--limit", "10000");
        var tooMany = Cli.Run("detections", "list", "--data", _data, "--limit", "10001");

        Assert.True(list.ExitCode == 0, list.Error);
        var lines = list.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(50, lines.Count(l => l.Contains("u-tokyo", StringComparison.Ordinal)));
        Assert.StartsWith("50 detection(s); more match", lines[^1], StringComparison.Ordinal);
        Assert.True(all.ExitCode == 0, all.Error);
        Assert.StartsWith("60 detection(s)", all.Out.TrimEnd('\n').Split('\n')[^1], StringComparison.Ordinal);
        Assert.Equal(2, tooMany.ExitCode);
        Assert.Single(tooMany.Error.TrimEnd('\n').Split('\n'));
        Assert.Equal(before, DirectoryListing.Of(_data, times: true));
    }

    private static DetectionRecord Record(DateTimeOffset observedAt) =>
        Inspection.InspectionFixture.Record(observedAt, EpochSchedule.WeeklyFromMondayJst.EpochOf(s_tokyo, observedAt).Index);
}
