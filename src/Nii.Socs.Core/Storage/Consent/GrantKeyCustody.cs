namespace Nii.Socs.Core.Storage.Consent;

/// <summary>Where the keys a participant presented for a grant are held while the grant lives.</summary>
public enum GrantKeyCustody
{
    /// <summary>In the service's memory only; zeroised at expiry or revocation (the long-running host).</summary>
    Memory = 0,

    /// <summary>Sealed under the host key-encryption key in <c>&lt;data&gt;/consent/grants/&lt;grant&gt;/</c> until the grant ends,
    /// then overwritten and deleted: for the command line, where every verb is its own process.</summary>
    SealedUntilGrantEnds = 1,
}
