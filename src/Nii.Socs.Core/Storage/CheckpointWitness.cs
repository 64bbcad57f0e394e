using System.Globalization;
using System.Text;
using Nii.Socs.Core.Audit;

namespace Nii.Socs.Core.Storage;

/// <summary>A witness of the operation history's signed checkpoints (R6.4): a directory kept apart from the history's
/// storage that receives a copy of every checkpoint (<c>checkpoints.txt</c>, one <see cref="HistoryCheckpoint.ToLine"/>
/// per line, flushed to disk) and pins the signing key the first time it is used (<c>signing.pub</c>).</summary>
/// <remarks>
/// R6.4. Used by the FASTER history (<see cref="OperationHistoryStore"/>) and by the PostgreSQL provider's history, so both
/// keep the same witness format and <see cref="OperationHistoryVerifier"/> checks either against it. Not thread-safe: its
/// owner serialises <see cref="CopyMissing"/>.
/// </remarks>
internal sealed class CheckpointWitness
{
    private HistoryCheckpoint? _last;

    private CheckpointWitness(string directory, HistoryCheckpoint? last)
    {
        Directory = directory;
        _last = last;
        WitnessedNumber = last?.Number ?? 0;
    }

    /// <summary>The witness directory (full path).</summary>
    public string Directory { get; }

    /// <summary>The number of the last checkpoint the witness holds; 0 for none.</summary>
    public long WitnessedNumber { get; private set; }

    /// <summary>Why the last copy failed; null when it succeeded.</summary>
    public string? Failure { get; private set; }

    /// <summary>Opens (creating when absent) a witness directory and pins <paramref name="publicKey"/> in it, or checks the pinned key is it.</summary>
    /// <exception cref="InvalidDataException">The witness pinned another key.</exception>
    public static CheckpointWitness Open(string directory, ReadOnlySpan<byte> publicKey)
    {
        var full = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(full);
        var pinned = Path.Combine(full, OperationHistoryStore.PublicKeyFile);
        if (File.Exists(pinned))
        {
            if (!OperationHistoryStore.ReadPublicKeyFile(pinned).AsSpan().SequenceEqual(publicKey))
            {
                throw new InvalidDataException($"The witness '{full}' pinned another signing key than the history's: the signing key changed; run socs audit verify.");
            }
        }
        else
        {
            File.WriteAllBytes(pinned, publicKey.ToArray());
        }

        OperationHistoryStore.DropPartialCheckpointLine(full);
        var (witnessed, _) = OperationHistoryStore.ReadCheckpoints(full);
        return new CheckpointWitness(full, witnessed.Count == 0 ? null : witnessed.MaxBy(c => c.Number));
    }

    /// <summary>Refuses a history this witness cannot be the witness of: one with fewer checkpoints than the witness
    /// holds (checkpoints removed, or a new history, such as a host whose <c>Socs:Storage:Provider</c> changed, given the
    /// old history's witness), or one whose checkpoint of the witness's last number is another.</summary>
    /// <param name="historyLast">The history's last checkpoint; null when it has none.</param>
    /// <param name="where">Names the history in the message ("the data directory", "the cluster").</param>
    /// <exception cref="InvalidDataException">The history does not continue what the witness holds.</exception>
    public void ThrowIfNotContinuedBy(HistoryCheckpoint? historyLast, string where)
    {
        var stored = historyLast?.Number ?? 0;
        if (WitnessedNumber > stored)
        {
            throw new InvalidDataException(string.Create(
                CultureInfo.InvariantCulture,
                $"The witness '{Directory}' holds checkpoint #{WitnessedNumber} but {where} only #{stored}: checkpoints were removed, or {where} holds a new history (a changed Socs:Storage:Provider or data directory) that needs a witness directory of its own (Socs:Audit:WitnessDirectory); run socs audit verify."));
        }

        if (_last is not null && historyLast is not null && WitnessedNumber == stored && _last.ToLine() != historyLast.ToLine())
        {
            throw new InvalidDataException(string.Create(
                CultureInfo.InvariantCulture,
                $"The witness '{Directory}' holds another checkpoint #{stored} than {where}: {where} holds another history, or its history was rewritten; a new history needs a witness directory of its own (Socs:Audit:WitnessDirectory); run socs audit verify."));
        }
    }

    /// <summary>The checkpoints a witness directory holds, and the first malformed line (null when none).</summary>
    public static (List<HistoryCheckpoint> Checkpoints, int? MalformedLine) Read(string directory) =>
        OperationHistoryStore.ReadCheckpoints(Path.GetFullPath(directory));

    /// <summary>Appends, in number order, every checkpoint of <paramref name="checkpoints"/> the witness does not hold yet.</summary>
    /// <returns>Whether the witness now holds them (false: the disk refused, see <see cref="Failure"/>; retried next time).</returns>
    public bool CopyMissing(IEnumerable<HistoryCheckpoint> checkpoints)
    {
        var missing = checkpoints.Where(c => c.Number > WitnessedNumber).OrderBy(c => c.Number).ToList();
        if (missing.Count == 0)
        {
            return true;
        }

        if (_last is not null && missing[0].Number == _last.Number + 1 && !missing[0].PreviousCheckpointHash.Span.SequenceEqual(_last.ComputeHash()))
        {
            // Another history's checkpoints (or a rewritten one's) would make the witness a mixture that proves nothing.
            Failure = string.Create(CultureInfo.InvariantCulture, $"checkpoint #{missing[0].Number} does not follow the witness's #{_last.Number}: another or a rewritten history; nothing copied");
            return false;
        }

        try
        {
            var text = new StringBuilder();
            foreach (var checkpoint in missing)
            {
                text.Append(checkpoint.ToLine()).Append('\n');
            }

            OperationHistoryStore.AppendText(Path.Combine(Directory, OperationHistoryStore.CheckpointFile), text.ToString());
            WitnessedNumber = missing[^1].Number;
            _last = missing[^1];
            Failure = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Failure = ex.Message;
            return false;
        }
    }
}
