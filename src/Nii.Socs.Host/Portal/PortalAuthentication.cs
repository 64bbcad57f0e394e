using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Host.Portal;

/// <summary>
/// Maps the TLS client certificate of every request to a <see cref="PortalPrincipal"/>, or refuses it (R6.1, R6.2).
/// </summary>
/// <remarks>
/// R6.1/R6.2: the certificate must chain to the portal's CA and its SHA-256 thumbprint must be an active certificate of
/// exactly one participant in the registry, or a configured staff certificate. A revoked, unknown or terminated
/// participant's certificate gets 403 and nothing else. The first request of each TLS connection is recorded as a
/// login (R6.4). A state-changing request whose <c>Origin</c> is not the portal itself (the configured public origin,
/// or the address the connection reached; never the request's <c>Host</c>) is refused, so another site cannot make
/// a browser holding an operator's certificate act for it. Refusals are recorded under the portal's own subject and
/// aggregated per certificate (<see cref="PortalRefusals"/>), so they never show in a participant's history.
/// <para>Edge case: a certificate revoked through "report compromise" on one connection is refused on that same
/// connection's next request: the registry is consulted per request, not per handshake.</para>
/// </remarks>
internal static class PortalAuthentication
{
    private const string LoginItem = "socs.portal.login";

    /// <summary>Resolves a thumbprint against the registry and the staff list.</summary>
    /// <param name="services">The portal's services.</param>
    /// <param name="thumbprint">Lower-case hex SHA-256 thumbprint.</param>
    /// <returns>The principal; null when unknown, revoked or terminated.</returns>
    public static PortalPrincipal? Resolve(PortalServices services, string thumbprint)
    {
        foreach (var (staffThumbprint, name) in services.Options.Staff)
        {
            if (string.Equals(staffThumbprint, thumbprint, StringComparison.OrdinalIgnoreCase))
            {
                return new PortalPrincipal(Actor.Staff(name), thumbprint);
            }
        }

        var today = Jst.DateOf(services.Time.GetUtcNow());
        PortalPrincipal? found = null;
        foreach (var participant in services.Registry.State.Participants.Values)
        {
            if (!participant.Certificates.TryGetValue(thumbprint, out var certificate))
            {
                continue;
            }

            if (found is not null)
            {
                // One certificate, two participants: ambiguous, so nobody (R6.1: exactly one participant).
                return null;
            }

            // R12.1, R12.2, R11.2: the portal stops from the day a termination, revocation or expiry is in effect.
            if (certificate.Status != CertificateStatus.Active || Core.Participants.Procedures.ParticipantProcedures.IsEnded(participant.StatusOn(today)))
            {
                return null;
            }

            found = new PortalPrincipal(Actor.Operator(participant.Id, certificate.OperatorEmail), thumbprint);
        }

        return found;
    }

    /// <summary>The middleware: authenticate, record the login, reject cross-site writes.</summary>
    /// <param name="context">The request.</param>
    /// <param name="next">The rest of the pipeline.</param>
    /// <returns>A task.</returns>
    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var services = context.RequestServices.GetService(typeof(PortalServices)) as PortalServices
            ?? throw new InvalidOperationException("AddSocsPortal was not called.");
        var certificate = context.Connection.ClientCertificate ?? await context.Connection.GetClientCertificateAsync(context.RequestAborted);
        var now = services.Time.GetUtcNow();
        var thumbprint = certificate is null ? null : KeyWrapper.Thumbprint(certificate);
        var principal = certificate is not null && DevelopmentCa.ValidatesClient(services.ClientCa, certificate, now)
            ? Resolve(services, thumbprint!)
            : null;
        if (principal is null)
        {
            // Recorded under the portal's own subject, never a participant's path, and aggregated per source (R6.4).
            await services.Refusals.RecordAsync(
                thumbprint ?? "no-certificate " + context.Connection.RemoteIpAddress,
                (certificate is null ? "no client certificate" : "certificate unknown, revoked, of a terminated participant, or not from the portal CA") + $"; {context.Request.Method} {context.Request.Path}",
                context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("403 Forbidden: this client certificate gives no access.\n", context.RequestAborted);
            return;
        }

        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is not null && !items.ContainsKey(LoginItem))
        {
            items[LoginItem] = true;
            await services.Audit.AppendAsync(principal.HistoryActor, "portal.login", SubjectOf(principal, "/login"), $"certificate {thumbprint}; connection {context.Connection.Id}", context.RequestAborted);
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
            && context.Request.Headers.Origin is { Count: > 0 } origin
            && !IsOwnOrigin(services, context, origin.ToString()))
        {
            await services.Refusals.RecordAsync(thumbprint!, $"cross-site {context.Request.Method} {context.Request.Path} from {origin} with the certificate of {principal.HistoryActor}", context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        context.Items[typeof(PortalPrincipal)] = principal;
        await next(context);
    }

    /// <summary>Whether an <c>Origin</c> is the portal's own: the configured public origin, or the address and port the
    /// connection actually reached (never the request's own <c>Host</c> header, which the sender chooses).</summary>
    /// <param name="services">The portal's services.</param>
    /// <param name="context">The request.</param>
    /// <param name="origin">The <c>Origin</c> header.</param>
    /// <returns>True when the request comes from the portal's own pages.</returns>
    public static bool IsOwnOrigin(PortalServices services, HttpContext context, string origin)
    {
        if (!string.IsNullOrEmpty(services.Options.PublicOrigin))
        {
            return string.Equals(origin, services.Options.PublicOrigin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
        }

        var local = context.Connection.LocalIpAddress;
        var port = context.Connection.LocalPort;
        if (local is null)
        {
            return false;
        }

        var host = local.IsIPv4MappedToIPv6 ? local.MapToIPv4().ToString()
            : local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{local}]" : local.ToString();
        return string.Equals(origin, $"https://{host}:{port}", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.IsLoopback(local) && string.Equals(origin, $"https://localhost:{port}", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The principal of an authenticated request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>The principal.</returns>
    /// <exception cref="InvalidOperationException">The request did not pass the middleware.</exception>
    public static PortalPrincipal PrincipalOf(HttpContext context) =>
        context.Items[typeof(PortalPrincipal)] as PortalPrincipal ?? throw new InvalidOperationException("The request is not authenticated.");

    /// <summary>The history subject of a portal operation: <c>portal/&lt;participant&gt;/…</c> or <c>portal/staff/…</c>.</summary>
    /// <param name="principal">Who.</param>
    /// <param name="path">The path operated on.</param>
    /// <returns>The subject.</returns>
    public static string SubjectOf(PortalPrincipal principal, string? path) =>
        principal.IsStaff ? $"portal/staff{path}" : $"portal/{principal.Participant}{path}";

    /// <summary>Whether the server-side TLS validation accepts a client certificate (chain to the CA only).</summary>
    /// <param name="ca">The CA.</param>
    /// <param name="time">The clock.</param>
    /// <returns>The callback for Kestrel.</returns>
    public static Func<X509Certificate2, X509Chain?, System.Net.Security.SslPolicyErrors, bool> TlsValidator(X509Certificate2 ca, TimeProvider time) =>
        (certificate, _, _) => DevelopmentCa.ValidatesClient(ca, certificate, time.GetUtcNow());
}
