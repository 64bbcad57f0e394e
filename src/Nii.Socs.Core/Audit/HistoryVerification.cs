using System.Globalization;

namespace Nii.Socs.Core.Audit;

/// <summary>The outcome of verifying the operation history (R6.4): intact, or the first problem.</summary>
/// <remarks>R6.4. A closed family: <see cref="Intact"/> or <see cref="Broken"/>.</remarks>
internal abstract record HistoryVerification
{
    private protected HistoryVerification()
    {
    }

    /// <summary>The chain verified end to end.</summary>
    /// <param name="Entries">How many entries were verified.</param>
    /// <param name="LastCheckpoint">The number of the last signed checkpoint; null when none was written yet.</param>
    public sealed record Intact(long Entries, long? LastCheckpoint) : HistoryVerification
    {
        /// <summary>The entry the last checkpoint signs; 0 when none was written yet. Entries after it are chained but unsigned.</summary>
        public long SignedThrough { get; init; }

        /// <summary>The number of the last checkpoint a witness holds; null when no witness was consulted or it holds none.</summary>
        public long? LastWitnessed { get; init; }

        /// <summary>The operator's line: <c>ok N entries, last checkpoint #K signed (entry S)</c>, and the witness's last checkpoint when one was consulted.</summary>
        /// <returns>The line.</returns>
        public override string ToString()
        {
            var line = LastCheckpoint is { } k
                ? string.Create(CultureInfo.InvariantCulture, $"ok {Entries} entries, last checkpoint #{k} signed (entry {SignedThrough})")
                : string.Create(CultureInfo.InvariantCulture, $"ok {Entries} entries, no signed checkpoint yet");
            return LastWitnessed is { } w ? string.Create(CultureInfo.InvariantCulture, $"{line}, witnessed up to #{w}") : line;
        }
    }

    /// <summary>The first problem found.</summary>
    /// <param name="Sequence">The sequence number of the first broken or missing entry (or the entry a checkpoint names).</param>
    /// <param name="Reason">Why it is broken.</param>
    public sealed record Broken(long Sequence, string Reason) : HistoryVerification
    {
        /// <summary>The operator's line: <c>broken at entry S: why</c>.</summary>
        /// <returns>The line.</returns>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"broken at entry {Sequence}: {Reason}");
    }
}
