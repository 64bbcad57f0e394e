using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Capture.Detection;

/// <summary>One detection as capture produces it: clear header, rule, content and the participants concerned (R4.2, R4.3, R5.1).</summary>
/// <param name="Header">The clear header (R2.1); its <see cref="DetectionHeader.HeaderBytes"/> hold no content byte.</param>
/// <param name="Rule">The rule that fired.</param>
/// <param name="Content">The communication content: to be sealed, never stored or printed in clear (R2.1, R7.1).</param>
/// <param name="Participants">The participants whose prefixes hold the source or the destination; never empty.</param>
/// <param name="Source">Whether the sensor's own rules or an EVE alert produced it.</param>
/// <param name="Frame">The 1-based frame number in its capture, or the line number of an EVE alert.</param>
/// <remarks>
/// <para><b>Security:</b> <see cref="Content"/> is plaintext communication content; hand it to
/// sealing and drop the reference. <see cref="ToString"/> never prints it.</para>
/// </remarks>
public sealed record CaptureDetection(
    DetectionHeader Header,
    RuleRef Rule,
    ReadOnlyMemory<byte> Content,
    IReadOnlyList<ParticipantId> Participants,
    DetectionSource Source,
    long Frame)
{
    /// <summary>The detection without its content, such as <c>frame 3 sid 1000001 192.0.2.10 → 203.0.113.5 (u-tokyo)</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        $"frame {Frame} sid {Rule.Sid} {Header.Source} -> {Header.Destination} ({string.Join(',', Participants)}), {Content.Length} content bytes";
}
