using Nii.Socs.Benchmarks.Capture;
using Nii.Socs.Benchmarks.Inspection;
using Nii.Socs.Benchmarks.Mail;
using Nii.Socs.Benchmarks.Portal;
using Nii.Socs.Benchmarks.Research;
using Nii.Socs.Benchmarks.ScaleOut;
using Nii.Socs.Benchmarks.Sealing;
using Nii.Socs.Benchmarks.Serve;
using Nii.Socs.Benchmarks.Storage;

// Dispatch by area: dotnet run -c Release --project bench/Nii.Socs.Benchmarks -- <area> [flags]
// Every area prints its figures as ratios against a reference measured in the same run.
var rest = args.Length > 1 ? args[1..] : [];
switch (args.Length > 0 ? args[0] : string.Empty)
{
    case "capture": return CaptureBench.Run(rest);
    case "capture-sample": return CaptureBench.WriteSample(rest);
    case "sealing": return SealingBenchmark.Run(rest);
    case "research": return ResearchBench.Run();
    case "storage": return await StorageBench.RunAsync(rest);
    case "mail": return await MailBench.RunAsync(rest);
    case "inspection": return InspectionBench.Run(rest);
    case "portal": return await PortalBench.RunAsync(rest);
    case "serve-crash": return await ServeCrashBench.RunAsync(rest);
    case "scale-out": return await ScaleOutBench.RunAsync(rest);
    default:
        Console.Error.WriteLine("usage: Nii.Socs.Benchmarks <area> [flags]   (areas: capture, capture-sample, sealing, research, storage, mail, inspection, portal, serve-crash, scale-out)");
        return 2;
}
