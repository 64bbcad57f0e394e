using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Nii.Socs.Host.Portal;

/// <summary><c>AddSocsPortal()</c> and <c>MapSocsPortal()</c>: the portal's one line each in a host (R4.7, R6).</summary>
/// <remarks>
/// Route groups apply authorization once: participant operators, staff, or either. Each group's filter also writes the
/// operation to the history before the handler runs (R6.4), so a refused attempt is recorded as well as a done one.
/// <para>Edge case: staff opening <c>/detections</c> gets 403 and a <c>portal.…</c> entry saying it was refused; staff
/// reads content only through fault access (R7.2).</para>
/// </remarks>
internal static class PortalEndpoints
{
    /// <summary>Registers the portal's services.</summary>
    /// <param name="services">The container.</param>
    /// <param name="portal">The stores, consent and settings the portal works on.</param>
    /// <returns>The container.</returns>
    public static IServiceCollection AddSocsPortal(this IServiceCollection services, PortalServices portal)
    {
        ArgumentNullException.ThrowIfNull(portal);
        services.AddSingleton(portal);
        services.AddProblemDetails();
        services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(PortalGuard.ConfigureForms);
        return services;
    }

    /// <summary>Runs the portal as a hosted service on the pipeline's stores: the <c>socs serve</c> line (needs
    /// <c>AddSocsPipeline()</c> and <c>AddSocsOptions()</c>).</summary>
    /// <param name="services">The container.</param>
    /// <returns>The container.</returns>
    public static IServiceCollection AddSocsPortalService(this IServiceCollection services)
    {
        services.AddSingleton<PortalHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<PortalHostedService>());
        return services;
    }

    /// <summary>Maps authentication, pages and API.</summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static WebApplication MapSocsPortal(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // The boundary: an unexpected failure becomes ProblemDetails, never a stack trace.
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(PortalGuard.InvokeAsync);
        app.Use(PortalAuthentication.InvokeAsync);
        app.Use(PortalText.Use);

        var anyone = app.MapGroup(string.Empty).AddEndpointFilter(Authorize(_ => true));
        var operators = app.MapGroup(string.Empty).AddEndpointFilter(Authorize(p => !p.IsStaff));
        var staff = app.MapGroup("/staff").AddEndpointFilter(Authorize(p => p.IsStaff));
        anyone.MapGet("/lang/{code}", PortalText.Switch).WithName("language");
        PortalPages.Map(operators, anyone);
        PortalStaffPages.Map(staff);
        PortalProcedurePages.Map(operators, staff);

        var apiAnyone = app.MapGroup("/api").AddEndpointFilter(Authorize(_ => true));
        var apiOperators = app.MapGroup("/api").AddEndpointFilter(Authorize(p => !p.IsStaff));
        var apiStaff = app.MapGroup("/api/staff").AddEndpointFilter(Authorize(p => p.IsStaff));
        PortalApi.Map(apiOperators, apiAnyone, apiStaff);
        return app;
    }

    private static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> Authorize(Func<PortalPrincipal, bool> allowed) =>
        async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            var principal = PortalAuthentication.PrincipalOf(http);
            var services = http.RequestServices.GetRequiredService<PortalServices>();
            var name = http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? "request";
            var ok = allowed(principal);
            await services.Audit.AppendAsync(
                principal.HistoryActor,
                "portal." + name + (ok ? string.Empty : ".refused"),
                PortalAuthentication.SubjectOf(principal, http.Request.Path),
                $"{http.Request.Method} {http.Request.Path}{http.Request.QueryString}",
                http.RequestAborted);
            if (!ok)
            {
                return http.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal)
                    ? TypedResults.Problem(detail: principal.IsStaff ? "this is a participant's page" : "this is a staff page", statusCode: StatusCodes.Status403Forbidden)
                    : Html.Error(principal, StatusCodes.Status403Forbidden, principal.IsStaff ? "This is a participant's page; staff uses the staff pages." : "This page is for organization staff.");
            }

            return await next(invocation);
        };
}
