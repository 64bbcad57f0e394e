namespace Nii.Socs.Benchmarks.Capture;

internal static partial class CaptureBench
{
    public static partial int Run(string[] args) => 0;
}
