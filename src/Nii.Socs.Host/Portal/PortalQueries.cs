using System.Globalization;
using System.Net;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Host.Portal;

/// <summary>The reads behind the portal's pages and API, each scoped to one participant (R4.7, R6.4).</summary>
/// <remarks>
/// Every method takes the participant the caller is authorised for and returns only that participant's data; pages
/// and API call these, never the stores directly, so the scoping is written once.
/// <para>Edge case: a history entry belongs to a participant when its actor is one of its operators or its subject's
/// second segment is the participant's id (<c>portal/u-tokyo/…</c>, <c>detections/u-tokyo/2026-11</c>), or its
/// subject is one of the participant's requests or grants (<c>consent/&lt;id&gt;</c>, <c>grant/&lt;id&gt;</c>); so a
/// participant <c>u-tokyo</c> never sees <c>u-tokyo-2</c>'s entries.</para>
/// </remarks>
internal static class PortalQueries
{
    /// <summary>Parses the detection filters of a query string.</summary>
    /// <param name="sid">The rule sid text; empty for all.</param>
    /// <param name="address">The address text; empty for all.</param>
    /// <param name="cursor">The cursor text; empty for the first page.</param>
    /// <param name="filter">The parsed filter.</param>
    /// <param name="error">What was wrong.</param>
    /// <returns>True when all parse.</returns>
    public static bool TryParseFilter(string? sid, string? address, string? cursor, out DetectionFilter filter, out string error)
    {
        filter = default;
        error = string.Empty;
        long? s = null;
        IPAddress? a = null;
        DetectionCursor? c = null;
        if (!string.IsNullOrWhiteSpace(sid))
        {
            if (!long.TryParse(sid.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                error = $"sid must be a whole number; got '{sid}'";
                return false;
            }

            s = value;
        }

        if (!string.IsNullOrWhiteSpace(address))
        {
            if (!IPAddress.TryParse(address.Trim(), out a))
            {
                error = $"address must be an IPv4 or IPv6 address; got '{address}'";
                return false;
            }
        }

        if (!string.IsNullOrWhiteSpace(cursor))
        {
            if (!DetectionCursor.TryParse(cursor.Trim(), out var value))
            {
                error = $"cursor is not one this portal made; got '{cursor}'";
                return false;
            }

            c = value;
        }

        filter = new DetectionFilter(s, a, c);
        return true;
    }

    /// <summary>One page of a participant's detections, newest first.</summary>
    /// <param name="services">The services.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="filter">The filters and cursor.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The page.</returns>
    public static Task<DetectionPage> DetectionsAsync(PortalServices services, ParticipantId participant, DetectionFilter filter, CancellationToken cancellationToken)
    {
        JstMonth? oldest = null;
        JstMonth? newest = null;
        foreach (var (p, month) in services.Detections.Partitions())
        {
            if (p == participant)
            {
                oldest = oldest is null || month.CompareTo(oldest.Value) < 0 ? month : oldest;
                newest = newest is null || month.CompareTo(newest.Value) > 0 ? month : newest;
            }
        }

        if (oldest is null || newest is null)
        {
            return Task.FromResult(new DetectionPage([], null));
        }

        return services.Detections.QueryAsync(
            new DetectionQuery
            {
                Participant = participant,
                // Partitions are acquisition months; a record's observation (a sensor's clock) may lie anywhere.
                From = DateTimeOffset.MinValue,
                To = DateTimeOffset.MaxValue,
                Limit = services.Options.PageSize,
                RuleSid = filter.Sid,
                Address = filter.Address,
                Cursor = filter.Cursor,
            },
            cancellationToken);
    }

    /// <summary>A participant's decryption requests, newest first.</summary>
    /// <param name="ledger">The ledger.</param>
    /// <param name="participant">The participant; null for all (staff).</param>
    /// <returns>The requests.</returns>
    public static IReadOnlyList<DecryptionRequest> Requests(ConsentLedger ledger, ParticipantId? participant) =>
        [.. ledger.Requests.Where(r => participant is null || r.Participant == participant).OrderByDescending(r => r.RequestedAt).ThenBy(r => r.Id.Value)];

    /// <summary>The exclusions (R5.2) that touch any of a participant's prefixes: its coverage gaps.</summary>
    /// <param name="state">The registry state.</param>
    /// <param name="participant">The participant.</param>
    /// <returns>The gaps, newest first.</returns>
    public static IReadOnlyList<ExclusionEntry> CoverageGaps(RegistryState state, ParticipantId participant)
    {
        if (!state.Participants.TryGetValue(participant, out var entry))
        {
            return [];
        }

        return [.. state.Exclusions.Values
            .Where(x => x.Prefixes.Any(p => entry.Prefixes.Any(p.Overlaps)))
            .OrderByDescending(x => x.From)];
    }

    /// <summary>The wrapped key sets of a participant's epochs, newest first (R8.1).</summary>
    /// <param name="services">The services.</param>
    /// <param name="participant">The participant.</param>
    /// <returns>The sets.</returns>
    public static IReadOnlyList<WrappedKeySet> WrappedKeys(PortalServices services, ParticipantId participant)
    {
        var sets = new List<WrappedKeySet>();
        foreach (var epoch in services.Keys.WrappedSetEpochs(participant))
        {
            if (services.Keys.TryLoadWrappedSet(epoch, out var set))
            {
                sets.Add(set);
            }
        }

        sets.Sort((a, b) => b.Epoch.Index.CompareTo(a.Epoch.Index));
        return sets;
    }

    /// <summary>Whether a history entry concerns a participant.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="consentIds">The ids of the participant's requests and grants: the consent service's subjects
    /// <c>consent/&lt;request&gt;</c> and <c>grant/&lt;grant&gt;</c> name them instead of the participant.</param>
    /// <returns>True when its actor is one of the participant's operators, its subject's second segment is the
    /// participant, or its subject is one of the participant's requests or grants.</returns>
    public static bool Concerns(OperationEntry entry, ParticipantId participant, IReadOnlySet<string>? consentIds = null)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Actor.StartsWith($"operator:{participant.Value}/", StringComparison.Ordinal))
        {
            return true;
        }

        var segments = entry.Subject.Split('/');
        return segments.Length > 1
            && (string.Equals(segments[1], participant.Value, StringComparison.Ordinal)
                || (segments[0] is "consent" or "grant" && consentIds is not null && consentIds.Contains(segments[1])));
    }

    /// <summary>The ids (text form) of a participant's requests and grants.</summary>
    /// <param name="ledger">The ledger.</param>
    /// <param name="participant">The participant.</param>
    /// <returns>The ids.</returns>
    public static IReadOnlySet<string> ConsentIdsOf(ConsentLedger ledger, ParticipantId participant)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in ledger.Requests.Where(r => r.Participant == participant))
        {
            ids.Add(r.Id.ToString());
        }

        foreach (var g in ledger.Grants.Where(g => g.Participant == participant))
        {
            ids.Add(g.Id.ToString());
        }

        return ids;
    }

    /// <summary>A participant's history entries, newest first, before a sequence number.</summary>
    /// <param name="services">The services.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="before">Only entries with a smaller sequence; null from the newest.</param>
    /// <param name="limit">The page size.</param>
    /// <returns>The entries.</returns>
    public static IReadOnlyList<OperationEntry> History(PortalServices services, ParticipantId participant, long? before, int limit)
    {
        // Read backwards by position, a chunk at a time, from the entry before the cursor: a page reads what it
        // shows and the entries between, never the whole log (R6.4).
        const int Chunk = 256;
        var ids = ConsentIdsOf(services.Consent.Ledger, participant);
        var page = new List<OperationEntry>(limit);
        var end = Math.Min(services.History.Count, (before ?? long.MaxValue) - 1);
        while (end >= 1 && page.Count < limit)
        {
            var start = Math.Max(1, end - Chunk + 1);
            var chunk = services.History.Read(start, (int)(end - start + 1));
            for (var i = chunk.Count - 1; i >= 0 && page.Count < limit; i--)
            {
                if (Concerns(chunk[i], participant, ids))
                {
                    page.Add(chunk[i]);
                }
            }

            end = start - 1;
        }

        return page;
    }
}

/// <summary>The detection list's filters.</summary>
/// <param name="Sid">Only this rule sid; null for all.</param>
/// <param name="Address">Only this source or destination; null for all.</param>
/// <param name="Cursor">Where the previous page ended; null for the first.</param>
internal readonly record struct DetectionFilter(long? Sid, IPAddress? Address, DetectionCursor? Cursor);
