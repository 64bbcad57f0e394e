using System.Globalization;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Storage;

/// <summary>What the retention sweeper needs of the wrapped-key store (R8.1, R8.4): list epochs, delete one.</summary>
/// <remarks>DESIGN §5: wrapped keys are kept per participant and epoch until no live partition references the epoch.</remarks>
internal interface IWrappedKeyStore
{
    /// <summary>Participants that have wrapped keys.</summary>
    /// <returns>The participants.</returns>
    IReadOnlyList<ParticipantId> Participants();

    /// <summary>The epochs of a participant that have wrapped keys, ascending.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>Epoch indexes.</returns>
    IReadOnlyList<long> Epochs(ParticipantId participant);

    /// <summary>Deletes every wrapped form of one epoch's key and checks that it is gone; does nothing when absent.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="epoch">The epoch index.</param>
    /// <exception cref="IOException">The files could not be removed.</exception>
    void Delete(ParticipantId participant, long epoch);

    /// <summary>Finishes deletions an interrupted <see cref="Delete"/> left behind.</summary>
    /// <returns>The epochs whose deletion was finished now.</returns>
    /// <exception cref="IOException">The files could not be removed.</exception>
    IReadOnlyList<(ParticipantId Participant, long Epoch)> FinishPendingDeletions();
}

/// <summary>The wrapped-key store's directory layout, <c>&lt;data&gt;/keys/&lt;participant&gt;/&lt;epoch&gt;/</c>, as the sweeper deletes it.</summary>
/// <remarks>
/// R8.4, R7.3. The Keys component writes the wrapped forms; this class only lists and removes whole epoch
/// directories. Deletion renames the directory to <c>.deleting-&lt;epoch&gt;</c> first and then removes it, so an
/// interrupted deletion never leaves a half epoch that looks whole; <see cref="FinishPendingDeletions"/> finishes such leftovers.
/// <para>Edge case: an epoch directory named <c>0042</c> is not an epoch (names are canonical decimal) and is left alone.</para>
/// </remarks>
internal sealed class WrappedKeyDirectory : IWrappedKeyStore
{
    /// <summary>The directory under the data directory.</summary>
    public const string DirectoryName = "keys";

    private const string DeletingPrefix = ".deleting-";

    /// <summary>Creates the view of a data directory's key store.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    public WrappedKeyDirectory(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        Root = Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName);
    }

    /// <summary>The key store's root, <c>&lt;data&gt;/keys</c>.</summary>
    public string Root { get; }

    /// <summary>The directory of one epoch's wrapped keys.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="epoch">The epoch index.</param>
    /// <returns>The path (it may not exist).</returns>
    public string EpochDirectory(ParticipantId participant, long epoch) =>
        Path.Combine(Root, participant.Value, epoch.ToString(CultureInfo.InvariantCulture));

    /// <inheritdoc />
    public IReadOnlyList<ParticipantId> Participants() => !Directory.Exists(Root)
        ? []
        : Directory.EnumerateDirectories(Root).Select(Path.GetFileName).Where(ParticipantId.IsValid).Select(n => new ParticipantId(n!)).ToList();

    /// <inheritdoc />
    public IReadOnlyList<long> Epochs(ParticipantId participant)
    {
        var directory = Path.Combine(Root, participant.Value);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var epochs = new List<long>();
        foreach (var name in Directory.EnumerateDirectories(directory).Select(Path.GetFileName))
        {
            if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
                && epoch.ToString(CultureInfo.InvariantCulture) == name)
            {
                epochs.Add(epoch);
            }
        }

        epochs.Sort();
        return epochs;
    }

    /// <inheritdoc />
    public IReadOnlyList<(ParticipantId Participant, long Epoch)> FinishPendingDeletions()
    {
        var finished = new List<(ParticipantId, long)>();
        foreach (var participant in Participants())
        {
            foreach (var leftover in Directory.EnumerateDirectories(Path.Combine(Root, participant.Value), DeletingPrefix + "*").ToList())
            {
                RemoveAndCheck(leftover);
                if (long.TryParse(Path.GetFileName(leftover)[DeletingPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
                {
                    finished.Add((participant, epoch));
                }
            }
        }

        return finished;
    }

    /// <inheritdoc />
    public void Delete(ParticipantId participant, long epoch)
    {
        var directory = EpochDirectory(participant, epoch);
        if (!Directory.Exists(directory))
        {
            return;
        }

        var doomed = Path.Combine(Root, participant.Value, DeletingPrefix + epoch.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(doomed))
        {
            RemoveAndCheck(doomed);
        }

        Directory.Move(directory, doomed);
        RemoveAndCheck(doomed);
    }

    internal static void RemoveAndCheck(string directory)
    {
        Directory.Delete(directory, recursive: true);
        if (Directory.Exists(directory) || File.Exists(directory))
        {
            throw new IOException($"'{directory}' still exists after deletion.");
        }
    }
}
