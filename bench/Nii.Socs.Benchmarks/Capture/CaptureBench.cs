namespace Nii.Socs.Benchmarks.Capture;

/// <summary>Capture benchmarks (filled in below).</summary>
internal static partial class CaptureBench
{
    /// <summary>Writes samples/captures/demo.pcap with the project's own writer.</summary>
    public static int WriteSample(string[] args)
    {
        var path = args.Length > 0 ? args[0] : "samples/captures/demo.pcap";
        using var stream = File.Create(path);
        Nii.Socs.Capture.Readers.DemoCapture.Write(stream);
        Console.WriteLine($"wrote {path} ({stream.Length} bytes)");
        return 0;
    }

    public static partial int Run(string[] args);
}
