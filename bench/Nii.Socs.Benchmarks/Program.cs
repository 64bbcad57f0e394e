using Nii.Socs.Benchmarks.Sealing;

// Dispatch by area: dotnet run -c Release --project bench/Nii.Socs.Benchmarks -- <area>
var area = args.Length > 0 ? args[0] : string.Empty;
switch (area)
{
    case "sealing": return SealingBenchmark.Run(args[1..]);
    default:
        Console.Error.WriteLine("usage: Nii.Socs.Benchmarks <area>; areas: sealing");
        return 2;
}
