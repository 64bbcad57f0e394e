using Nii.Socs.Benchmarks.Storage;

// Dispatch by area: dotnet run -c Release --project bench/Nii.Socs.Benchmarks -- <area> [flags]
switch (args.Length > 0 ? args[0] : string.Empty)
{
    case "storage": return await StorageBench.RunAsync(args[1..]);
    default:
        Console.Error.WriteLine("usage: Nii.Socs.Benchmarks <area> [flags]; areas: storage");
        return 2;
}
