namespace Nii.Socs.Capture.Detection;

/// <summary>A rule's action. A passive sensor records every action except <see cref="Pass"/> as a detection.</summary>
public enum RuleAction
{
    /// <summary>Raise an alert.</summary>
    Alert = 0,

    /// <summary>Log the packet (recorded as a detection, as an alert).</summary>
    Log,

    /// <summary>Ignore the packet: a matching pass rule suppresses every other detection of the packet.</summary>
    Pass,

    /// <summary>Drop (inline only): a passive sensor records it as a detection.</summary>
    Drop,

    /// <summary>Reject (inline only): a passive sensor records it as a detection.</summary>
    Reject,
}
