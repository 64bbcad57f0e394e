using System.Collections.Concurrent;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Research;

/// <summary>Finds the research input of a data directory.</summary>
/// <remarks>
/// An input mounted in process (by tests, or by an embedding host) wins; otherwise <see cref="Opener"/>,
/// and by default <see cref="StoredResearchInput.Open"/>: the data directory's FASTER detection store and
/// the registry's identities. Without a detection store <c>socs research export</c> says so plainly.
/// </remarks>
internal static class ResearchInputs
{
    private static readonly ConcurrentDictionary<string, ResearchInput> s_mounted = new(StringComparer.Ordinal);

    /// <summary>Opens the store of a data directory; null when there is none. Set by the store's wiring.</summary>
    public static Func<string, ResearchInput?>? Opener { get; set; }

    public static IDisposable Mount(string dataDirectory, ResearchInput input)
    {
        var key = Path.GetFullPath(dataDirectory);
        if (!s_mounted.TryAdd(key, input))
        {
            throw new InvalidOperationException($"A research input is already mounted at {key}.");
        }

        return new Unmount(key);
    }

    public static bool TryOpen(string dataDirectory, out ResearchInput? input)
    {
        if (s_mounted.TryGetValue(Path.GetFullPath(dataDirectory), out input))
        {
            return true;
        }

        input = (Opener ?? StoredResearchInput.Open).Invoke(dataDirectory);
        return input is not null;
    }

    private sealed class Unmount(string key) : IDisposable
    {
        public void Dispose() => s_mounted.TryRemove(key, out _);
    }
}
