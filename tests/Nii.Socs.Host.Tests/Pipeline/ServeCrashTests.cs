using Xunit.Abstractions;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary>Complete, idempotent ingestion: the real service killed with SIGKILL at 50 random points stores and mails every record once.</summary>
public sealed class ServeCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-servecrash-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait("Requirement", "R4.4")]
    public async Task Serve_killed_at_50_random_points_ends_with_the_store_and_mail_of_one_uninterrupted_run()
    {
        var report = await new ServeCrashLoop(_root, kills: 50, output.WriteLine).RunAsync();
        output.WriteLine(report.ToString());
        Assert.InRange(report.Kills, 50, 100); // more only while no kill has met an unfinished ingestion
        Assert.True(report.Records > 1000, report.ToString());
        Assert.True(report.Reingested > 0, "no kill interrupted an ingestion: the test did not test anything: " + report);
    }
}
