using Nii.Socs.Host.Cli;

return CliApp.Run(args, Console.Out, Console.Error);
