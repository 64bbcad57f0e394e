using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary>The portal writes only what happened and answers bad input with 400/413, never 500 (R6.4, R8.5, R8.6).</summary>
[Collection(PortalGroup.Name)]
public sealed class PortalHardeningTests(PortalFixture portal)
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    /// <summary>Every form and API route that takes a body, with the certificate that may use it.</summary>
    public static TheoryData<string, bool, bool> Routes => new()
    {
        { "/requests", false, false },
        { "/requests/00000000000000000000000000000000/approve", false, false },
        { "/requests/00000000000000000000000000000000/deny", false, false },
        { "/grants/00000000000000000000000000000000/revoke", false, false },
        { "/compromise", false, false },
        { "/staff/requests", true, false },
        { "/staff/fault-access", true, false },
        { "/api/requests", false, true },
        { "/api/requests/00000000000000000000000000000000/approve", false, true },
        { "/api/requests/00000000000000000000000000000000/deny", false, true },
        { "/api/grants/00000000000000000000000000000000/revoke", false, true },
        { "/api/compromise", false, true },
        { "/api/staff/requests", true, true },
        { "/api/staff/fault-access", true, true },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    [Trait("Requirement", "R8.5")]
    public async Task R8_5_oversized_and_malformed_input_is_answered_400_or_413_with_a_readable_body(string route, bool staff, bool api)
    {
        var client = portal.Client(staff ? portal.Staff : portal.Operators[PortalFixture.Alpha]);
        var big = new string('x', 5 * 1024 * 1024);
        var ids = string.Join(",", Enumerable.Range(0, 120_000).Select(i => Guid.NewGuid().ToString("N")));
        var bodies = api
            ? new (string What, HttpContent Content)[]
            {
                ("5 MB field", new StringContent(JsonSerializer.Serialize(new { purpose = big, reason = big, note = big }), Encoding.UTF8, "application/json")),
                ("120,000 record ids", new StringContent("{\"participant\":\"alpha\",\"records\":[" + string.Join(",", ids.Split(',').Select(i => "\"" + i + "\"")) + "]}", Encoding.UTF8, "application/json")),
                ("malformed JSON", new StringContent("{\"purpose\": [1, 2", Encoding.UTF8, "application/json")),
            }
            : new (string What, HttpContent Content)[]
            {
                ("5 MB field", new FormUrlEncodedContent([new("purpose", big), new("reason", big), new("note", big)])),
                ("2,000 fields", new FormUrlEncodedContent(Enumerable.Range(0, 2000).Select(i => new KeyValuePair<string, string>("f" + i, "v")))),
                ("120,000 record ids", new FormUrlEncodedContent([new("records", ids)])),
            };
        foreach (var (what, content) in bodies)
        {
            // Expect: 100-continue lets the client read the early 413 instead of failing to write the rest of the body.
            using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = content };
            request.Headers.ExpectContinue = true;
            var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status is 400 or 413, $"{route} with {what}: {status} {body[..Math.Min(body.Length, 200)]}");
            Assert.True(api ? response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true : body.Contains("<p", StringComparison.Ordinal), $"{route} with {what}: not readable: {body[..Math.Min(body.Length, 200)]}");
        }
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_a_refused_certificate_never_writes_into_a_participants_history_and_a_flood_adds_at_most_one_entry()
    {
        var refused = portal.Client(portal.Unregistered);
        var before = portal.History.Entries().Count(e => e.Details.Contains(portal.Unregistered.Thumbprint, StringComparison.Ordinal));
        for (var i = 0; i < 60; i++)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await refused.GetAsync($"/alpha/anything-{i}")).StatusCode);
        }

        var mentions = portal.History.Entries().Where(e => e.Details.Contains(portal.Unregistered.Thumbprint, StringComparison.Ordinal)).ToList();
        Assert.True(mentions.Count - before <= 1, $"{mentions.Count - before} entries for 60 refusals");
        Assert.All(mentions, e => Assert.Equal(("system:portal", "portal"), (e.Actor, e.Subject)));
        foreach (var participant in PortalFixture.All)
        {
            var history = await portal.Client(portal.Operators[participant]).GetFromJsonAsync<HistoryDto[]>("/api/history?limit=1000", s_json);
            Assert.DoesNotContain(history!, e => e.Details.Contains(portal.Unregistered.Thumbprint, StringComparison.Ordinal) || e.Action.StartsWith("portal.access.refused", StringComparison.Ordinal));
        }
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task R8_6_a_content_view_started_by_another_site_is_refused_and_not_recorded_as_a_view()
    {
        var client = portal.Client(portal.Operators[PortalFixture.Beta]);
        var path = $"/grants/{Guid.NewGuid():N}/records/{Guid.NewGuid():N}";
        foreach (var site in new[] { "cross-site", "same-site" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Sec-Fetch-Site", site);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(request)).StatusCode);
        }

        Assert.DoesNotContain(portal.History.Entries(), e => e.Action == "portal.grants.view" && e.Details.Contains(path, StringComparison.Ordinal));
        // From the portal's own page it reaches the handler (which then finds no such grant).
        var own = new HttpRequestMessage(HttpMethod.Get, path);
        own.Headers.Add("Sec-Fetch-Site", "same-origin");
        Assert.NotEqual(HttpStatusCode.Forbidden, (await client.SendAsync(own)).StatusCode);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_pages_cannot_be_framed_or_cached_and_the_latest_checkpoint_is_published()
    {
        var client = portal.Client(portal.Operators[PortalFixture.Alpha]);
        foreach (var page in new[] { "/", "/history", "/keys", "/api/me" })
        {
            var response = await client.GetAsync(page);
            Assert.Equal("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.True(response.Headers.CacheControl?.NoStore, page);
        }

        await portal.History.CheckpointAsync();
        var checkpoint = await client.GetFromJsonAsync<CheckpointDto>("/api/history/checkpoint", s_json);
        Assert.Equal(portal.History.LastCheckpoint!.ToLine(), checkpoint!.Line);
        Assert.Equal(64, checkpoint.PublicKey.Length);
        Assert.Contains(WebUtility.HtmlEncode(checkpoint.Line), await client.GetStringAsync("/history"), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.2")]
    public async Task R6_2_a_write_whose_origin_only_matches_the_host_header_is_refused()
    {
        var client = portal.Client(portal.Operators[PortalFixture.Beta]);
        var forged = new HttpRequestMessage(HttpMethod.Post, "/api/grants/00000000000000000000000000000000/revoke");
        forged.Headers.Host = "evil.example";
        forged.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(forged)).StatusCode);
        var own = new HttpRequestMessage(HttpMethod.Post, "/api/grants/00000000000000000000000000000000/revoke");
        own.Headers.Add("Origin", portal.BaseAddress.ToString().TrimEnd('/'));
        Assert.NotEqual(HttpStatusCode.Forbidden, (await client.SendAsync(own)).StatusCode);
    }
}
