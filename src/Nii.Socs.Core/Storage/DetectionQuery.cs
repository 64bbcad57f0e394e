using System.Globalization;
using System.Net;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Storage;

/// <summary>A portal query (R4.7): one participant's detections in a half-open time range, newest first, paged.</summary>
/// <remarks>
/// R4.7. <see cref="From"/> is inclusive and <see cref="To"/> exclusive. <see cref="Cursor"/> continues after the
/// last record of the previous page; it stays valid while records are added.
/// <para>Edge case: two records observed at the same instant are ordered by id, so a page boundary between them
/// neither repeats nor skips one.</para>
/// </remarks>
internal sealed record DetectionQuery
{
    /// <summary>The most records one page may hold.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>The participant whose detections are listed.</summary>
    public required ParticipantId Participant { get; init; }

    /// <summary>The earliest observation instant included.</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>The first observation instant excluded.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>The page size.</summary>
    /// <value>The default is 100.</value>
    public int Limit { get; init; } = 100;

    /// <summary>Only detections of this rule sid; null for all.</summary>
    public long? RuleSid { get; init; }

    /// <summary>Only detections whose source or destination is this address; null for all.</summary>
    public IPAddress? Address { get; init; }

    /// <summary>Where the previous page ended; null for the first page.</summary>
    public DetectionCursor? Cursor { get; init; }
}

/// <summary>A position in newest-first order: the (observed-at, id) of the last record returned.</summary>
/// <param name="ObservedAtUtcTicks">The last record's observation instant in UTC ticks.</param>
/// <param name="Id">The last record's id.</param>
internal readonly record struct DetectionCursor(long ObservedAtUtcTicks, DetectionId Id)
{
    /// <summary>The cursor of a record.</summary>
    /// <param name="record">The record.</param>
    /// <returns>Its position.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    public static DetectionCursor After(DetectionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new(record.Header.ObservedAt.UtcTicks, record.Id);
    }

    /// <summary>Parses the text form.</summary>
    /// <param name="text">The text, <c>ticks.idhex</c>.</param>
    /// <param name="cursor">The cursor when valid.</param>
    /// <returns>Whether the text is a cursor.</returns>
    public static bool TryParse(string? text, out DetectionCursor cursor)
    {
        cursor = default;
        var dot = text?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot <= 0
            || !long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || !DetectionId.TryParse(text![(dot + 1)..], out var id))
        {
            return false;
        }

        cursor = new DetectionCursor(ticks, id);
        return true;
    }

    /// <summary>The opaque text form for URLs.</summary>
    /// <returns><c>ticks.idhex</c>.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{ObservedAtUtcTicks}.{Id}");
}

/// <summary>One page of a <see cref="DetectionQuery"/>.</summary>
/// <param name="Records">The records, newest first.</param>
/// <param name="Next">The cursor for the next page; null when this is the last page.</param>
internal sealed record DetectionPage(IReadOnlyList<DetectionRecord> Records, DetectionCursor? Next);

/// <summary>What the store holds for one partition.</summary>
/// <param name="Participant">The participant.</param>
/// <param name="Month">The JST acquisition month.</param>
/// <param name="Records">The number of committed records.</param>
/// <param name="Bytes">The bytes of all its files on disk.</param>
internal sealed record PartitionStats(ParticipantId Participant, Time.JstMonth Month, long Records, long Bytes);
