namespace Nii.Socs.Host.Cli;

/// <summary>What a CLI verb may touch: its output streams and the clock.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, TimeProvider Time)
{
    /// <summary>The running service's open data when the verb runs inside it over the admin channel; null otherwise
    /// (verbs reach it through <see cref="DataAccess.Open"/>, never directly).</summary>
    public ServedData? Served { get; init; }
}
