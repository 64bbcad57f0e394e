using System.Net;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Participants;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary>R4.7 over the real portal: no operator reads another participant's detection, request, key or history.</summary>
[Collection(PortalGroup.Name)]
public sealed class PortalAuthorizationProperties(PortalFixture portal)
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private static readonly Lock s_gate = new();
    private static readonly Dictionary<ParticipantId, string> s_requests = [];

    private static readonly string[] s_kinds =
    [
        "api-detection", "page-detection", "api-request", "page-request", "api-key", "page-key",
        "api-history", "page-history", "api-detections-by-owner-address", "api-grant-view", "page-approve", "api-deny",
    ];

    [Property(MaxTest = 60)]
    [Trait("Requirement", "R4.7")]
    public Property R4_7_no_operator_reads_another_participants_detection_request_key_or_history(NonNegativeInt viewerPick, NonNegativeInt ownerPick, NonNegativeInt kindPick, NonNegativeInt recordPick)
    {
        var viewer = PortalFixture.All[viewerPick.Get % PortalFixture.All.Length];
        var others = PortalFixture.All.Where(p => p != viewer).ToArray();
        var owner = others[ownerPick.Get % others.Length];
        var kind = s_kinds[kindPick.Get % s_kinds.Length];
        var (record, content) = portal.Records[owner][recordPick.Get % PortalFixture.RecordsPerParticipant];
        var client = portal.Client(portal.Operators[viewer]);
        var requestId = RequestOf(owner);

        var (method, path) = kind switch
        {
            "api-detection" => ("GET", $"/api/detections/{record.Id}"),
            "page-detection" => ("GET", $"/detections/{record.Id}"),
            "api-request" => ("GET", $"/api/requests/{requestId}"),
            "page-request" => ("GET", $"/requests/{requestId}"),
            "api-key" => ("GET", $"/api/keys/{record.Epoch.Index}"),
            "page-key" => ("GET", $"/keys/{record.Epoch.Index}/wrapped.json"),
            "api-history" => ("GET", "/api/history?limit=1000"),
            "page-history" => ("GET", "/history"),
            "api-detections-by-owner-address" => ("GET", $"/api/detections?address={record.Header.Destination}"),
            "api-grant-view" => ("GET", $"/api/grants/{requestId}/records/{record.Id}"),
            "page-approve" => ("POST", $"/requests/{requestId}/approve"),
            _ => ("POST", $"/api/requests/{requestId}/deny"),
        };
        using var message = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            message.Content = kind == "page-approve"
                ? new FormUrlEncodedContent(new Dictionary<string, string> { ["key-1"] = new string('0', 64) })
                : new StringContent("{\"reason\":\"not yours\"}", System.Text.Encoding.UTF8, "application/json");
        }

        var response = client.SendAsync(message).GetAwaiter().GetResult();
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        var ownerThumbprint = portal.Operators[owner].Thumbprint;

        // The viewer's own history records the paths it tried (an id it typed is its own operation, R6.4), so a
        // record id there is no leak; whether an entry of the owner shows is checked by leaksOwner.
        var leaksRecord = !kind.Contains("history", StringComparison.Ordinal)
            && body.Contains(record.Id.ToString(), StringComparison.Ordinal) && !path.Contains(record.Id.ToString(), StringComparison.Ordinal);
        var leaksContent = body.Contains(System.Text.Encoding.ASCII.GetString(content), StringComparison.Ordinal);
        var leaksOwner = body.Contains($"\"participant\":\"{owner}\"", StringComparison.Ordinal)
            || body.Contains(ownerThumbprint, StringComparison.Ordinal)
            || body.Contains($"operator:{owner}/", StringComparison.Ordinal)
            || body.Contains($"consent/{requestId}", StringComparison.Ordinal)
            || body.Contains($"detections/{owner}/", StringComparison.Ordinal)
            || body.Contains($"participant/{owner}", StringComparison.Ordinal)
            || body.Contains($"portal/{owner}/", StringComparison.Ordinal);
        var status = response.StatusCode;
        var statusOk = kind switch
        {
            // Scoped by the principal: the viewer gets its own data or an empty list, never the owner's.
            "api-key" or "page-key" or "api-history" or "page-history" or "api-detections-by-owner-address" => status == HttpStatusCode.OK,
            _ => status == HttpStatusCode.NotFound,
        };
        var decided = portal.Consent.Ledger.StatusOf(requestId, DateTimeOffset.UtcNow) != RequestStatus.Pending;

        return (statusOk && !leaksRecord && !leaksContent && !leaksOwner && !decided)
            .Label($"{viewer} → {owner} {kind} {method} {path}: {(int)status}; statusOk={statusOk} leaksRecord={leaksRecord} leaksContent={leaksContent} leaksOwner={leaksOwner} decided={decided}")
            .Classify(kind.StartsWith("api", StringComparison.Ordinal), "api")
            .Classify(viewer == PortalFixture.Alpha && owner == PortalFixture.Alpha2, "alpha reads alpha-2 (prefix-named)")
            .Collect(kind);
    }

    private RequestId RequestOf(ParticipantId owner)
    {
        lock (s_gate)
        {
            if (!s_requests.TryGetValue(owner, out var id))
            {
                var client = portal.Client(portal.Operators[owner]);
                var response = client.PostAsync(
                    "/api/requests",
                    new StringContent("{\"records\":[\"" + portal.Records[owner][0].Record.Id + "\"],\"purpose\":\"ownreview\",\"text\":\"own check\",\"deadlineDays\":30}", System.Text.Encoding.UTF8, "application/json"))
                    .GetAwaiter().GetResult();
                response.EnsureSuccessStatusCode();
                id = JsonSerializer.Deserialize<RequestDto>(response.Content.ReadAsStringAsync().GetAwaiter().GetResult(), s_json)!.Id;
                s_requests[owner] = id;
            }

            Assert.True(RequestId.TryParse(id, out var requestId));
            return requestId;
        }
    }
}
