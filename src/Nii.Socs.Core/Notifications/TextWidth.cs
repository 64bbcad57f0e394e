namespace Nii.Socs.Core.Notifications;

/// <summary>How many terminal columns a text takes: East Asian wide and full-width characters count two (UAX #11).</summary>
/// <remarks>Used to line up the columns of plain-text tables in mails and on the command line, where Japanese rule
/// messages stand beside addresses. Combining marks and zero-width characters count zero.
/// <para>Edge case: <c>"検知 abc"</c> is 8 columns wide: two wide characters, a space and three narrow ones.</para></remarks>
internal static class TextWidth
{
    /// <summary>The display width of a text in columns.</summary>
    /// <param name="text">The text; null counts as empty.</param>
    /// <returns>The width.</returns>
    public static int Of(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        var width = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            width += Of(rune.Value);
        }

        return width;
    }

    /// <summary>The text padded with spaces on the right to a display width.</summary>
    /// <param name="text">The text.</param>
    /// <param name="width">The width in columns; a wider text is returned unchanged.</param>
    /// <returns>The padded text.</returns>
    public static string PadRight(string? text, int width)
    {
        text ??= string.Empty;
        var missing = width - Of(text);
        return missing > 0 ? text + new string(' ', missing) : text;
    }

    private static int Of(int c)
    {
        if (c == 0x200B || c == 0x200C || c == 0x200D || c == 0xFEFF || (c >= 0x0300 && c <= 0x036F) || (c >= 0x3099 && c <= 0x309A))
        {
            return 0;
        }

        return c >= 0x1100 && (
            c <= 0x115F ||                       // Hangul Jamo
            (c >= 0x2E80 && c <= 0x303E) ||      // CJK radicals, punctuation
            (c >= 0x3041 && c <= 0x33FF) ||      // kana, CJK compatibility
            (c >= 0x3400 && c <= 0x4DBF) ||      // CJK extension A
            (c >= 0x4E00 && c <= 0x9FFF) ||      // CJK unified ideographs
            (c >= 0xA000 && c <= 0xA4CF) ||      // Yi
            (c >= 0xAC00 && c <= 0xD7A3) ||      // Hangul syllables
            (c >= 0xF900 && c <= 0xFAFF) ||      // CJK compatibility ideographs
            (c >= 0xFE30 && c <= 0xFE4F) ||      // CJK compatibility forms
            (c >= 0xFF00 && c <= 0xFF60) ||      // full-width forms
            (c >= 0xFFE0 && c <= 0xFFE6) ||      // full-width signs
            (c >= 0x1F300 && c <= 0x1F64F) ||    // pictographs, emoticons
            (c >= 0x20000 && c <= 0x3FFFD))      // CJK extensions B and later
            ? 2
            : 1;
    }
}
