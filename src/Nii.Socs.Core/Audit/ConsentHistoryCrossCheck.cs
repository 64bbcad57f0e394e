using System.Globalization;
using Nii.Socs.Core.Consent;

namespace Nii.Socs.Core.Audit;

/// <summary>Pairs every consent event with its operation-history entry and the other way round (R6.4, R7.2, R8.5, R8.6, R13.1).</summary>
/// <remarks>
/// R6.4/R13.1: a consent action writes two records, its consent event and its history entry. This check feeds
/// both logs (any order) and names each record that lacks its partner: a request filed, approved or denied, a key
/// refused, a grant revoked, a record viewed under a grant, a fault access. The pair is found by the history
/// action and what it concerns (the request, the grant, or the record and grant); repeated actions on the same
/// thing are counted, so two views of one record under one grant need two entries. Each consent event pairs with
/// the earliest unpaired entry of its kind stamped at or after its own instant (an action stamps its event when it
/// starts and its entry when it writes it), so the entry a failed action left behind is the one named, even when a
/// later action on the same thing succeeded.
/// <para>Edge case: history entries of other actions (including <c>consent.fault-access.notice</c>, which tells the
/// participant and has no consent event of its own) are ignored.</para>
/// </remarks>
internal sealed class ConsentHistoryCrossCheck
{
    private readonly Dictionary<string, List<(DateTimeOffset At, long Number, string What)>> _events = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(DateTimeOffset At, long Sequence, string What)>> _entries = new(StringComparer.Ordinal);
    private long _eventNumber;

    /// <summary>The history actions that have a consent event as partner.</summary>
    public static IReadOnlySet<string> PairedActions { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "consent.request.filed", "consent.approved", "consent.denied", "consent.key.refused", "consent.grant.revoked", "consent.viewed", "consent.fault-access",
    };

    /// <summary>Feeds the next consent event, in log order.</summary>
    /// <param name="consentEvent">The event.</param>
    /// <exception cref="ArgumentNullException"><paramref name="consentEvent"/> is null.</exception>
    public void Add(ConsentEvent consentEvent)
    {
        ArgumentNullException.ThrowIfNull(consentEvent);
        var number = ++_eventNumber;
        var (key, what) = consentEvent switch
        {
            ConsentEvent.Requested r => (Key("consent.request.filed", $"consent/{r.Request.Id}"), $"request {r.Request.Id} filed by {r.Request.Requester}"),
            ConsentEvent.Approved a => (Key("consent.approved", $"consent/{a.Request}"), $"request {a.Request} approved by {a.Operator} (grant {a.Grant})"),
            ConsentEvent.Denied d => (Key("consent.denied", $"consent/{d.Request}"), $"request {d.Request} denied by {d.Operator}"),
            ConsentEvent.KeyRefused k => (Key("consent.key.refused", $"consent/{k.Request}"), $"a key for {k.Epoch} refused on request {k.Request}"),
            ConsentEvent.Revoked v => (Key("consent.grant.revoked", $"grant/{v.Grant}"), $"grant {v.Grant} revoked by {v.Operator}"),
            ConsentEvent.Viewed v => (Key("consent.viewed", $"{v.Record}", $"grant={v.Grant}"), $"record {v.Record} viewed by {v.Viewer} under grant {v.Grant}"),
            ConsentEvent.FaultAccessed f => (Key("consent.fault-access", $"detections/{f.Participant}/{f.Record}"), $"record {f.Record} of {f.Participant} opened by {f.Staff} for a fault"),
            _ => (null, null),
        };
        if (key is null)
        {
            return;
        }

        Bucket(_events, key).Add((consentEvent.At, number, string.Create(CultureInfo.InvariantCulture, $"consent event {number} ({what} at {consentEvent.At:yyyy-MM-dd'T'HH:mm:ss'Z'})")));
    }

    /// <summary>Feeds the next history entry, in log order.</summary>
    /// <param name="entry">The entry.</param>
    /// <exception cref="ArgumentNullException"><paramref name="entry"/> is null.</exception>
    public void Add(OperationEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!PairedActions.Contains(entry.Action))
        {
            return;
        }

        var key = entry.Action == "consent.viewed"
            ? Key(entry.Action, entry.Subject[(entry.Subject.LastIndexOf('/') + 1)..], entry.Details.Split(' ')[0])
            : Key(entry.Action, entry.Subject);
        Bucket(_entries, key).Add((entry.At, entry.Sequence, $"{entry.Action} {entry.Subject} by {entry.Actor}"));
    }

    /// <summary>Every record without its partner: consent events first (in log order), then history entries (ascending).</summary>
    /// <returns>One per unpaired record; empty when every record is paired.</returns>
    public IReadOnlyList<UnpairedRecord> Unpaired()
    {
        var events = new List<(long Number, string What)>();
        var orphans = new List<(long Sequence, string What)>();
        foreach (var (key, list) in _events)
        {
            var entries = _entries.TryGetValue(key, out var e) ? e.OrderBy(x => x.At).ThenBy(x => x.Sequence).ToList() : [];
            var next = 0;
            foreach (var consentEvent in list.OrderBy(x => x.At).ThenBy(x => x.Number))
            {
                // Entries stamped before this event's instant belong to no later event: a half-done action.
                while (next < entries.Count && entries[next].At < consentEvent.At)
                {
                    orphans.Add((entries[next].Sequence, entries[next].What));
                    next++;
                }

                if (next < entries.Count)
                {
                    next++;
                }
                else
                {
                    events.Add((consentEvent.Number, consentEvent.What));
                }
            }

            orphans.AddRange(entries.Skip(next).Select(x => (x.Sequence, x.What)));
        }

        foreach (var entries in _entries.Where(kv => !_events.ContainsKey(kv.Key)).Select(kv => kv.Value))
        {
            orphans.AddRange(entries.Select(x => (x.Sequence, x.What)));
        }

        var result = new List<UnpairedRecord>();
        result.AddRange(events.OrderBy(e => e.Number).Select(e => new UnpairedRecord(null, e.What + " has no history entry")));
        result.AddRange(orphans.OrderBy(e => e.Sequence).Select(e => new UnpairedRecord(
            e.Sequence,
            string.Create(CultureInfo.InvariantCulture, $"history entry {e.Sequence} ({e.What}) has no consent event"))));
        return result;
    }

    private static string Key(string action, string subject, string extra = "") => action + "\n" + subject + "\n" + extra;

    private static List<T> Bucket<T>(Dictionary<string, List<T>> map, string key)
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        return list;
    }
}

/// <summary>A consent event without its history entry, or a history entry without its consent event (R6.4).</summary>
/// <param name="HistoryEntry">The history entry's sequence number; null for a consent event.</param>
/// <param name="Description">What lacks its partner, for an operator.</param>
internal sealed record UnpairedRecord(long? HistoryEntry, string Description)
{
    /// <summary>The description.</summary>
    /// <returns><see cref="Description"/>.</returns>
    public override string ToString() => Description;
}
