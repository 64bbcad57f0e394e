// Dispatches by area: dotnet run -c Release --project bench/Nii.Socs.Benchmarks -- <area> [options]
var area = args.Length > 0 ? args[0] : string.Empty;
var rest = args.Length > 1 ? args[1..] : [];
switch (area)
{
    case "capture": return Nii.Socs.Benchmarks.Capture.CaptureBench.Run(rest);
    case "capture-sample": return Nii.Socs.Benchmarks.Capture.CaptureBench.WriteSample(rest);
    default:
        Console.Error.WriteLine("usage: Nii.Socs.Benchmarks <area> [options]; areas: capture, capture-sample");
        return 2;
}
