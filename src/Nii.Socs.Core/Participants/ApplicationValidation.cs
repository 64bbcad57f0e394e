namespace Nii.Socs.Core.Participants;

/// <summary>The outcome of validating an application: the validated form, or every error.</summary>
internal sealed class ApplicationValidation
{
    internal ApplicationValidation(ValidatedApplication? application, IReadOnlyList<ValidationError> errors)
    {
        Application = application;
        Errors = errors;
    }

    /// <summary>Whether the application is valid.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>The validated application; null when there are errors.</summary>
    public ValidatedApplication? Application { get; }

    /// <summary>Every error found, in field order; empty when valid.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }
}
