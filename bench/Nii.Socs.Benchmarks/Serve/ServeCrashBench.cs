using System.Globalization;
using Nii.Socs.Host.Tests.Pipeline;

namespace Nii.Socs.Benchmarks.Serve;

/// <summary>The crash test of <c>socs serve</c> at benchmark scale: 200 SIGKILLs at random points (the CI test runs 50).</summary>
/// <remarks>Runs the test's own loop (<c>tests/Nii.Socs.Host.Tests/Pipeline/ServeCrashLoop.cs</c>, linked into this project):
/// <c>dotnet run -c Release --project bench/Nii.Socs.Benchmarks -- serve-crash [--kills N]</c>. Exit code 0 when the store
/// and mail outbox equal those of one uninterrupted run, 1 with the first difference otherwise.</remarks>
internal static class ServeCrashBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var kills = args is ["--kills", var n] ? int.Parse(n, CultureInfo.InvariantCulture) : 200;
        var root = Directory.CreateTempSubdirectory("socs-servecrash-bench-").FullName;
        try
        {
            var report = await new ServeCrashLoop(root, kills, Console.WriteLine).RunAsync();
            Console.WriteLine(report);
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine("serve-crash FAILED: " + ex.Message);
            return 1;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
