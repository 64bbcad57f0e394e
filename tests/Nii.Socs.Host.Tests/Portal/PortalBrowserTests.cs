using Microsoft.Playwright;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary>
/// The main pages in a real browser: the distribution's headless Chromium driven by Playwright for .NET, presenting
/// operator client certificates to the real Kestrel portal. No browser is downloaded.
/// </summary>
[Collection(PortalGroup.Name)]
public sealed class PortalBrowserTests(PortalFixture portal)
{
    internal const string Chromium = "/usr/bin/chromium";

    private static readonly string[] s_args =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    [Fact]
    [Trait("Requirement", "R4.7")]
    public async Task R4_7_an_operator_browses_filters_and_files_a_request_in_chromium()
    {
        await using var session = await OpenAsync(portal.Operators[PortalFixture.Beta]);
        var page = session.Page;
        var origin = portal.BaseAddress.ToString().TrimEnd('/');

        var response = await page.GotoAsync(origin + "/detections");
        Assert.Equal(200, response!.Status);
        Assert.Equal("Detections", await page.InnerTextAsync("h1"));
        Assert.Equal(4, await page.Locator("#detections tr").CountAsync() - 1);
        Assert.True(await page.Locator("#next-page").IsVisibleAsync());

        var target = portal.Records[PortalFixture.Beta][2].Record;
        await page.FillAsync("input[name=address]", target.Header.Destination.ToString());
        await ClickAndWaitAsync(page, "#filter", url => url.Contains("address=", StringComparison.Ordinal));
        Assert.Contains("address=" + target.Header.Destination, page.Url, StringComparison.Ordinal);
        Assert.Equal(1, await page.Locator("#detections tr").CountAsync() - 1);

        await ClickAndWaitAsync(page, "#detections tbody a", url => url.EndsWith($"/detections/{target.Id}", StringComparison.Ordinal));
        Assert.EndsWith($"/detections/{target.Id}", page.Url, StringComparison.Ordinal);
        Assert.Contains(target.Id.ToString(), await page.InnerTextAsync("main"), StringComparison.Ordinal);

        await ClickAndWaitAsync(page, "#request-this", url => url.Contains("/requests/", StringComparison.Ordinal));
        Assert.Contains("/requests/", page.Url, StringComparison.Ordinal);
        Assert.Equal("Decryption request", await page.InnerTextAsync("h1"));
        Assert.Contains($"Key of epoch {target.Epoch}", await page.InnerTextAsync("main"), StringComparison.Ordinal);

        foreach (var (path, title) in new[] { ("/coverage", "Coverage gaps"), ("/keys", "Wrapped keys"), ("/history", "Operation history"), ("/requests", "Decryption requests") })
        {
            Assert.Equal(200, (await page.GotoAsync(origin + path))!.Status);
            Assert.Equal(title, await page.InnerTextAsync("h1"));
        }

        Assert.Contains("overload at the beta connection point", await ContentOfAsync(page, origin + "/coverage"), StringComparison.Ordinal);
        Assert.Contains("portal.requests.file", await ContentOfAsync(page, origin + "/history"), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    public async Task R8_6_an_operator_approves_by_pasting_the_unwrapped_key_and_reads_the_content_in_chromium()
    {
        var who = portal.Operators[PortalFixture.Alpha2];
        var (record, content) = portal.Records[PortalFixture.Alpha2][4];
        using var privateKey = Core.Keys.ParticipantPrivateKey.Load(File.ReadAllBytes(who.KeyPath), null);
        Assert.True(new Core.Storage.Keys.FileKeyStore(portal.DataDirectory).TryLoadWrappedSet(record.Epoch, out var set));
        Assert.True(privateKey.TryUnwrap(set, out var key, out var failure), failure.ToString());
        var bytes = new byte[Core.Keys.EpochKey.Size];
        using (key)
        {
            key.CopyTo(bytes);
        }

        await using var session = await OpenAsync(who);
        var page = session.Page;
        await page.GotoAsync(portal.BaseAddress + $"detections/{record.Id}");
        await ClickAndWaitAsync(page, "#request-this", url => url.Contains("/requests/", StringComparison.Ordinal));
        await page.FillAsync($"input[name=key-{record.Epoch.Index}]", Convert.ToHexStringLower(bytes));
        await ClickAndWaitAsync(page, "#approve", _ => true);
        await page.WaitForSelectorAsync("#grant-records a");
        await ClickAndWaitAsync(page, "#grant-records a", url => url.Contains("/grants/", StringComparison.Ordinal));
        Assert.Equal("Content", await page.InnerTextAsync("h1"));
        Assert.Contains(System.Text.Encoding.ASCII.GetString(content, 0, 16), await page.InnerTextAsync("#content"), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.1")]
    public async Task R6_1_staff_sees_every_participant_in_chromium()
    {
        await using var session = await OpenAsync(portal.Staff);
        var origin = portal.BaseAddress.ToString().TrimEnd('/');
        var text = await ContentOfAsync(session.Page, origin + "/staff");
        foreach (var p in PortalFixture.All)
        {
            Assert.Contains($"University {p}", text, StringComparison.Ordinal);
        }

        Assert.Equal(403, (await session.Page.GotoAsync(origin + "/detections"))!.Status);
    }

    private static Task ClickAndWaitAsync(IPage page, string selector, Func<string, bool> arrived) =>
        Task.WhenAll(page.WaitForURLAsync(arrived), page.ClickAsync(selector));

    private static async Task<string> ContentOfAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        return await page.InnerTextAsync("main");
    }

    private Task<BrowserSession> OpenAsync(Nii.Socs.Host.Portal.IssuedCertificate certificate) => OpenAsync(portal, certificate, "en");

    /// <summary>A headless Chromium presenting a client certificate; <paramref name="language"/> sets the language cookie (null: the default, Japanese).</summary>
    internal static async Task<BrowserSession> OpenAsync(PortalFixture portal, Nii.Socs.Host.Portal.IssuedCertificate certificate, string? language)
    {
        // The distribution's Chromium only: Playwright must never fetch a browser of its own.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run scripts/install-deps.sh");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = s_args });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            // The portal's server certificate is from the development CA, which this browser profile does not trust;
            // the HTTP client tests check the server chain against that CA.
            IgnoreHTTPSErrors = true,
            ClientCertificates =
            [
                new ClientCertificate { Origin = portal.BaseAddress.ToString().TrimEnd('/'), CertPath = certificate.CertificatePath, KeyPath = certificate.KeyPath },
            ],
        });
        // A hang guard, not a speed assertion: two cores are shared with other test runs.
        context.SetDefaultTimeout(120_000);
        context.SetDefaultNavigationTimeout(120_000);
        if (language is not null)
        {
            await context.AddCookiesAsync([new Cookie { Name = Nii.Socs.Host.Portal.PortalText.Cookie, Value = language, Url = portal.BaseAddress.ToString().TrimEnd('/') }]);
        }

        var page = await context.NewPageAsync();
        return new BrowserSession(playwright, browser, page);
    }

    internal sealed record BrowserSession(IPlaywright Playwright, IBrowser Browser, IPage Page) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Browser.CloseAsync();
            Playwright.Dispose();
        }
    }
}
