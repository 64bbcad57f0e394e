using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Nii.Socs.Host.Portal;

/// <summary>The portal's outer middleware: browser hardening headers, request size limits answered with 400/413, and
/// content views refused to cross-site requests (R6.1, R6.4, R8.6).</summary>
/// <remarks>
/// Every response carries <c>Content-Security-Policy: frame-ancestors 'none'</c>, <c>X-Frame-Options: DENY</c>,
/// <c>Cache-Control: no-store</c>, <c>X-Content-Type-Options: nosniff</c> and <c>Referrer-Policy: same-origin</c> (not <c>no-referrer</c>, under which a browser sends <c>Origin: null</c> on the portal's own form posts):
/// no page (the one-click "revoke this certificate" included) can be framed, and no decrypted content or key is kept
/// by a browser or proxy cache. A body over <see cref="MaxRequestBodyBytes"/>, a form over <see cref="MaxFormFields"/>
/// fields or with a field over <see cref="MaxFormFieldBytes"/> is answered 413 (malformed input 400) with a readable
/// page or a problem document, never 500. A content view (<c>/grants/{g}/records/{r}</c>) whose <c>Sec-Fetch-Site</c>
/// says another site started it is refused before it is recorded.
/// <para>Edge case: a response that already started cannot be turned into a 400; such a failure is left to the
/// exception handler.</para>
/// </remarks>
internal static class PortalGuard
{
    /// <summary>The largest request body accepted: 1 MiB.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>The most form fields accepted.</summary>
    public const int MaxFormFields = 256;

    /// <summary>The largest form field accepted: 256 KiB (texts are bounded further by the domain, 4 KiB).</summary>
    public const int MaxFormFieldBytes = 256 * 1024;

    /// <summary>Applies the form limits.</summary>
    /// <param name="options">The form options.</param>
    public static void ConfigureForms(FormOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ValueCountLimit = MaxFormFields;
        options.ValueLengthLimit = MaxFormFieldBytes;
        options.KeyLengthLimit = 1024;
        options.MultipartBodyLengthLimit = MaxRequestBodyBytes;
    }

    /// <summary>The middleware.</summary>
    /// <param name="context">The request.</param>
    /// <param name="next">The rest of the pipeline.</param>
    /// <returns>A task.</returns>
    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = "frame-ancestors 'none'";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } body)
        {
            body.MaxRequestBodySize = MaxRequestBodyBytes;
        }

        if (IsContentView(context.Request.Path) && context.Request.Headers["Sec-Fetch-Site"] is { Count: > 0 } site
            && site.ToString() is not ("same-origin" or "none"))
        {
            if (context.RequestServices.GetService(typeof(PortalServices)) is PortalServices services)
            {
                var source = context.Connection.ClientCertificate is { } c ? Core.Keys.KeyWrapper.Thumbprint(c) : Address(context);
                await services.Refusals.RecordAsync(source, $"{site} {context.Request.Method} {context.Request.Path}: content is opened only from the portal's own pages", context.RequestAborted);
            }

            await WriteAsync(context, StatusCodes.Status403Forbidden, "Content is opened only from the portal's own pages; this request came from another site.");
            return;
        }

        try
        {
            if (context.Request.ContentLength > MaxRequestBodyBytes)
            {
                throw new BadHttpRequestException("The request body is too large.", StatusCodes.Status413PayloadTooLarge);
            }

            await CheckBodyAsync(context);
            await next(context);
        }
        catch (Exception ex) when (!context.Response.HasStarted && StatusOf(ex) is { } status)
        {
            context.Response.Clear();
            await WriteAsync(context, status, status == StatusCodes.Status413PayloadTooLarge
                ? $"The request is too large: at most {MaxRequestBodyBytes / 1024} KiB, {MaxFormFields} form fields, {MaxFormFieldBytes / 1024} KiB per field."
                : "The request is malformed.");
        }
    }

    /// <summary>Reads a form or JSON body once, within the limits, before any handler or history entry: a route that
    /// would not read its body (an unknown id) still answers 413 or 400 for a body it could never accept.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task.</returns>
    /// <exception cref="InvalidDataException">A form exceeds a limit.</exception>
    /// <exception cref="System.Text.Json.JsonException">A JSON body is malformed.</exception>
    private static async Task CheckBodyAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            return;
        }

        if (request.HasFormContentType)
        {
            await request.ReadFormAsync(context.RequestAborted);
        }
        else if (request.HasJsonContentType())
        {
            request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: MaxRequestBodyBytes);
            using (await System.Text.Json.JsonDocument.ParseAsync(request.Body, default, context.RequestAborted))
            {
            }

            request.Body.Position = 0;
        }
    }

    /// <summary>Whether a path opens content: <c>/grants/{g}/records/{r}</c> or its API twin.</summary>
    /// <param name="path">The request path.</param>
    /// <returns>True for a content view.</returns>
    public static bool IsContentView(PathString path)
    {
        var segments = (path.Value ?? string.Empty).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var offset = segments.Length > 0 && segments[0] == "api" ? 1 : 0;
        return segments.Length == offset + 4 && segments[offset] == "grants" && segments[offset + 2] == "records";
    }

    private static string Address(HttpContext context) => (context.Connection.RemoteIpAddress ?? IPAddress.None).ToString();

    private static int? StatusOf(Exception ex) => ex switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        InvalidDataException => StatusCodes.Status413PayloadTooLarge,
        System.Text.Json.JsonException or FormatException => StatusCodes.Status400BadRequest,
        _ => null,
    };

    private static async Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = "frame-ancestors 'none'";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        if (context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(new { status, title = ReasonPhrases(status), detail = message }), context.RequestAborted);
            return;
        }

        context.Response.ContentType = "text/html; charset=utf-8";
        var e = WebUtility.HtmlEncode(message);
        await context.Response.WriteAsync($"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status} {ReasonPhrases(status)}</title></head><body><h1>{status} {ReasonPhrases(status)}</h1><p class=\"error\">{e}</p><p><a href=\"/\">Back to the portal</a></p></body></html>", context.RequestAborted);
    }

    private static string ReasonPhrases(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
