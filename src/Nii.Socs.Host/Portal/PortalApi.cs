using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;

namespace Nii.Socs.Host.Portal;

/// <summary>The JSON API that mirrors the pages under <c>/api</c> (R4.7); errors are <c>ProblemDetails</c>.</summary>
/// <remarks>
/// Same scoping as the pages: the route group admits the principal, and every read goes through
/// <see cref="PortalQueries"/> with the principal's participant. Edge case: another participant's record, request,
/// key or grant is 404, exactly as one that does not exist.
/// </remarks>
internal static class PortalApi
{
    /// <summary>Maps the API.</summary>
    /// <param name="operators">Operators only, under <c>/api</c>.</param>
    /// <param name="anyone">Operators and staff, under <c>/api</c>.</param>
    /// <param name="staff">Staff only, under <c>/api/staff</c>.</param>
    public static void Map(RouteGroupBuilder operators, RouteGroupBuilder anyone, RouteGroupBuilder staff)
    {
        anyone.MapGet("/me", Me).WithName("api.me");
        operators.MapGet("/detections", Detections).WithName("api.detections.list");
        operators.MapGet("/detections/{id}", Detection).WithName("api.detections.show");
        operators.MapGet("/requests", Requests).WithName("api.requests.list");
        operators.MapPost("/requests", FileRequest).WithName("api.requests.file");
        anyone.MapGet("/requests/{id}", Request).WithName("api.requests.show");
        operators.MapPost("/requests/{id}/approve", Approve).WithName("api.requests.approve");
        operators.MapPost("/requests/{id}/deny", Deny).WithName("api.requests.deny");
        operators.MapPost("/grants/{id}/revoke", Revoke).WithName("api.grants.revoke");
        anyone.MapGet("/grants/{grant}/records/{record}", View).WithName("api.grants.view");
        operators.MapGet("/coverage", Coverage).WithName("api.coverage.list");
        operators.MapGet("/keys", Keys).WithName("api.keys.list");
        operators.MapGet("/keys/{epoch}", Key).WithName("api.keys.download");
        operators.MapGet("/history", History).WithName("api.history.list");
        anyone.MapGet("/history/checkpoint", Checkpoint).WithName("api.history.checkpoint");
        operators.MapPost("/compromise", Compromise).WithName("api.certificate.compromise");
        staff.MapGet("/participants", Participants).WithName("api.staff.participants");
        staff.MapGet("/requests", AllRequests).WithName("api.staff.requests.list");
        staff.MapPost("/requests", FileRequest).WithName("api.staff.requests.file");
        staff.MapPost("/fault-access", FaultAccess).WithName("api.staff.fault.open");
    }

    private static ProblemHttpResult Problem(int status, string detail) => TypedResults.Problem(detail: detail, statusCode: status);

    private static Ok<MeDto> Me(HttpContext http)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        return TypedResults.Ok(new MeDto(p.HistoryActor, p.Actor.Kind.ToString(), p.Actor.Participant?.Value, p.Thumbprint));
    }

    private static async Task<Results<Ok<DetectionPageDto>, ProblemHttpResult>> Detections(HttpContext http, PortalServices services, string? sid, string? address, string? cursor)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!PortalQueries.TryParseFilter(sid, address, cursor, out var filter, out var error))
        {
            return Problem(StatusCodes.Status400BadRequest, error);
        }

        var page = await PortalQueries.DetectionsAsync(services, p.Participant, filter, http.RequestAborted);
        return TypedResults.Ok(new DetectionPageDto([.. page.Records.Select(DetectionDto.From)], page.Next?.ToString()));
    }

    private static async Task<Results<Ok<DetectionDto>, ProblemHttpResult>> Detection(HttpContext http, PortalServices services, string id)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        return PortalActions.TryRecordId(id, out var recordId) && await services.Detections.FindAsync(p.Participant, recordId, http.RequestAborted) is { } r
            ? TypedResults.Ok(DetectionDto.From(r))
            : Problem(StatusCodes.Status404NotFound, $"no detection {id}");
    }

    private static Ok<RequestDto[]> Requests(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var ledger = services.Consent.Ledger;
        var now = services.Time.GetUtcNow();
        return TypedResults.Ok(PortalQueries.Requests(ledger, p.Participant).Select(r => RequestDto.From(ledger, r, now)).ToArray());
    }

    private static Ok<RequestDto[]> AllRequests(PortalServices services)
    {
        var ledger = services.Consent.Ledger;
        var now = services.Time.GetUtcNow();
        return TypedResults.Ok(PortalQueries.Requests(ledger, null).Select(r => RequestDto.From(ledger, r, now)).ToArray());
    }

    private static async Task<Results<Created<RequestDto>, ProblemHttpResult>> FileRequest(HttpContext http, PortalServices services, RequestInput input)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var outcome = await PortalActions.FileRequestAsync(services, p, input, http.RequestAborted);
        if (!outcome.Succeeded)
        {
            return Problem(StatusCodes.Status400BadRequest, outcome.Error!);
        }

        var ledger = services.Consent.Ledger;
        ledger.TryGetRequest(outcome.Value, out var r);
        return TypedResults.Created($"/api/requests/{outcome.Value}", RequestDto.From(ledger, r, services.Time.GetUtcNow()));
    }

    private static Results<Ok<RequestDto>, ProblemHttpResult> Request(HttpContext http, PortalServices services, string id)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!RequestId.TryParse(id, out var requestId) || !PortalActions.Visible(services, p, requestId))
        {
            return Problem(StatusCodes.Status404NotFound, $"no request {id}");
        }

        var ledger = services.Consent.Ledger;
        ledger.TryGetRequest(requestId, out var r);
        return TypedResults.Ok(RequestDto.From(ledger, r, services.Time.GetUtcNow()));
    }

    private static async Task<Results<Ok<GrantDto>, ProblemHttpResult>> Approve(HttpContext http, PortalServices services, string id, ApprovalDto approval)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!RequestId.TryParse(id, out var requestId) || !PortalActions.Visible(services, p, requestId))
        {
            return Problem(StatusCodes.Status404NotFound, $"no request {id}");
        }

        var outcome = await PortalActions.ApproveAsync(services, p, requestId, approval.KeysByIndex(), approval.GrantHours, http.RequestAborted);
        if (!outcome.Succeeded)
        {
            return Problem(StatusCodes.Status400BadRequest, outcome.Error!);
        }

        services.Consent.Ledger.TryGetGrant(outcome.Value, out var grant);
        return TypedResults.Ok(GrantDto.From(grant, services.Time.GetUtcNow()));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Deny(HttpContext http, PortalServices services, string id, DenialDto denial)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!RequestId.TryParse(id, out var requestId) || !PortalActions.Visible(services, p, requestId))
        {
            return Problem(StatusCodes.Status404NotFound, $"no request {id}");
        }

        var error = await services.Consent.DenyAsync(requestId, p.Actor, denial.Reason ?? string.Empty, http.RequestAborted);
        return error is null ? TypedResults.NoContent() : Problem(StatusCodes.Status400BadRequest, error);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(HttpContext http, PortalServices services, string id)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!GrantId.TryParse(id, out var grantId) || !services.Consent.Ledger.TryGetGrant(grantId, out var grant) || grant.Participant != p.Participant)
        {
            return Problem(StatusCodes.Status404NotFound, $"no grant {id}");
        }

        var error = await services.Consent.RevokeAsync(grantId, p.Actor, http.RequestAborted);
        return error is null ? TypedResults.NoContent() : Problem(StatusCodes.Status400BadRequest, error);
    }

    private static async Task<Results<Ok<ContentDto>, ProblemHttpResult>> View(HttpContext http, PortalServices services, string grant, string record)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!GrantId.TryParse(grant, out var grantId) || !PortalActions.TryRecordId(record, out var recordId)
            || !services.Consent.Ledger.TryGetGrant(grantId, out var g) || g.Grantee != p.Actor)
        {
            return Problem(StatusCodes.Status404NotFound, $"no grant {grant} of yours");
        }

        var outcome = await services.Consent.ViewAsync(grantId, p.Actor, recordId, http.RequestAborted);
        return outcome.Succeeded
            ? TypedResults.Ok(new ContentDto(recordId.ToString(), Convert.ToBase64String(outcome.Value!)))
            : Problem(StatusCodes.Status403Forbidden, outcome.Error!);
    }

    private static Ok<GapDto[]> Coverage(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        return TypedResults.Ok(PortalQueries.CoverageGaps(services.Registry.State, p.Participant).Select(GapDto.Of).ToArray());
    }

    private static Ok<WrappedKeyDto[]> Keys(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        return TypedResults.Ok(PortalQueries.WrappedKeys(services, p.Participant)
            .Select(s => new WrappedKeyDto(s.Epoch.Index, [.. s.Wrapped.Select(w => w.Thumbprint)], string.Create(CultureInfo.InvariantCulture, $"/api/keys/{s.Epoch.Index}")))
            .ToArray());
    }

    private static Results<FileContentHttpResult, ProblemHttpResult> Key(HttpContext http, PortalServices services, string epoch)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        return long.TryParse(epoch, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index) && services.Keys.TryLoadWrappedSet(new EpochId(p.Participant, index), out var set)
            ? TypedResults.File(Encoding.UTF8.GetBytes(set.ToJson()), "application/json", string.Create(CultureInfo.InvariantCulture, $"{p.Participant}-{index}-wrapped.json"))
            : Problem(StatusCodes.Status404NotFound, $"no wrapped key of epoch {epoch}");
    }

    private static Ok<HistoryDto[]> History(HttpContext http, PortalServices services, long? before, int? limit)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        return TypedResults.Ok(PortalQueries.History(services, p.Participant, before, Math.Clamp(limit ?? 100, 1, 1000)).Select(HistoryDto.From).ToArray());
    }

    /// <summary>The latest signed checkpoint and the key that signs them: a participant keeps its own copy, the witness
    /// the organization does not control, and later checks that the history still extends it (R6.4).</summary>
    private static Results<Ok<CheckpointDto>, ProblemHttpResult> Checkpoint(PortalServices services) =>
        services.SignedHistory?.LastCheckpoint is { } c
            ? TypedResults.Ok(CheckpointDto.From(c, services.SignedHistory.SigningPublicKey))
            : Problem(StatusCodes.Status404NotFound, "no checkpoint has been signed yet");

    private static async Task<Results<NoContent, ProblemHttpResult>> Compromise(HttpContext http, PortalServices services, CompromiseDto? report)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var error = await PortalActions.ReportCompromiseAsync(services, p, report?.Note, http.RequestAborted);
        return error is null ? TypedResults.NoContent() : Problem(StatusCodes.Status400BadRequest, error);
    }

    private static Ok<ParticipantDto[]> Participants(PortalServices services) =>
        TypedResults.Ok(services.Registry.State.Participants.Values.OrderBy(x => x.Id.Value, StringComparer.Ordinal)
            .Select(x => new ParticipantDto(x.Id.Value, x.Name, [.. x.Prefixes.Select(p => p.ToString())], [.. x.Contacts], x.Certificates.Values.Count(c => c.Status == CertificateStatus.Active), x.Certificates.Count, x.TerminatedFrom))
            .ToArray());

    private static async Task<Results<Ok<ContentDto>, ProblemHttpResult>> FaultAccess(HttpContext http, PortalServices services, FaultAccessDto access)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!ParticipantId.IsValid(access.Participant) || !PortalActions.TryRecordId(access.Record, out var record))
        {
            return Problem(StatusCodes.Status400BadRequest, "name a participant id and a record id");
        }

        var outcome = await services.Consent.FaultAccessAsync(new ParticipantId(access.Participant!), record, p.Actor, access.Reason ?? string.Empty, access.Incident ?? string.Empty, http.RequestAborted);
        return outcome.Succeeded
            ? TypedResults.Ok(new ContentDto(record.ToString(), Convert.ToBase64String(outcome.Value!)))
            : Problem(StatusCodes.Status403Forbidden, outcome.Error!);
    }
}
