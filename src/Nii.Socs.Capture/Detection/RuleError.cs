namespace Nii.Socs.Capture.Detection;

/// <summary>A rule that could not be loaded: where, and why (R4.2).</summary>
/// <param name="File">The rule file's name as given.</param>
/// <param name="Line">The 1-based line on which the rule starts.</param>
/// <param name="Reason">What is wrong and what was expected.</param>
/// <remarks>A bad rule is reported and skipped; the others still load.</remarks>
public sealed record RuleError(string File, int Line, string Reason)
{
    /// <summary>The error as <c>file:line: reason</c>, as compilers print them.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{File}:{Line}: {Reason}";
}
