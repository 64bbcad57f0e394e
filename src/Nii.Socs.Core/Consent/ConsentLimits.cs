using System.Text;

namespace Nii.Socs.Core.Consent;

/// <summary>The documented maximum sizes of what a consent action carries (R8.5, R7.2, R6.4).</summary>
/// <remarks>
/// R6.4/R8.5: every consent action is recorded twice, as a consent event and as an operation-history entry, and
/// both logs store one record per page. Free texts (a request's purpose, a denial's reason, a fault access's reason
/// and incident) and record lists are bounded here, in the domain, so an action either fits both logs or is refused
/// before anything is written.
/// <para>Edge case: the limit counts UTF-8 bytes, so 4096 ASCII characters fit but only 1365 three-byte Japanese
/// characters do.</para>
/// </remarks>
public static class ConsentLimits
{
    /// <summary>The most UTF-8 bytes of one free text: 4 KiB.</summary>
    public const int MaxTextBytes = 4096;

    /// <summary>The most record ids one request's scope may list.</summary>
    public const int MaxRecordIds = 1000;

    /// <summary>Why a free text is refused: null when it fits.</summary>
    /// <param name="what">What the text is, for the message (such as <c>the purpose</c>).</param>
    /// <param name="text">The text; null counts as empty.</param>
    /// <returns>Null, or a message such as <c>the purpose is 5000 bytes; at most 4096 (UTF-8) are accepted</c>.</returns>
    public static string? TextTooLong(string what, string? text)
    {
        var bytes = text is null ? 0 : Encoding.UTF8.GetByteCount(text);
        return bytes > MaxTextBytes ? $"{what} is {bytes} bytes; at most {MaxTextBytes} (UTF-8) are accepted" : null;
    }
}
