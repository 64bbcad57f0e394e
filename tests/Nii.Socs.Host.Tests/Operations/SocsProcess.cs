using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Nii.Socs.Host.Tests.Operations;

/// <summary>The real <c>socs</c> executable in its own process (the one in the test's output folder), for what only a
/// second process shows: the data directory's lock, the admin channel, signals.</summary>
internal sealed class SocsProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _out = new();
    private readonly ConcurrentQueue<string> _err = new();

    private SocsProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _out.Enqueue(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _err.Enqueue(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Out => string.Join('\n', _out);

    public string Error => string.Join('\n', _err);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static SocsProcess Start(string workingDirectory, params string[] args) => Start(new Dictionary<string, string>(), workingDirectory, args);

    public static SocsProcess Start(IReadOnlyDictionary<string, string> environment, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "socs.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new SocsProcess(Process.Start(start)!);
    }

    /// <summary>Runs <c>socs</c> to the end (at most a minute) and returns its exit code and output.</summary>
    public static (int Code, string Out, string Error) Run(string workingDirectory, params string[] args) => Run(new Dictionary<string, string>(), workingDirectory, args);

    public static (int Code, string Out, string Error) Run(IReadOnlyDictionary<string, string> environment, string workingDirectory, params string[] args)
    {
        using var p = Start(environment, workingDirectory, args);
        Assert.True(p._process.WaitForExit(60_000), "socs did not finish within a minute");
        p._process.WaitForExit();
        return (p.ExitCode, p.Out, p.Error);
    }

    /// <summary>Waits until a line of stdout contains <paramref name="text"/>; fails if the process exits first.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!_out.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            Assert.False(_process.HasExited, $"socs exited ({(_process.HasExited ? _process.ExitCode : 0)}) before printing '{text}': {Out}\n{Error}");
            Assert.True(watch.Elapsed < timeout, $"socs did not print '{text}' within {timeout}: {Out}\n{Error}");
            await Task.Delay(100);
        }
    }

    /// <summary>Sends a signal (TERM, INT) with kill(1) and returns how long the process took to exit (null: not within the limit).</summary>
    public TimeSpan? Signal(string signal, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        if (!_process.WaitForExit(limit))
        {
            return null;
        }

        _process.WaitForExit();
        return watch.Elapsed;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
