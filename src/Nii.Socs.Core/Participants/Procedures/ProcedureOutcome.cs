using System.Collections.Immutable;
using Nii.Socs.Core.Participants.Registry;

namespace Nii.Socs.Core.Participants.Procedures;

/// <summary>The outcome of one procedure: the registry events to append and what to record and mail, or every error with its field.</summary>
/// <remarks>A refused procedure has no events: nothing changes. An accepted one carries the receipt instant and the
/// instant from which the organization processes it (the next service window when received outside service hours, R10.2).</remarks>
internal sealed class ProcedureOutcome
{
    internal ProcedureOutcome(IReadOnlyList<ValidationError> errors)
    {
        Errors = errors;
        Events = [];
        Action = string.Empty;
        Subject = string.Empty;
        Details = string.Empty;
        NotifyTo = [];
    }

    internal ProcedureOutcome(IReadOnlyList<RegistryEvent> events, string action, string subject, string details, ProcessingTimes times, ParticipantId participant, ImmutableArray<string> notifyTo, ProcedureNotice notice)
    {
        Errors = [];
        Events = events;
        Action = action;
        Subject = subject;
        Details = details;
        ReceivedAt = times.ReceivedAt;
        ProcessedFrom = times.ProcessedFrom;
        OutsideServiceHours = times.Outside;
        Participant = participant;
        NotifyTo = notifyTo;
        Notice = notice;
    }

    /// <summary>Whether the procedure was accepted.</summary>
    public bool IsAccepted => Errors.Count == 0;

    /// <summary>Every error, with the field it concerns; empty when accepted.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    /// <summary>The registry events to append, in order; empty when refused.</summary>
    public IReadOnlyList<RegistryEvent> Events { get; }

    /// <summary>The operation-history action, such as <c>registry.application.submitted</c>.</summary>
    public string Action { get; }

    /// <summary>The operation-history subject, such as <c>application/app-0001</c> or <c>participant/u-tokyo</c>.</summary>
    public string Subject { get; }

    /// <summary>The operation-history details: what was decided, with the receipt and processing instants.</summary>
    public string Details { get; }

    /// <summary>When the procedure was received (UTC).</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>From when the organization processes it (UTC): <see cref="ReceivedAt"/> inside service hours, else the start of the next service window (R10.2).</summary>
    public DateTimeOffset ProcessedFrom { get; }

    /// <summary>Whether it was received outside service hours (R10.2).</summary>
    public bool OutsideServiceHours { get; }

    /// <summary>The participant it concerns; null when refused.</summary>
    public ParticipantId? Participant { get; }

    /// <summary>The id of the application, exclusion or other record it created or decided, when there is one.</summary>
    public string? RecordId { get; init; }

    /// <summary>The contact addresses to mail (R3.2); empty when refused.</summary>
    public ImmutableArray<string> NotifyTo { get; }

    /// <summary>The mail text; null when refused.</summary>
    public ProcedureNotice? Notice { get; }

    /// <summary>The errors in one line, <c>field: message; field: message</c>.</summary>
    /// <returns>The text; empty when accepted.</returns>
    public string ErrorLine() => string.Join("; ", Errors.Select(e => e.ToString()));
}

/// <summary>When a procedure was received and from when it is processed (R10.2).</summary>
internal readonly record struct ProcessingTimes(DateTimeOffset ReceivedAt, DateTimeOffset ProcessedFrom, bool Outside);
