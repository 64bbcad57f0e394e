namespace Nii.Socs.Host.Cli;

/// <summary>What a CLI verb may touch: its output streams and the clock.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, TimeProvider Time);
