using Nii.Socs.Core.Consent;

namespace Nii.Socs.Core.Storage.Consent;

/// <summary>The outcome of a consent operation: its value, or why it was refused (an expected "no", STYLE §4).</summary>
/// <typeparam name="T">The value's type.</typeparam>
public sealed class ConsentResult<T>
{
    private ConsentResult(T? value, ConsentRefusal? refusal)
    {
        Value = value;
        Refusal = refusal;
    }

    /// <summary>The value; default when refused.</summary>
    public T? Value { get; }

    /// <summary>Why the operation was refused (a code, the deciding requirement and a message); null when it succeeded.</summary>
    public ConsentRefusal? Refusal { get; }

    /// <summary>Whether the operation succeeded.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Value))]
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(false, nameof(Refusal))]
    public bool Succeeded => Refusal is null;

    internal static ConsentResult<T> Ok(T value) => new(value, null);

    internal static ConsentResult<T> Refused(ConsentRefusal refusal) => new(default, refusal);

    internal static ConsentResult<T> Refused(ConsentRefusalCode code, string requirement, string message) => new(default, new ConsentRefusal(code, requirement, message));
}
