using System.Collections.Immutable;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Host.Portal;
using Nii.Socs.Host.Tests.Inspection;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary>
/// What operators and staff see, in the distribution's Chromium: every portal page in Japanese (the default) and in
/// English, with a screenshot of each, a mail's HTML part and an inspection report into
/// <c>tests/Nii.Socs.Host.Tests/TestResults/screenshots/</c>; and on each page an accessibility check: every input is
/// labelled, every text's contrast against its background is at least 4.5:1 (3:1 when large), every control is
/// reached by the Tab key and shows a focus outline, and the page fits a 1,280 px window.
/// </summary>
[Collection(PortalGroup.Name)]
public sealed partial class PortalLookTests(PortalFixture portal)
{
    private const string Accessibility = """
        () => {
          const problems = [];
          for (const el of document.querySelectorAll('input,select,textarea')) {
            if (el.type === 'hidden') continue;
            const labelled = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
            if (!labelled) problems.push('unlabelled ' + el.outerHTML.slice(0, 80));
          }
          const parse = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(x => parseFloat(x)); return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 }; };
          const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
          const background = el => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c.rgb; } return [255, 255, 255]; };
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          const seen = new Set();
          while (walker.nextNode()) {
            const t = walker.currentNode;
            if (!t.textContent.trim()) continue;
            const el = t.parentElement;
            if (seen.has(el) || el.closest('svg')) continue;
            seen.add(el);
            const st = getComputedStyle(el);
            if (st.visibility === 'hidden' || st.display === 'none' || !el.getClientRects().length) continue;
            const L1 = lum(parse(st.color).rgb), L2 = lum(background(el));
            const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
            const size = parseFloat(st.fontSize), large = size >= 24 || (size >= 18.66 && parseInt(st.fontWeight) >= 700);
            if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)} ${el.tagName} "${t.textContent.trim().slice(0, 30)}"`);
          }
          if (document.documentElement.scrollWidth > window.innerWidth) problems.push(`wider than the window: ${document.documentElement.scrollWidth}px`);
          return problems;
        }
        """;

    private const string TagFocusables = """
        () => {
          const all = [...document.querySelectorAll('a[href],button,input:not([type=hidden]),select,textarea,summary')].filter(e => e.getClientRects().length && !e.disabled);
          all.forEach((e, i) => e.dataset.fi = i);
          return all.length;
        }
        """;

    private static readonly string Shots = ScreenshotDirectory();

    [Fact]
    [Trait("Requirement", "R4.7")]
    public async Task Every_portal_page_in_Japanese_and_English_with_screenshots_and_an_accessibility_check()
    {
        var origin = portal.BaseAddress.ToString().TrimEnd('/');
        var target = portal.Records[PortalFixture.Beta][1].Record;
        foreach (var language in new[] { "ja", "en" })
        {
            await using (var session = await PortalBrowserTests.OpenAsync(portal, portal.Operators[PortalFixture.Beta], language == "ja" ? null : "en"))
            {
                var page = session.Page;
                await page.SetViewportSizeAsync(1280, 900);
                foreach (var (name, path) in new[]
                {
                    ("account", "/"), ("detections", "/detections"), ("detection", $"/detections/{target.Id}"), ("requests", "/requests"),
                    ("coverage", "/coverage"), ("keys", "/keys"), ("history", "/history"),
                })
                {
                    await CheckAsync(page, origin + path, language, name);
                }

                // A request, filed from the detection's page: it links back to the records it covers.
                await page.GotoAsync($"{origin}/detections/{target.Id}");
                await Task.WhenAll(page.WaitForURLAsync(u => u.Contains("/requests/", StringComparison.Ordinal)), page.ClickAsync("#request-this"));
                Assert.True(await page.Locator($"a[href='/detections/{target.Id}']").CountAsync() >= 1);
                await CheckAsync(page, page.Url, language, "request");
            }

            await using (var staff = await PortalBrowserTests.OpenAsync(portal, portal.Staff, language == "ja" ? null : "en"))
            {
                await staff.Page.SetViewportSizeAsync(1280, 900);
                foreach (var (name, path) in new[] { ("staff-participants", "/staff"), ("staff-requests", "/staff/requests"), ("staff-fault-access", "/staff/fault-access") })
                {
                    await CheckAsync(staff.Page, origin + path, language, name);
                }
            }
        }
    }

    [Fact]
    public async Task The_language_switch_is_remembered_and_returns_to_the_same_page()
    {
        var origin = portal.BaseAddress.ToString().TrimEnd('/');
        await using var session = await PortalBrowserTests.OpenAsync(portal, portal.Operators[PortalFixture.Alpha], null);
        var page = session.Page;
        await page.GotoAsync(origin + "/coverage?sort=from&dir=asc");
        Assert.Equal("ja", await page.GetAttributeAsync("html", "lang"));
        Assert.Equal("監視の欠落", await page.InnerTextAsync("h1"));
        await Task.WhenAll(page.WaitForURLAsync(u => u.EndsWith("/coverage?sort=from&dir=asc", StringComparison.Ordinal)), page.ClickAsync("#lang"));
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        Assert.Equal("Coverage gaps", await page.InnerTextAsync("h1"));
        await page.GotoAsync(origin + "/detections");
        Assert.Equal("Detections", await page.InnerTextAsync("h1"));
    }

    [Fact]
    public async Task A_notification_mail_renders_with_links_to_each_detection()
    {
        var at = new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
        var rows = Enumerable.Range(0, 3).Select(i => new NotificationRow(
            DetectionId.New(at.AddSeconds(i)), new("u-tokyo"), at.AddSeconds(i), IPAddress.Parse("198.51.100." + (7 + i)), IPAddress.Parse("192.0.2.10"), 6, (ushort)(44321 + i), 8080,
            2019401, "ET EXPLOIT Apache Struts RCE 試行", "attempted-admin", 1)).ToImmutableArray();
        var mail = new OutboundMail(1, MailKind.Digest, new("u-tokyo"), ["soc@u-tokyo.example"], "1.x@socs.invalid", null, [], at, rows, null, null, null);
        var composed = new MailComposer("https://portal.socs.example/", 200).Compose(mail);
        await using var session = await PortalBrowserTests.OpenAsync(portal, portal.Operators[PortalFixture.Alpha], null);
        var page = session.Page;
        await page.SetViewportSizeAsync(1000, 700);
        await page.SetContentAsync(composed.Html);
        Assert.Equal(3, await page.Locator("a[href^='https://portal.socs.example/detections/']").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Shots, "mail-digest.png"), FullPage = true });
        Assert.Empty(await page.EvaluateAsync<string[]>(Accessibility));
    }

    [Fact]
    [Trait("Requirement", "R13.1")]
    public async Task The_inspection_report_renders_with_labelled_charts()
    {
        using var data = await InspectionFixture.CreateAsync(lateDestruction: true);
        var report = Path.Combine(data.Path, "report.html");
        Assert.Equal(1, Cli.Cli.Run(new FakeTimeProvider(InspectionFixture.Now), "inspect", "--data", data.Path, "--year", "2026", "--out", report).ExitCode);
        await using var session = await PortalBrowserTests.OpenAsync(portal, portal.Operators[PortalFixture.Alpha], null);
        var page = session.Page;
        await page.SetViewportSizeAsync(1280, 900);
        await page.GotoAsync(new Uri(report).AbsoluteUri);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Shots, "inspection-report.png"), FullPage = true });
        Assert.True(await page.Locator("svg text.axis-title").CountAsync() >= 4, "each chart labels both axes");
        Assert.Empty(await page.EvaluateAsync<string[]>(Accessibility));
    }

    private static async Task CheckAsync(IPage page, string url, string language, string name)
    {
        var response = await page.GotoAsync(url);
        Assert.True(response!.Status == 200, $"{url}: {response.Status}");
        Assert.Equal(language, await page.GetAttributeAsync("html", "lang"));
        var title = await page.InnerTextAsync("h1");
        Assert.True(language == "en" ? !Japanese().IsMatch(title) : Japanese().IsMatch(title), $"{url} in {language}: h1 '{title}'");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Shots, $"portal-{language}-{name}.png"), FullPage = true });

        var problems = await page.EvaluateAsync<string[]>(Accessibility);
        Assert.True(problems.Length == 0, $"{url} in {language}: {string.Join("; ", problems)}");

        // Every control is reached with the Tab key, and shows where the focus is.
        var count = await page.EvaluateAsync<int>(TagFocusables);
        var reached = new HashSet<string>(StringComparer.Ordinal);
        await page.EvaluateAsync("() => document.activeElement && document.activeElement.blur()");
        for (var i = 0; i < count + 20 && reached.Count < count; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focus = await page.EvaluateAsync<string[]>("() => { const e = document.activeElement; return [e && e.dataset.fi || '', e ? getComputedStyle(e).outlineStyle : 'none', e ? e.outerHTML.slice(0, 80) : '']; }");
            if (focus[0].Length > 0)
            {
                Assert.True(focus[1] != "none", $"{url}: focus on {focus[2]} shows no outline");
                reached.Add(focus[0]);
            }
        }

        Assert.True(reached.Count == count, $"{url} in {language}: Tab reached {reached.Count} of {count} controls");
    }

    private static string ScreenshotDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Nii.Socs.Host.Tests.csproj")))
        {
            dir = dir.Parent;
        }

        var path = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(path);
        return path;
    }

    [GeneratedRegex(@"[\p{IsHiragana}\p{IsKatakana}\p{IsCJKUnifiedIdeographs}]")]
    private static partial Regex Japanese();
}
