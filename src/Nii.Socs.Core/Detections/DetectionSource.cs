namespace Nii.Socs.Core.Detections;

/// <summary>Where a detection came from.</summary>
public enum DetectionSource
{
    /// <summary>A captured packet matched one of the sensor's rules.</summary>
    Packet = 0,

    /// <summary>A Suricata EVE alert was ingested.</summary>
    Eve = 1,
}
