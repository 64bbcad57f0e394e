using Nii.Socs.Benchmarks.Research;

// Dispatch by area: dotnet run -c Release --project bench/Nii.Socs.Benchmarks -- <area>
switch (args.Length > 0 ? args[0] : string.Empty)
{
    case "research": return ResearchBench.Run();
    default:
        Console.Error.WriteLine("usage: Nii.Socs.Benchmarks <area>   (areas: research)");
        return 2;
}
