using System.Globalization;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Keys;

/// <summary>Writes a <see cref="KeyRotation"/> into the operation history, so creation and destruction of epoch keys can be inspected (R8.2–R8.4, R13.1).</summary>
/// <remarks>
/// R8.4: "when a new common key is set, the previous one is destroyed immediately". The history is the only
/// evidence an inspector has of when that happened, so whoever calls <see cref="KeyRing.EnsureCurrent"/> records
/// its result here. Entries: <see cref="CreatedAction"/> with details <c>start=ISO;end=ISO</c> and
/// <see cref="DestroyedAction"/> with details <c>end=ISO</c>, both with subject <c>keys/{participant}/{index}</c>.
/// <para>Edge case: a host that was down from Sunday to Tuesday records the destruction of last week's key on
/// Tuesday; the yearly inspection then reports it as late (its epoch ended Monday 00:00 JST).</para>
/// </remarks>
internal static class KeyRotationRecord
{
    /// <summary>The action of an epoch key's creation (the name the host's key rotation writes too).</summary>
    public const string CreatedAction = "keys.epoch.started";

    /// <summary>The action of an epoch key's destruction (R8.4).</summary>
    public const string DestroyedAction = "keys.epoch.destroyed";

    /// <summary>The actor the key ring writes as.</summary>
    public const string Actor = "system:key-ring";

    /// <summary>Appends one entry per destroyed epoch, then one for the created epoch when a key was made.</summary>
    /// <param name="history">The operation history.</param>
    /// <param name="rotation">What <see cref="KeyRing.EnsureCurrent"/> returned.</param>
    /// <param name="schedule">The schedule the ring uses, for the epochs' bounds.</param>
    /// <param name="cancellationToken">Cancels the appends.</param>
    /// <returns>The entries written, in order.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <remarks>R8.4. Edge case: a rotation that neither created nor destroyed anything writes nothing.</remarks>
    public static async Task<IReadOnlyList<OperationEntry>> AppendAsync(IOperationHistory history, KeyRotation rotation, EpochSchedule schedule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(rotation);
        ArgumentNullException.ThrowIfNull(schedule);
        var written = new List<OperationEntry>();
        foreach (var old in rotation.Destroyed)
        {
            written.Add(await history.AppendAsync(Actor, DestroyedAction, SubjectOf(old), "end=" + Iso(schedule.EndOf(old)), cancellationToken).ConfigureAwait(false));
        }

        if (rotation.Created)
        {
            var current = rotation.Current;
            written.Add(await history.AppendAsync(Actor, CreatedAction, SubjectOf(current), DetailsOfCreation(schedule.StartOf(current), schedule.EndOf(current)), cancellationToken).ConfigureAwait(false));
        }

        return written;
    }

    /// <summary>The subject of an epoch's entries: <c>keys/{participant}/{index}</c>.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <returns>The subject.</returns>
    /// <remarks>R8.2. Edge case: epoch 2912 of <c>u-tokyo</c> is <c>keys/u-tokyo/2912</c>.</remarks>
    public static string SubjectOf(EpochId epoch) => string.Create(CultureInfo.InvariantCulture, $"keys/{epoch.Participant}/{epoch.Index}");

    /// <summary>The details of a creation entry: <c>start=ISO;end=ISO</c> in JST.</summary>
    /// <param name="start">The epoch's start.</param>
    /// <param name="end">The epoch's end (the next epoch's start).</param>
    /// <returns>The details text.</returns>
    /// <remarks>R8.2. Edge case: a weekly epoch reads <c>start=2026-01-05T00:00:00+09:00;end=2026-01-12T00:00:00+09:00</c>.</remarks>
    public static string DetailsOfCreation(DateTimeOffset start, DateTimeOffset end) => "start=" + Iso(start) + ";end=" + Iso(end);

    /// <summary>Reads the epoch back from a subject written by <see cref="SubjectOf"/>.</summary>
    /// <param name="subject">The subject.</param>
    /// <param name="epoch">The epoch, when the subject has the form.</param>
    /// <returns>Whether it had the form.</returns>
    /// <remarks>R13.1. Edge case: <c>keys/u-tokyo/x</c> is not an epoch subject.</remarks>
    public static bool TryParseSubject(string? subject, out EpochId epoch)
    {
        epoch = default;
        var parts = subject?.Split('/');
        if (parts is not { Length: 3 } || parts[0] != "keys" || !ParticipantId.IsValid(parts[1])
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return false;
        }

        epoch = new EpochId(new ParticipantId(parts[1]), index);
        return true;
    }

    private static string Iso(DateTimeOffset instant) => Time.Jst.ToJst(instant).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}
