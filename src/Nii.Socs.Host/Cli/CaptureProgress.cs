using System.Globalization;

namespace Nii.Socs.Host.Cli;

/// <summary>Progress of reading a large capture (bytes, frames, rate) on stderr, when stderr is a terminal.</summary>
/// <remarks>
/// Shown only for files of at least <see cref="MinimumBytes"/> and only when stderr is the console and not redirected,
/// so scripts and tests that read stderr see nothing new. The line is rewritten in place (carriage return) twice a
/// second and finished with a newline.
/// </remarks>
internal sealed class CaptureProgress : IDisposable
{
    /// <summary>Files smaller than this read in well under a second: no progress for them.</summary>
    public const long MinimumBytes = 8L << 20;

    private readonly TextWriter _error;
    private readonly Func<long> _bytes;
    private readonly Func<long> _frames;
    private readonly long _total;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private bool _disposed;

    private CaptureProgress(TextWriter error, long total, Func<long> bytes, Func<long> frames, TimeProvider time)
    {
        _error = error;
        _total = total;
        _bytes = bytes;
        _frames = frames;
        _time = time;
        _started = time.GetTimestamp();
        _timer = time.CreateTimer(_ => Write(final: false), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
    }

    /// <summary>Starts showing progress when stderr is a terminal and the file is large; null otherwise.</summary>
    public static CaptureProgress? Start(CliContext context, long total, Func<long> bytes, Func<long> frames)
    {
        var terminal = ReferenceEquals(context.Error, Console.Error) && !Console.IsErrorRedirected;
        return terminal && total >= MinimumBytes ? new CaptureProgress(context.Error, total, bytes, frames, context.Time) : null;
    }

    /// <summary>One progress line: <c>412.3 MiB of 1.2 GiB (33 %), 1,234,567 frames, 98.1 MiB/s</c>.</summary>
    public static string Format(long bytes, long total, long frames, TimeSpan elapsed)
    {
        var seconds = elapsed.TotalSeconds;
        var rate = seconds > 0 ? bytes / seconds : 0;
        var percent = total > 0 ? Math.Min(100, bytes * 100 / total) : 100;
        return string.Create(CultureInfo.InvariantCulture, $"{Size(bytes)} of {Size(total)} ({percent} %), {frames:N0} frames, {Size((long)rate)}/s");
    }

    /// <summary>Writes the last line and stops.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        Write(final: true);
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };

    private void Write(bool final)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = final;
            var line = Format(Math.Min(_bytes(), _total), _total, _frames(), _time.GetElapsedTime(_started));
            _error.Write("\r" + line.PadRight(72) + (final ? "\n" : string.Empty));
            _error.Flush();
        }
    }
}
