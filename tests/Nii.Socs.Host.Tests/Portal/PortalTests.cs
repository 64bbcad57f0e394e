using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Portal;

[Collection(PortalGroup.Name)]
public sealed class PortalTests(PortalFixture portal)
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    [Fact]
    [Trait("Requirement", "R6.1")]
    public async Task R6_1_a_request_without_a_client_certificate_is_refused_in_the_handshake()
    {
        var client = portal.Client(null);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/api/me"));
    }

    [Fact]
    [Trait("Requirement", "R6.1")]
    public async Task R6_1_a_certificate_of_another_CA_is_refused_in_the_handshake()
    {
        var client = portal.Client(portal.Foreign);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/api/me"));
    }

    [Fact]
    [Trait("Requirement", "R6.1")]
    public async Task R6_1_an_unregistered_certificate_gets_403_and_the_refusal_is_recorded()
    {
        var client = portal.Client(portal.Unregistered);
        var response = await client.GetAsync("/detections");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("SECRET", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(portal.History.Entries(), e => e.Action == "portal.access.refused" && e.Actor == "system:portal" && e.Subject == "portal" && e.Details.StartsWith(portal.Unregistered.Thumbprint, StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Requirement", "R6.1")]
    public async Task R6_1_each_certificate_maps_to_its_operator_or_to_staff()
    {
        var alpha = await portal.Client(portal.Operators[PortalFixture.Alpha]).GetFromJsonAsync<MeDto>("/api/me", s_json);
        Assert.Equal("Operator", alpha!.Kind);
        Assert.Equal("alpha", alpha.Participant);
        Assert.Equal(portal.Operators[PortalFixture.Alpha].Thumbprint, alpha.Thumbprint);
        var staff = await portal.Client(portal.Staff).GetFromJsonAsync<MeDto>("/api/me", s_json);
        Assert.Equal("Staff", staff!.Kind);
        Assert.Null(staff.Participant);
        Assert.Equal("staff:yamada", staff.Actor);
    }

    [Fact]
    [Trait("Requirement", "R4.7")]
    public async Task R4_7_detections_are_newest_first_paged_by_cursor_and_filtered()
    {
        var client = portal.Client(portal.Operators[PortalFixture.Beta]);
        var expected = portal.Records[PortalFixture.Beta].Select(r => r.Record.Id.ToString()).ToList();
        var first = await client.GetFromJsonAsync<DetectionPageDto>("/api/detections", s_json);
        Assert.Equal(4, first!.Detections.Count);
        Assert.NotNull(first.Next);
        var second = await client.GetFromJsonAsync<DetectionPageDto>("/api/detections?cursor=" + Uri.EscapeDataString(first.Next!), s_json);
        Assert.Null(second!.Next);
        Assert.Equal(expected, first.Detections.Concat(second.Detections).Select(d => d.Id).ToList());

        var target = portal.Records[PortalFixture.Beta][3].Record;
        var bySid = await client.GetFromJsonAsync<DetectionPageDto>($"/api/detections?sid={target.Rule.Sid}", s_json);
        Assert.Equal([target.Id.ToString()], bySid!.Detections.Select(d => d.Id));
        var byAddress = await client.GetFromJsonAsync<DetectionPageDto>($"/api/detections?address={target.Header.Destination}", s_json);
        Assert.Equal([target.Id.ToString()], byAddress!.Detections.Select(d => d.Id));

        var bad = await client.GetAsync("/api/detections?address=not-an-address");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_the_first_request_of_a_connection_is_a_login_and_every_action_is_recorded()
    {
        var client = portal.Client(portal.Operators[PortalFixture.Alpha2]);
        var actor = $"operator:alpha-2/{portal.Registry.State.Participants[PortalFixture.Alpha2].Certificates[portal.Operators[PortalFixture.Alpha2].Thumbprint].OperatorEmail}";
        var before = portal.History.Entries().Count(e => e.Actor == actor && e.Action == "portal.login");
        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("/api/detections?sid=" + (2_000_000 + i))).EnsureSuccessStatusCode();
        }

        (await client.GetAsync("/coverage")).EnsureSuccessStatusCode();
        var entries = portal.History.Entries().Where(e => e.Actor == actor).ToList();
        Assert.Equal(before + 1, entries.Count(e => e.Action == "portal.login"));
        for (var i = 0; i < 3; i++)
        {
            Assert.Contains(entries, e => e.Action == "portal.api.detections.list" && e.Details.EndsWith("?sid=" + (2_000_000 + i), StringComparison.Ordinal));
        }

        Assert.Contains(entries, e => e.Action == "portal.coverage.list" && e.Subject == "portal/alpha-2/coverage");
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task R8_6_consent_round_trip_over_https_with_keys_unwrapped_by_the_participant()
    {
        var alpha = portal.Client(portal.Operators[PortalFixture.Alpha]);
        var records = portal.Records[PortalFixture.Alpha];
        var (older, olderContent) = records[^1];   // epoch 1
        var (newer, newerContent) = records[0];    // epoch 2
        var filed = await alpha.PostAsJsonAsync("/api/requests", new RequestInput(null, [older.Id.ToString(), newer.Id.ToString()], null, null, null, null, "ownreview", "look at the payloads", 3), s_json);
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var request = (await filed.Content.ReadFromJsonAsync<RequestDto>(s_json))!;
        Assert.Equal("Pending", request.Status);

        // The participant unwraps each epoch's key with its own private key, from the wrapped.json the portal serves.
        using var privateKey = ParticipantPrivateKey.Load(File.ReadAllBytes(portal.Operators[PortalFixture.Alpha].KeyPath), null);
        var keys = new Dictionary<string, string>();
        foreach (var epoch in new[] { portal.OldEpoch, portal.LiveEpoch })
        {
            var json = await alpha.GetStringAsync($"/api/keys/{epoch}");
            Assert.True(WrappedKeySet.TryParseJson(json, out var set, out var error), error);
            Assert.True(privateKey.TryUnwrap(set, out var key, out var failure), failure.ToString());
            using (key)
            {
                var bytes = new byte[EpochKey.Size];
                key.CopyTo(bytes);
                keys[epoch.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Convert.ToHexStringLower(bytes);
            }
        }

        // A wrong key is refused and recorded; nothing is granted.
        var wrong = new Dictionary<string, string>(keys) { [portal.OldEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new string('a', 64) };
        var refused = await alpha.PostAsJsonAsync($"/api/requests/{request.Id}/approve", new ApprovalDto(wrong, 1), s_json);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(portal.History.Entries(), e => e.Action == "consent.key.refused" && e.Subject == $"consent/{request.Id}");

        // Beta's operator can neither see nor decide alpha's request.
        var beta = portal.Client(portal.Operators[PortalFixture.Beta]);
        Assert.Equal(HttpStatusCode.NotFound, (await beta.PostAsJsonAsync($"/api/requests/{request.Id}/approve", new ApprovalDto(keys, 1), s_json)).StatusCode);

        var approved = await alpha.PostAsJsonAsync($"/api/requests/{request.Id}/approve", new ApprovalDto(keys, 1), s_json);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var grant = (await approved.Content.ReadFromJsonAsync<GrantDto>(s_json))!;
        Assert.Equal([portal.OldEpoch, portal.LiveEpoch], grant.Epochs);

        foreach (var (record, content) in new[] { (older, olderContent), (newer, newerContent) })
        {
            var view = await alpha.GetFromJsonAsync<ContentDto>($"/api/grants/{grant.Id}/records/{record.Id}", s_json);
            Assert.Equal(content, Convert.FromBase64String(view!.Content));
            Assert.Equal(HttpStatusCode.NotFound, (await beta.GetAsync($"/api/grants/{grant.Id}/records/{record.Id}")).StatusCode);
        }

        var page = await (await alpha.GetAsync($"/grants/{grant.Id}/records/{newer.Id}")).Content.ReadAsStringAsync();
        // The hex dump's text column shows 16 bytes a line: the first line is the start of the content.
        Assert.Contains(System.Text.Encoding.ASCII.GetString(newerContent, 0, 16), page, StringComparison.Ordinal);

        // A record outside the grant stays closed.
        var outside = records[1].Record;
        Assert.Equal(HttpStatusCode.Forbidden, (await alpha.GetAsync($"/api/grants/{grant.Id}/records/{outside.Id}")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await alpha.PostAsync($"/api/grants/{grant.Id}/revoke", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alpha.GetAsync($"/api/grants/{grant.Id}/records/{newer.Id}")).StatusCode);
        var history = await alpha.GetFromJsonAsync<HistoryDto[]>("/api/history?limit=1000", s_json);
        // Two views through the API and one through the page, each recorded; the refused ones are not views.
        Assert.Equal(3, history!.Count(e => e.Action == "consent.viewed" && e.Details == $"grant={grant.Id}"));
        Assert.Contains(history!, e => e.Action == "consent.approved" && e.Subject == $"consent/{request.Id}");
        Assert.Contains(history!, e => e.Action == "consent.request.filed" && e.Subject == $"consent/{request.Id}");
        Assert.Contains(history!, e => e.Action == "consent.grant.revoked");
    }

    [Fact]
    [Trait("Requirement", "R7.2")]
    public async Task R7_2_fault_access_reaches_only_a_live_key_and_the_participant_sees_it()
    {
        var staff = portal.Client(portal.Staff);
        var (live, content) = portal.Records[PortalFixture.Alpha][1];  // epoch 2, the live key
        var (destroyed, _) = portal.Records[PortalFixture.Alpha][^2];  // epoch 1, destroyed
        var missingReason = await staff.PostAsJsonAsync("/api/staff/fault-access", new FaultAccessDto("alpha", live.Id.ToString(), " ", "INC-1"), s_json);
        Assert.Equal(HttpStatusCode.Forbidden, missingReason.StatusCode);

        var opened = await staff.PostAsJsonAsync("/api/staff/fault-access", new FaultAccessDto("alpha", live.Id.ToString(), "sensor reassembly fault", "INC-7"), s_json);
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Equal(content, Convert.FromBase64String((await opened.Content.ReadFromJsonAsync<ContentDto>(s_json))!.Content));

        var old = await staff.PostAsJsonAsync("/api/staff/fault-access", new FaultAccessDto("alpha", destroyed.Id.ToString(), "sensor reassembly fault", "INC-7"), s_json);
        Assert.Equal(HttpStatusCode.Forbidden, old.StatusCode);

        var alphaHistory = await portal.Client(portal.Operators[PortalFixture.Alpha]).GetFromJsonAsync<HistoryDto[]>("/api/history?limit=1000", s_json);
        Assert.Contains(alphaHistory!, e => e.Action == "consent.fault-access" && e.Details.Contains("INC-7", StringComparison.Ordinal) && e.Actor == "staff:yamada");
        Assert.Contains(alphaHistory!, e => e.Action == "consent.fault-access.notice" && e.Details.Contains("INC-7", StringComparison.Ordinal));
        var betaHistory = await portal.Client(portal.Operators[PortalFixture.Beta]).GetFromJsonAsync<HistoryDto[]>("/api/history?limit=1000", s_json);
        Assert.DoesNotContain(betaHistory!, e => e.Action.StartsWith("consent.fault-access", StringComparison.Ordinal));

        // A record named under the wrong participant is not stored for it.
        var elsewhere = await staff.PostAsJsonAsync("/api/staff/fault-access", new FaultAccessDto("beta", live.Id.ToString(), "sensor reassembly fault", "INC-7"), s_json);
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "R6.2")]
    public async Task R6_2_reporting_compromise_revokes_the_certificate_at_once()
    {
        var spare = portal.Client(portal.AlphaSpare);
        (await spare.GetAsync("/api/me")).EnsureSuccessStatusCode();
        var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/compromise") { Content = JsonContent.Create(new CompromiseDto("x")) };
        crossSite.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await spare.SendAsync(crossSite)).StatusCode);
        Assert.Equal(CertificateStatus.Active, portal.Registry.State.Participants[PortalFixture.Alpha].Certificates[portal.AlphaSpare.Thumbprint].Status);

        var report = await spare.PostAsJsonAsync("/api/compromise", new CompromiseDto("laptop stolen"), s_json);
        Assert.Equal(HttpStatusCode.NoContent, report.StatusCode);
        Assert.Equal(CertificateStatus.Revoked, portal.Registry.State.Participants[PortalFixture.Alpha].Certificates[portal.AlphaSpare.Thumbprint].Status);

        // Same client, same connection: refused from the very next request.
        Assert.Equal(HttpStatusCode.Forbidden, (await spare.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await portal.Client(portal.AlphaSpare).GetAsync("/detections")).StatusCode);
        Assert.Contains(portal.History.Entries(), e => e.Action == "portal.certificate.revoked" && e.Subject == $"certificates/alpha/{portal.AlphaSpare.Thumbprint}" && e.Details.Contains("laptop stolen", StringComparison.Ordinal));

        // The other operator of alpha is unaffected.
        (await portal.Client(portal.Operators[PortalFixture.Alpha]).GetAsync("/api/me")).EnsureSuccessStatusCode();
    }

    [Fact]
    [Trait("Requirement", "R6.1")]
    public async Task Staff_pages_and_participant_pages_are_separate()
    {
        var staff = portal.Client(portal.Staff);
        Assert.Equal(HttpStatusCode.Forbidden, (await staff.GetAsync("/detections")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await staff.GetAsync("/api/history")).StatusCode);
        var participants = await staff.GetStringAsync("/staff");
        foreach (var p in PortalFixture.All)
        {
            Assert.Contains($"University {p}", participants, StringComparison.Ordinal);
        }

        var all = await staff.GetFromJsonAsync<ParticipantDto[]>("/api/staff/participants", s_json);
        Assert.Equal(3, all!.Length);
        var alpha = portal.Client(portal.Operators[PortalFixture.Alpha]);
        Assert.Equal(HttpStatusCode.Forbidden, (await alpha.GetAsync("/staff")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alpha.GetAsync("/api/staff/participants")).StatusCode);
        Assert.Contains(portal.History.Entries(), e => e.Action == "portal.detections.list.refused" && e.Actor == "staff:yamada");
    }

    [Fact]
    [Trait("Requirement", "R4.7")]
    public async Task Every_page_renders_as_encoded_html()
    {
        var alpha = portal.Client(portal.Operators[PortalFixture.Alpha]);
        var record = portal.Records[PortalFixture.Alpha][^1].Record;
        foreach (var path in new[] { "/", "/detections", $"/detections/{record.Id}", "/requests", "/coverage", "/keys", "/history" })
        {
            var response = await alpha.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            var html = await response.Content.ReadAsStringAsync();
            Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SECRET", html, StringComparison.Ordinal);
        }

        var detail = await alpha.GetStringAsync($"/detections/{record.Id}");
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", detail, StringComparison.Ordinal);
        var download = await alpha.GetAsync($"/keys/{portal.LiveEpoch}/wrapped.json");
        Assert.Equal("application/json", download.Content.Headers.ContentType?.MediaType);
        Assert.True(WrappedKeySet.TryParseJson(await download.Content.ReadAsStringAsync(), out var set, out _));
        Assert.Equal(new EpochId(PortalFixture.Alpha, portal.LiveEpoch), set!.Epoch);
    }

    [Fact]
    [Trait("Requirement", "R5.2")]
    public async Task R5_2_each_participant_sees_only_the_exclusions_that_touch_its_prefixes()
    {
        var alpha = await portal.Client(portal.Operators[PortalFixture.Alpha]).GetFromJsonAsync<GapDto[]>("/api/coverage", s_json);
        Assert.Equal(["x-alpha"], alpha!.Select(g => g.Id));
        var beta = await portal.Client(portal.Operators[PortalFixture.Beta]).GetFromJsonAsync<GapDto[]>("/api/coverage", s_json);
        Assert.Equal(["x-beta"], beta!.Select(g => g.Id));
        var alpha2 = await portal.Client(portal.Operators[PortalFixture.Alpha2]).GetFromJsonAsync<GapDto[]>("/api/coverage", s_json);
        Assert.Empty(alpha2!);
    }

    [Fact]
    [Trait("Requirement", "R8.5")]
    public async Task R8_5_requests_filed_on_the_page_form_show_on_the_list_and_can_be_denied()
    {
        var beta = portal.Client(portal.Operators[PortalFixture.Beta], allowRedirects: false);
        var now = DateTimeOffset.UtcNow;
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["from"] = Core.Time.Jst.ToJst(now.AddDays(-1)).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            ["to"] = Core.Time.Jst.ToJst(now.AddHours(1)).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            ["purpose"] = "investigation",
            ["text"] = "<b>incident</b> follow-up",
            ["deadlineDays"] = "2",
        });
        var posted = await beta.PostAsync("/requests", form);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var location = posted.Headers.Location!.ToString();
        var page = await beta.GetStringAsync(location);
        Assert.Contains("&lt;b&gt;incident&lt;/b&gt;", page, StringComparison.Ordinal);
        Assert.Contains($"Key of epoch beta#{portal.OldEpoch}", page, StringComparison.Ordinal);
        Assert.Contains($"Key of epoch beta#{portal.LiveEpoch}", page, StringComparison.Ordinal);

        var denied = await beta.PostAsync(location + "/deny", new FormUrlEncodedContent(new Dictionary<string, string> { ["reason"] = "not needed" }));
        Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
        Assert.Contains(">Denied<", await beta.GetStringAsync(location), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await portal.Client(portal.Operators[PortalFixture.Alpha]).GetAsync(location)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await portal.Client(portal.Staff).GetAsync(location)).StatusCode);
    }
    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_a_request_staff_files_on_the_staff_form_shows_in_the_participants_history()
    {
        var staff = portal.Client(portal.Staff, allowRedirects: false);
        var record = portal.Records[PortalFixture.Beta][5].Record;
        var posted = await staff.PostAsync("/staff/requests", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["participant"] = "beta",
            ["records"] = record.Id.ToString(),
            ["purpose"] = "investigation",
            ["text"] = "follow-up of a reported incident",
        }));
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var location = posted.Headers.Location!.ToString();
        var requestId = location["/requests/".Length..];
        Assert.Contains("follow-up of a reported incident", await staff.GetStringAsync(location), StringComparison.Ordinal);
        Assert.Contains(requestId, await staff.GetStringAsync("/staff/requests"), StringComparison.Ordinal);
        Assert.Contains("Open for fault handling", await staff.GetStringAsync("/staff/fault-access"), StringComparison.Ordinal);

        var beta = portal.Client(portal.Operators[PortalFixture.Beta]);
        Assert.Contains(requestId, await beta.GetStringAsync("/requests"), StringComparison.Ordinal);
        var history = await beta.GetFromJsonAsync<HistoryDto[]>("/api/history?limit=1000", s_json);
        Assert.Contains(history!, e => e.Action == "consent.request.filed" && e.Actor == "staff:yamada" && e.Subject == $"consent/{requestId}");
        var alphaHistory = await portal.Client(portal.Operators[PortalFixture.Alpha]).GetFromJsonAsync<HistoryDto[]>("/api/history?limit=1000", s_json);
        Assert.DoesNotContain(alphaHistory!, e => e.Subject == $"consent/{requestId}");

        var unknown = await staff.PostAsync("/staff/requests", new FormUrlEncodedContent(new Dictionary<string, string> { ["participant"] = "nobody", ["records"] = record.Id.ToString(), ["text"] = "x" }));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }
}
