namespace Nii.Socs.Core.Participants;

/// <summary>One thing wrong with user data, with the path of the field it concerns.</summary>
/// <param name="Field">The field path, such as <c>prefixes[2]</c> or <c>operators[0].mail</c>.</param>
/// <param name="Message">What is wrong and what was expected.</param>
internal sealed record ValidationError(string Field, string Message)
{
    /// <summary>The error as <c>field: message</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Field}: {Message}";
}
