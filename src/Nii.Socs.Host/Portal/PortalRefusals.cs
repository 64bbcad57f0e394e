using System.Globalization;
using Nii.Socs.Core.Audit;

namespace Nii.Socs.Host.Portal;

/// <summary>Records refused portal requests under the portal's own subject, aggregated per certificate or address (R6.4).</summary>
/// <remarks>
/// R6.4: a refusal is what happened at the portal, not an operation on a participant's data, so it is recorded with
/// actor <c>system:portal</c> and subject <c>portal</c>, which no participant's history page shows
/// (<see cref="PortalQueries.Concerns"/>). The first refusal of a source in a <see cref="Window"/> is one
/// <c>portal.access.refused</c> entry; the repeats in that window are counted in memory and written as one
/// <c>portal.access.refused.repeated</c> entry (count, first, last) when the window closes (next refusal after it, or
/// <see cref="FlushAsync"/> at shutdown). A flood therefore adds at most two entries per source per window.
/// <para>The key service (<see cref="KeyService.KeyServiceServer"/>) records its refusals the same way under its own actor,
/// subject and action.</para>
/// <para>Edge case: the portal only admits certificates that chain to its CA in the TLS handshake, so sources are
/// bounded by the certificates the organization issued; at most <see cref="MaxSources"/> are tallied at once and the
/// rest share one tally.</para>
/// </remarks>
internal sealed class PortalRefusals(IOperationHistory history, TimeProvider time, string actor = "system:portal", string subject = "portal", string action = "portal.access.refused")
{
    /// <summary>How long repeats of one source are folded into one entry.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    /// <summary>The most sources tallied separately.</summary>
    public const int MaxSources = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Tally> _tallies = new(StringComparer.Ordinal);

    /// <summary>Records one refusal.</summary>
    /// <param name="source">The certificate thumbprint or address refused.</param>
    /// <param name="why">Why, with the method and path.</param>
    /// <param name="cancellationToken">Cancels waiting for the commit.</param>
    /// <returns>A task.</returns>
    public async Task RecordAsync(string source, string why, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        Tally? closed = null;
        var first = false;
        lock (_gate)
        {
            var key = _tallies.Count >= MaxSources && !_tallies.ContainsKey(source) ? "many-sources" : source;
            if (_tallies.TryGetValue(key, out var tally) && now - tally.First < Window)
            {
                tally.Count++;
                tally.Last = now;
            }
            else
            {
                closed = tally;
                _tallies[key] = new Tally(key, why, now);
                first = true;
            }
        }

        if (closed is { Count: > 1 })
        {
            await WriteRepeatsAsync(closed, cancellationToken).ConfigureAwait(false);
        }

        if (first)
        {
            await history.AppendAsync(actor, action, subject, $"{source}: {why}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the repeats still counted in memory (at shutdown).</summary>
    /// <returns>A task.</returns>
    public async Task FlushAsync()
    {
        List<Tally> open;
        lock (_gate)
        {
            open = [.. _tallies.Values.Where(t => t.Count > 1)];
            _tallies.Clear();
        }

        foreach (var tally in open)
        {
            await WriteRepeatsAsync(tally, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private Task<OperationEntry> WriteRepeatsAsync(Tally tally, CancellationToken cancellationToken) =>
        history.AppendAsync(
            actor,
            action + ".repeated",
            subject,
            string.Create(CultureInfo.InvariantCulture, $"{tally.Source}: {tally.Count - 1} more refusal(s) from {tally.First:O} to {tally.Last:O}; first: {tally.Why}"),
            cancellationToken);

    private sealed class Tally(string source, string why, DateTimeOffset first)
    {
        public string Source { get; } = source;

        public string Why { get; } = why;

        public DateTimeOffset First { get; } = first;

        public DateTimeOffset Last { get; set; } = first;

        public long Count { get; set; } = 1;
    }
}
