using System.Globalization;
using System.Text;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Storage.Keys;

/// <summary>The key store on plain files under <c>&lt;data&gt;/keys/&lt;participant&gt;/&lt;epoch&gt;/</c> (R8.1, R8.4).</summary>
/// <remarks>
/// <para>Each epoch directory holds <c>wrapped.json</c> (the <see cref="WrappedKeySet"/>: R8.1) and,
/// for the current epoch only, <c>key.sealed</c> (the key sealed under the host KEK). Files are written
/// to a temporary name, flushed to disk and renamed, so a crash never leaves half a file.</para>
/// <para>R8.4: <see cref="DestroySealedKey"/> overwrites <c>key.sealed</c> with zeros, flushes, deletes it and
/// checks it is gone.</para>
/// <para><b>Security:</b> overwriting in place does not reach blocks an SSD's flash translation layer or
/// a journaling/copy-on-write file system kept elsewhere; only the sealed copy is ever written, so
/// what could survive there is KEK-sealed, never clear (docs/keys.md).</para>
/// <para>Edge case: epoch indexes are directory names in decimal; negative indexes (before 1970) keep their sign.</para>
/// </remarks>
internal sealed class FileKeyStore : IKeyStore
{
    private const string WrappedName = "wrapped.json";
    private const string SealedName = "key.sealed";

    /// <summary>Creates a store under a data directory.</summary>
    /// <param name="dataDirectory">The data directory; keys go to its <c>keys</c> subdirectory.</param>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is empty.</exception>
    /// <remarks>R8.1.</remarks>
    public FileKeyStore(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        Root = Path.Combine(Path.GetFullPath(dataDirectory), "keys");
    }

    /// <summary>The directory holding every participant's keys.</summary>
    public string Root { get; }

    /// <inheritdoc />
    public void SaveWrappedSet(WrappedKeySet wrappedSet)
    {
        ArgumentNullException.ThrowIfNull(wrappedSet);
        SafeFile.WriteAtomically(PathOf(wrappedSet.Epoch, WrappedName), Encoding.UTF8.GetBytes(wrappedSet.ToJson()));
    }

    /// <inheritdoc />
    public bool TryLoadWrappedSet(EpochId epoch, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WrappedKeySet? wrappedSet)
    {
        wrappedSet = null;
        var path = PathOf(epoch, WrappedName);
        if (!File.Exists(path))
        {
            return false;
        }

        if (!WrappedKeySet.TryParseJson(File.ReadAllText(path, Encoding.UTF8), out wrappedSet, out var error))
        {
            throw new InvalidDataException($"The wrapped set '{path}' is corrupt: {error}.");
        }

        if (wrappedSet.Epoch != epoch)
        {
            throw new InvalidDataException($"The wrapped set '{path}' names the epoch {wrappedSet.Epoch}, not {epoch}.");
        }

        return true;
    }

    /// <inheritdoc />
    public void SaveSealedKey(EpochId epoch, ReadOnlySpan<byte> sealedKey) => SafeFile.WriteAtomically(PathOf(epoch, SealedName), sealedKey);

    /// <inheritdoc />
    public bool TryLoadSealedKey(EpochId epoch, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? sealedKey)
    {
        var path = PathOf(epoch, SealedName);
        sealedKey = File.Exists(path) ? File.ReadAllBytes(path) : null;
        return sealedKey is not null;
    }

    /// <inheritdoc />
    public void DestroySealedKey(EpochId epoch) => SafeFile.Destroy(PathOf(epoch, SealedName));

    /// <inheritdoc />
    /// <remarks>One host owns a data directory (its lock) and its ring serialises rotations, so checking and writing in
    /// turn is one step here. The sealed copy is written first, as before: a crash between leaves it without a wrapped set.</remarks>
    public bool TryCreate(EpochId epoch, ReadOnlySpan<byte> sealedKey, WrappedKeySet wrappedSet)
    {
        ArgumentNullException.ThrowIfNull(wrappedSet);
        if (wrappedSet.Epoch != epoch)
        {
            throw new ArgumentException($"The wrapped set is of {wrappedSet.Epoch}, not {epoch}.", nameof(wrappedSet));
        }

        if (File.Exists(PathOf(epoch, WrappedName)))
        {
            return false;
        }

        SaveSealedKey(epoch, sealedKey);
        SaveWrappedSet(wrappedSet);
        return true;
    }

    /// <inheritdoc />
    public void DestroyLeftoverSealedKey(EpochId epoch)
    {
        if (!File.Exists(PathOf(epoch, WrappedName)))
        {
            DestroySealedKey(epoch);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<EpochId> WrappedSetEpochs(ParticipantId participant) => EpochsWith(participant, WrappedName);

    /// <inheritdoc />
    public IReadOnlyList<EpochId> SealedKeyEpochs(ParticipantId participant) => EpochsWith(participant, SealedName);

    private List<EpochId> EpochsWith(ParticipantId participant, string name)
    {
        var directory = Path.Combine(Root, participant.Value);
        var epochs = new List<EpochId>();
        if (!Directory.Exists(directory))
        {
            return epochs;
        }

        foreach (var epochDirectory in Directory.EnumerateDirectories(directory))
        {
            if (long.TryParse(Path.GetFileName(epochDirectory), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)
                && File.Exists(Path.Combine(epochDirectory, name)))
            {
                epochs.Add(new EpochId(participant, index));
            }
        }

        epochs.Sort((a, b) => a.Index.CompareTo(b.Index));
        return epochs;
    }

    private string PathOf(EpochId epoch, string name) =>
        Path.Combine(Root, epoch.Participant.Value, epoch.Index.ToString(CultureInfo.InvariantCulture), name);
}
