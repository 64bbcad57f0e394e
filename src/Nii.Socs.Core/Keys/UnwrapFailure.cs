namespace Nii.Socs.Core.Keys;

/// <summary>Why a wrapped key did not unwrap: an expected "no", not an error (STYLE §4).</summary>
/// <remarks>R8.1, R8.6. Edge case: a wrong private key of the right type and a tampered ciphertext are
/// indistinguishable to the cryptography: both are <see cref="NotAuthentic"/>.</remarks>
public enum UnwrapFailure
{
    /// <summary>The key unwrapped.</summary>
    None = 0,

    /// <summary>The private key's type does not fit the suite (an RSA key for an HPKE-P256 wrap, …).</summary>
    SuiteMismatch = 1,

    /// <summary>The private key is not the one it was wrapped to, or the wrapped form was changed.</summary>
    NotAuthentic = 2,

    /// <summary>The unwrapped key is not 32 bytes.</summary>
    WrongKeyLength = 3,

    /// <summary>The unwrapped key is not the one the set's commitment names.</summary>
    CommitmentMismatch = 4,
}
