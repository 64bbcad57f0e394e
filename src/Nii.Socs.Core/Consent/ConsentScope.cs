using System.Net;
using Nii.Socs.Core.Detections;

namespace Nii.Socs.Core.Consent;

/// <summary>What a decryption request covers: a list of records, or a time range with optional filters.</summary>
public abstract record ConsentScope
{
    private protected ConsentScope()
    {
    }

    /// <summary>Whether a record is inside the scope.</summary>
    /// <param name="record">The record's id and header.</param>
    /// <returns>True when the scope covers it.</returns>
    public abstract bool Covers(DetectionRecord record);

    /// <summary>Specific records.</summary>
    /// <param name="Ids">The record ids; at least one.</param>
    public sealed record RecordList(IReadOnlyList<DetectionId> Ids) : ConsentScope
    {
        /// <inheritdoc />
        public override bool Covers(DetectionRecord record)
        {
            ArgumentNullException.ThrowIfNull(record);
            return Ids.Contains(record.Id);
        }

        /// <inheritdoc />
        public override string ToString() => $"{Ids.Count} record(s)";
    }

    /// <summary>Every record observed in [<paramref name="From"/>, <paramref name="To"/>), optionally of one rule or one address.</summary>
    /// <param name="From">The first instant (inclusive).</param>
    /// <param name="To">The end (exclusive).</param>
    /// <param name="Sid">Only this rule's detections; null for all.</param>
    /// <param name="Address">Only detections with this source or destination; null for all.</param>
    public sealed record TimeRange(DateTimeOffset From, DateTimeOffset To, long? Sid = null, IPAddress? Address = null) : ConsentScope
    {
        /// <inheritdoc />
        public override bool Covers(DetectionRecord record)
        {
            ArgumentNullException.ThrowIfNull(record);
            return record.Header.ObservedAt >= From && record.Header.ObservedAt < To
                && (Sid is null || record.Rule.Sid == Sid)
                && (Address is null || record.Header.Source.Equals(Address) || record.Header.Destination.Equals(Address));
        }

        /// <inheritdoc />
        public override string ToString() => $"{From:O}..{To:O}" + (Sid is null ? string.Empty : $" sid {Sid}") + (Address is null ? string.Empty : $" address {Address}");
    }
}
