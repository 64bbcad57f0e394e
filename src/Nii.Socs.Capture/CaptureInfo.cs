namespace Nii.Socs.Capture;

/// <summary>Facts about this package.</summary>
public static class CaptureInfo
{
    /// <summary>The name of the package.</summary>
    public const string PackageName = "Nii.Socs.Capture";
}
