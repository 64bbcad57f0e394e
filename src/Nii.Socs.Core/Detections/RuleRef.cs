namespace Nii.Socs.Core.Detections;

/// <summary>The rule that produced a detection (R4.2, R4.3): what an analyst needs without the content.</summary>
/// <param name="Sid">The rule's signature id.</param>
/// <param name="Rev">The rule's revision.</param>
/// <param name="Message">The rule's <c>msg</c>.</param>
/// <param name="ClassType">The rule's <c>classtype</c>; null when the rule has none.</param>
/// <param name="Priority">The priority, 1 (highest) to 255; the importance policy (R4.5) reads it.</param>
public sealed record RuleRef(long Sid, int Rev, string Message, string? ClassType, int Priority);
