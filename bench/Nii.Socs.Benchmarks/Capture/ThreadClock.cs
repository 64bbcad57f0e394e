using System.Runtime.InteropServices;

namespace Nii.Socs.Benchmarks.Capture;

/// <summary>The calling thread's CPU time (clock_gettime CLOCK_THREAD_CPUTIME_ID): on a shared, loaded machine it
/// counts only the work of the measured thread, not the time other processes held the core.</summary>
internal static partial class ThreadClock
{
    private const int ThreadCpuTime = 3;

    public static double Seconds()
    {
        return clock_gettime(ThreadCpuTime, out var t) == 0 ? t.Seconds + (t.Nanoseconds / 1e9) : throw new InvalidOperationException("clock_gettime failed");
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int clock_gettime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
