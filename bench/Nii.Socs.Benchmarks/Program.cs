using Nii.Socs.Benchmarks.Inspection;
using Nii.Socs.Benchmarks.Research;
using Nii.Socs.Benchmarks.Sealing;
using Nii.Socs.Benchmarks.Storage;

// Dispatch by area: dotnet run -c Release --project bench/Nii.Socs.Benchmarks -- <area> [flags]
// Every area prints its figures as ratios against a reference measured in the same run.
switch (args.Length > 0 ? args[0] : string.Empty)
{
    case "sealing": return SealingBenchmark.Run(args[1..]);
    case "research": return ResearchBench.Run();
    case "storage": return await StorageBench.RunAsync(args[1..]);
    case "inspection": return InspectionBench.Run(args[1..]);
    default:
        Console.Error.WriteLine("usage: Nii.Socs.Benchmarks <area> [flags]   (areas: sealing, research, storage, inspection)");
        return 2;
}
