using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Research;

/// <summary>Turns stored detections into research rows: addresses through Crypto-PAn, times through the
/// secret shift, identities through pseudonyms, content dropped (R9.1).</summary>
/// <remarks>
/// <para>R9.1. Built from one <see cref="ResearchSecret"/>; the same secret and settings give the same
/// rows, which is what makes the method reproducible by the organization.</para>
/// <para>Free text (rule message and classtype) is scrubbed of every identifying string of every
/// participant given (see <see cref="ParticipantIdentity"/>), case-insensitively; a match becomes
/// <c>[participant]</c>. Strings shorter than <see cref="MinimumScrubLength"/> characters are not scrubbed,
/// since a two-letter id would otherwise erase ordinary words; give such participants a longer name.
/// Worked case: the local rule message "LOCAL brute force on mail.u-tokyo.ac.jp" with the contact
/// "mail.u-tokyo.ac.jp" registered becomes "LOCAL brute force on [participant]".</para>
/// <para>Not thread-safe (the address anonymiser keeps caches); use one instance per export.</para>
/// </remarks>
internal sealed class ResearchAnonymizer : IDisposable
{
    /// <summary>The shortest identifying string that is scrubbed from free text.</summary>
    public const int MinimumScrubLength = 4;

    /// <summary>What replaces an identifying string in free text.</summary>
    public const string ScrubMark = "[participant]";

    private readonly CryptoPan _addresses;
    private readonly Pseudonymizer _pseudonyms;
    private readonly string[] _terms;
    private readonly Dictionary<string, string> _scrubbed = new(StringComparer.Ordinal);
    private readonly Dictionary<ParticipantId, string> _participantPseudonyms = [];
    private readonly Dictionary<IPAddress, IPAddress> _recentAddresses = [];

    /// <summary>Creates the anonymiser of one data set.</summary>
    /// <param name="secret">The data set's secret; not kept (the derived keys are).</param>
    /// <param name="time">The time randomisation settings.</param>
    /// <param name="participants">The identities to keep out of the data set; use every registered participant.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="time"/> is invalid.</exception>
    public ResearchAnonymizer(ResearchSecret secret, TimeRandomization time, IEnumerable<ParticipantIdentity> participants)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(participants);
        time.Validate();
        Time = new TimeShift(secret.DeriveTimeShift(time), time.Bucket);
        _addresses = secret.CreateAddressAnonymizer();
        _pseudonyms = secret.CreatePseudonymizer();

        // Longest first, so "mail.u-tokyo.ac.jp" is replaced before "u-tokyo" could split it.
        _terms = [.. participants
            .SelectMany(p => p.Terms())
            .Select(t => t.Trim())
            .Where(t => t.Length >= MinimumScrubLength)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderByDescending(t => t.Length)
            .ThenBy(t => t, StringComparer.Ordinal)];
    }

    /// <summary>The time transform of this data set.</summary>
    /// <remarks><b>Security:</b> its <see cref="TimeShift.Shift"/> is secret.</remarks>
    public TimeShift Time { get; }

    /// <summary>The data-set pseudonym of a participant.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>A pseudonym such as <c>p-3f9c0a1b2d4e5f60</c>.</returns>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    public string PseudonymOf(ParticipantId participant)
    {
        if (!_participantPseudonyms.TryGetValue(participant, out var pseudonym))
        {
            pseudonym = _pseudonyms.Pseudonym("participant", "p", participant.Value);
            _participantPseudonyms[participant] = pseudonym;
        }

        return pseudonym;
    }

    /// <summary>Anonymises one detection.</summary>
    /// <param name="record">The stored detection.</param>
    /// <returns>The research row.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The shifted time is not representable.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    /// <remarks>R9.1; the content and raw header bytes of <paramref name="record"/> are never read.</remarks>
    public ResearchRow Anonymize(DetectionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var header = record.Header;
        return new ResearchRow
        {
            Record = _pseudonyms.Pseudonym("record", "r", record.Id.ToString()),
            Participant = PseudonymOf(record.Participant),
            ObservedAt = Time.Apply(header.ObservedAt),
            Source = AnonymizeAddress(header.Source),
            Destination = AnonymizeAddress(header.Destination),
            Protocol = header.Protocol,
            SourcePort = header.SourcePort,
            DestinationPort = header.DestinationPort,
            TcpFlags = header.TcpFlags,
            CapturedLength = header.CapturedLength,
            WireLength = header.WireLength,
            ContentLength = header.ContentLength,
            RuleSid = record.Rule.Sid,
            RuleRev = record.Rule.Rev,
            RuleMessage = Scrub(record.Rule.Message),
            RuleClassType = Scrub(record.Rule.ClassType ?? string.Empty),
            RulePriority = record.Rule.Priority,
            DetectionSource = record.Source == Detections.DetectionSource.Eve ? "eve" : "packet",
        };
    }

    /// <summary>Anonymises many detections; addresses go through Crypto-PAn's batch path, which is how
    /// large exports reach millions of addresses per second.</summary>
    /// <param name="records">The stored detections.</param>
    /// <returns>The research rows, in the same order; each equals what <see cref="Anonymize(DetectionRecord)"/> gives.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="records"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A shifted time is not representable.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    /// <remarks>R9.1.</remarks>
    public ResearchRow[] Anonymize(IReadOnlyList<DetectionRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var pending = new HashSet<IPAddress>();
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record);
            Collect(record.Header.Source, pending);
            Collect(record.Header.Destination, pending);
        }

        if (_recentAddresses.Count + pending.Count > AddressMemoLimit)
        {
            _recentAddresses.Clear();
        }

        ResolveInBulk(pending);
        var rows = new ResearchRow[records.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = Anonymize(records[i]);
        }

        return rows;
    }

    /// <summary>Removes every identifying string from a free text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The text with each match replaced by <see cref="ScrubMark"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <remarks>R9.1. Results are memoised: rule messages repeat across many detections.</remarks>
    public string Scrub(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_scrubbed.TryGetValue(text, out var done))
        {
            return done;
        }

        var result = text;
        foreach (var term in _terms)
        {
            if (result.Contains(term, StringComparison.OrdinalIgnoreCase))
            {
                result = result.Replace(term, ScrubMark, StringComparison.OrdinalIgnoreCase);
            }
        }

        if (_scrubbed.Count < 100_000)
        {
            _scrubbed[text] = result;
        }

        return result;
    }

    /// <summary>Zeroes the derived keys.</summary>
    public void Dispose()
    {
        _addresses.Dispose();
        _pseudonyms.Dispose();
        _recentAddresses.Clear();
    }

    private const int AddressMemoLimit = 1 << 18;

    private void Collect(IPAddress address, HashSet<IPAddress> pending)
    {
        if (!_recentAddresses.ContainsKey(address))
        {
            pending.Add(address);
        }
    }

    private void ResolveInBulk(HashSet<IPAddress> pending)
    {
        var v4 = new List<(IPAddress Original, uint Bits, bool Mapped)>();
        var v6 = new List<(IPAddress Original, UInt128 Bits)>();
        Span<byte> bytes = stackalloc byte[16];
        foreach (var address in pending)
        {
            if (address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6)
            {
                address.MapToIPv4().TryWriteBytes(bytes, out _);
                v4.Add((address, BinaryPrimitives.ReadUInt32BigEndian(bytes), address.AddressFamily == AddressFamily.InterNetworkV6));
            }
            else if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                address.TryWriteBytes(bytes, out _);
                v6.Add((address, BinaryPrimitives.ReadUInt128BigEndian(bytes)));
            }
        }

        var v4Bits = v4.Select(a => a.Bits).ToArray();
        _addresses.AnonymizeIPv4(v4Bits, v4Bits);
        for (var i = 0; i < v4Bits.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, v4Bits[i]);
            var anonymised = new IPAddress(bytes[..4]);
            _recentAddresses[v4[i].Original] = v4[i].Mapped ? anonymised.MapToIPv6() : anonymised;
        }

        var v6Bits = v6.Select(a => a.Bits).ToArray();
        _addresses.AnonymizeIPv6(v6Bits, v6Bits);
        for (var i = 0; i < v6Bits.Length; i++)
        {
            BinaryPrimitives.WriteUInt128BigEndian(bytes, v6Bits[i]);
            _recentAddresses[v6[i].Original] = new IPAddress(bytes);
        }
    }

    private IPAddress AnonymizeAddress(IPAddress address)
    {
        // Detections repeat addresses (a scanner, a monitored server): a small memo avoids the AES work.
        if (_recentAddresses.TryGetValue(address, out var known))
        {
            return known;
        }

        var anonymised = _addresses.Anonymize(address);
        if (_recentAddresses.Count >= AddressMemoLimit)
        {
            _recentAddresses.Clear();
        }

        _recentAddresses[address] = anonymised;
        return anonymised;
    }
}
