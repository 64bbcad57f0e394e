namespace Nii.Socs.Core.Time;

/// <summary>One service window (R10): a working day's service hours, half-open [<see cref="Start"/>, <see cref="End"/>).</summary>
/// <param name="Start">The first instant of the window (+09:00).</param>
/// <param name="End">The first instant after the window (+09:00).</param>
public readonly record struct ServiceWindow(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>Whether an instant lies in the window.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>True when <see cref="Start"/> ≤ instant &lt; <see cref="End"/>.</returns>
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;
}
