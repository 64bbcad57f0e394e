using Nii.Socs.Host.Cli;

// Every file and directory the process creates is its owner's only, whatever umask it was started with (docs/security.md).
Nii.Socs.Host.Pipeline.PrivateFiles.RestrictProcessUmask();
return CliApp.Run(args, Console.Out, Console.Error);
