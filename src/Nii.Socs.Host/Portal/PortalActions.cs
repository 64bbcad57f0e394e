using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;

namespace Nii.Socs.Host.Portal;

/// <summary>What a new decryption request says, as a page form or the API's JSON gives it (R8.5).</summary>
/// <param name="Participant">Whose records (staff only; an operator's own participant otherwise).</param>
/// <param name="Records">Record ids (32 hex digits each), for a record-list scope.</param>
/// <param name="From">Range start, ISO 8601 (a date alone is 00:00 JST), for a time-range scope.</param>
/// <param name="To">Range end (exclusive), same forms.</param>
/// <param name="Sid">Only this rule sid within the range.</param>
/// <param name="Address">Only this address within the range.</param>
/// <param name="Purpose">investigation, research, ownreview or other.</param>
/// <param name="Text">The stated purpose.</param>
/// <param name="DeadlineDays">Days the participant has to decide; 7 when absent.</param>
internal sealed record RequestInput(string? Participant, IReadOnlyList<string>? Records, string? From, string? To, long? Sid, string? Address, string? Purpose, string? Text, int? DeadlineDays);

/// <summary>The portal's state-changing actions, shared by pages and API: they turn input into Core calls (R6.2, R8.5, R8.6).</summary>
/// <remarks>
/// No rule of the regulation lives here: who may decide, whether keys match and what a grant covers are decided by
/// <see cref="ConsentLedger"/> and <see cref="IPortalConsent"/>; this class parses and scopes input to the principal.
/// <para>Edge case: an operator who names another participant in a request is refused before the ledger is asked.</para>
/// </remarks>
internal static class PortalActions
{
    /// <summary>Files a decryption request for the principal.</summary>
    /// <param name="services">The services.</param>
    /// <param name="principal">Who files it.</param>
    /// <param name="input">What it says.</param>
    /// <param name="cancellationToken">Cancels the history write.</param>
    /// <returns>The request id, or why not.</returns>
    public static async Task<ConsentOutcome<RequestId>> FileRequestAsync(PortalServices services, PortalPrincipal principal, RequestInput input, CancellationToken cancellationToken)
    {
        ParticipantId participant;
        if (principal.IsStaff)
        {
            if (!ParticipantId.IsValid(input.Participant?.Trim()) || !services.Registry.State.Participants.ContainsKey(new ParticipantId(input.Participant!.Trim())))
            {
                return ConsentOutcome<RequestId>.Refused($"participant must name a registered participant; got '{input.Participant}'");
            }

            participant = new ParticipantId(input.Participant!.Trim());
        }
        else
        {
            participant = principal.Participant;
            if (!string.IsNullOrWhiteSpace(input.Participant) && input.Participant.Trim() != participant.Value)
            {
                return ConsentOutcome<RequestId>.Refused($"an operator of {participant} can request only its own records");
            }
        }

        if (!TryScope(input, out var scope, out var error) || !TryPurpose(input.Purpose, out var purpose, out error))
        {
            return ConsentOutcome<RequestId>.Refused(error);
        }

        var days = input.DeadlineDays ?? 7;
        if (days is < 1 or > 90)
        {
            return ConsentOutcome<RequestId>.Refused($"deadline must be between 1 and 90 days; got {days}");
        }

        var deadline = services.Time.GetUtcNow().AddDays(days);
        return await services.Consent.RequestAsync(principal.Actor, participant, scope, purpose, input.Text ?? string.Empty, deadline, cancellationToken);
    }

    /// <summary>Approves a request with keys given as hex per epoch index (R8.6).</summary>
    /// <param name="services">The services.</param>
    /// <param name="principal">The deciding operator.</param>
    /// <param name="request">The request.</param>
    /// <param name="hexKeys">Key hex by epoch index.</param>
    /// <param name="grantHours">Grant lifetime; the configured default when null.</param>
    /// <param name="cancellationToken">Cancels the history write.</param>
    /// <returns>The grant, or why not.</returns>
    /// <remarks><b>Security:</b> the parsed key bytes are zeroed when the call returns; the service keeps its own copies
    /// only for a grant it made.</remarks>
    public static async Task<ConsentOutcome<GrantId>> ApproveAsync(PortalServices services, PortalPrincipal principal, RequestId request, IReadOnlyDictionary<long, string> hexKeys, int? grantHours, CancellationToken cancellationToken)
    {
        var hours = grantHours ?? services.Options.DefaultGrantHours;
        if (hours is < 1 or > 24 * 90)
        {
            return ConsentOutcome<GrantId>.Refused($"grant hours must be between 1 and 2160; got {hours}");
        }

        if (principal.IsStaff || !Visible(services, principal, request))
        {
            return ConsentOutcome<GrantId>.Refused($"no request {request} of yours");
        }

        var keys = new Dictionary<EpochId, byte[]>();
        try
        {
            foreach (var (index, hex) in hexKeys)
            {
                if (string.IsNullOrWhiteSpace(hex))
                {
                    continue;
                }

                var compact = string.Concat(hex.Where(c => !char.IsWhiteSpace(c)));
                if (compact.Length != EpochKey.Size * 2 || !compact.All(Uri.IsHexDigit))
                {
                    return ConsentOutcome<GrantId>.Refused(string.Create(CultureInfo.InvariantCulture, $"the key of epoch {index} must be {EpochKey.Size * 2} hex digits (as `socs keys unwrap` prints it)"));
                }

                keys[new EpochId(principal.Participant, index)] = Convert.FromHexString(compact);
            }

            return await services.Consent.ApproveAsync(request, principal.Actor, keys, services.Time.GetUtcNow().AddHours(hours), cancellationToken);
        }
        finally
        {
            foreach (var bytes in keys.Values)
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }
    }

    /// <summary>Whether the principal may see a request: staff sees all, an operator its participant's.</summary>
    /// <param name="services">The services.</param>
    /// <param name="principal">Who asks.</param>
    /// <param name="request">The request.</param>
    /// <returns>True when visible (and it exists).</returns>
    public static bool Visible(PortalServices services, PortalPrincipal principal, RequestId request) =>
        services.Consent.Ledger.TryGetRequest(request, out var r) && (principal.IsStaff || r.Participant == principal.Participant);

    /// <summary>R6.2: revokes the certificate the principal presented, at once, and records it.</summary>
    /// <param name="services">The services.</param>
    /// <param name="principal">The operator reporting compromise.</param>
    /// <param name="note">What the operator says happened.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <returns>Null when revoked; otherwise why not.</returns>
    public static async Task<string?> ReportCompromiseAsync(PortalServices services, PortalPrincipal principal, string? note, CancellationToken cancellationToken)
    {
        if (principal.IsStaff)
        {
            return "staff certificates are listed in the configuration (Socs:Portal:Staff); remove the entry to revoke one";
        }

        var reason = string.IsNullOrWhiteSpace(note) ? "compromise reported by the operator" : "compromise reported by the operator: " + note.Trim();
        await services.Registry.AppendAsync([new CertificateRevoked(services.Time.GetUtcNow(), principal.Participant, principal.Thumbprint, reason)], cancellationToken);
        await services.Audit.AppendAsync(principal.HistoryActor, "portal.certificate.revoked", $"certificates/{principal.Participant}/{principal.Thumbprint}", reason + "; renew the certificate (R6.2)", cancellationToken);
        if (services.CertificatesChanged is { } changed)
        {
            try
            {
                // The current epoch's key is wrapped again without the compromised certificate when others remain.
                await changed(principal.Participant, cancellationToken);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
            {
                await services.Audit.AppendAsync("system:keys", "keys.rotation.failed", $"keys/{principal.Participant}", ex.Message, cancellationToken);
            }
        }

        return null;
    }

    /// <summary>Parses a record id.</summary>
    /// <param name="text">32 hex digits (or a GUID form).</param>
    /// <param name="id">The id.</param>
    /// <returns>True when valid.</returns>
    public static bool TryRecordId(string? text, out DetectionId id) => DetectionId.TryParse(text?.Trim(), out id);

    private static bool TryScope(RequestInput input, out ConsentScope scope, out string error)
    {
        scope = null!;
        error = string.Empty;
        var records = input.Records?.SelectMany(r => r.Split([' ', ',', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)).ToList() ?? [];
        if (records.Count > 0)
        {
            var ids = new List<DetectionId>();
            foreach (var text in records)
            {
                if (!TryRecordId(text, out var id))
                {
                    error = $"'{text}' is not a record id";
                    return false;
                }

                ids.Add(id);
            }

            scope = new ConsentScope.RecordList(ids);
            return true;
        }

        if (!TryInstant(input.From, out var from) || !TryInstant(input.To, out var to))
        {
            error = "name record ids, or a time range with from and to (ISO 8601; a date alone is 00:00 JST)";
            return false;
        }

        IPAddress? address = null;
        if (!string.IsNullOrWhiteSpace(input.Address) && !IPAddress.TryParse(input.Address.Trim(), out address))
        {
            error = $"address must be an IP address; got '{input.Address}'";
            return false;
        }

        scope = new ConsentScope.TimeRange(from, to, input.Sid, address);
        return true;
    }

    private static bool TryInstant(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            instant = Core.Time.Jst.At(date);
            return true;
        }

        // A date-time without an offset (an HTML datetime-local field) is JST, the portal's only calendar.
        if (DateTime.TryParseExact(text.Trim(), ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            instant = new DateTimeOffset(local, Core.Time.Jst.Offset).ToUniversalTime();
            return true;
        }

        return DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out instant) && text.Contains('T', StringComparison.Ordinal) && (text.EndsWith('Z') || text.Contains('+', StringComparison.Ordinal) || text.LastIndexOf('-') > 10);
    }

    private static bool TryPurpose(string? text, out Purpose purpose, out string error)
    {
        error = string.Empty;
        purpose = Purpose.Investigation;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (Enum.TryParse(text.Trim(), ignoreCase: true, out purpose) && Enum.IsDefined(purpose))
        {
            return true;
        }

        error = $"purpose must be investigation, research, ownreview or other; got '{text}'";
        return false;
    }
}
