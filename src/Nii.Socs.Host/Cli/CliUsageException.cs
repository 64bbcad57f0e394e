namespace Nii.Socs.Host.Cli;

/// <summary>Bad input on the command line: printed as one line on stderr, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
