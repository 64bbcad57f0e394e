using System.Diagnostics;
using System.Globalization;

namespace Nii.Socs.Benchmarks.Capture;

/// <summary>
/// Whole commands, timed from outside: each run goes through the peer's <c>run</c> mode (fork, exec, wait4), which
/// records wall time, user and system CPU and the peak RSS. Commands run in rounds, one after another, in an order
/// that rotates every round (so no command always follows the same one); one warm-up round is discarded.
/// </summary>
internal sealed class CommandBench(string peer, string directory)
{
    private readonly Dictionary<string, List<Sample>> _samples = [];
    private readonly List<(string Name, string[] Command)> _commands = [];

    public void Add(string name, params string[] command)
    {
        _commands.Add((name, command));
        _samples[name] = [];
    }

    public IReadOnlyList<Sample> this[string name] => _samples[name];

    public int Count => _commands.Count;

    public IEnumerable<string> Names => _commands.Select(c => c.Name);

    public void Run(int rounds)
    {
        foreach (var (name, command) in _commands)
        {
            Once(name, command); // warm-up: page cache, JIT of the tools, disk
        }

        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < _commands.Count; i++)
            {
                var (name, command) = _commands[(i + round) % _commands.Count];
                _samples[name].Add(Once(name, command));
            }

            Console.Error.Write($"\r  round {round + 1}/{rounds} done   ");
        }

        Console.Error.WriteLine();
    }

    public Sample Once(string name, string[] command)
    {
        var result = Path.Combine(directory, "run.result");
        var start = new ProcessStartInfo(peer) { UseShellExecute = false };
        start.ArgumentList.Add("run");
        start.ArgumentList.Add(result);
        foreach (var a in command)
        {
            start.ArgumentList.Add(a);
        }

        using (var process = Process.Start(start)!)
        {
            process.WaitForExit();
        }

        var fields = File.ReadAllText(result).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var sample = new Sample(
            double.Parse(fields[0], CultureInfo.InvariantCulture),
            double.Parse(fields[1], CultureInfo.InvariantCulture) + double.Parse(fields[2], CultureInfo.InvariantCulture),
            long.Parse(fields[3], CultureInfo.InvariantCulture),
            int.Parse(fields[4], CultureInfo.InvariantCulture));
        if (sample.Exit != 0)
        {
            throw new InvalidOperationException($"{name} exited with {sample.Exit}: {string.Join(' ', command)}");
        }

        return sample;
    }

    /// <summary>Median, minimum and maximum.</summary>
    public static (double Median, double Min, double Max) Stats(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        return (median, sorted[0], sorted[^1]);
    }

    public static string Format((double Median, double Min, double Max) s, string format) =>
        $"{s.Median.ToString(format, CultureInfo.InvariantCulture)} ({s.Min.ToString(format, CultureInfo.InvariantCulture)}–{s.Max.ToString(format, CultureInfo.InvariantCulture)})";

    internal readonly record struct Sample(double Wall, double Cpu, long PeakRssKib, int Exit);
}
