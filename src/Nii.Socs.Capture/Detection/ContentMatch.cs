namespace Nii.Socs.Capture.Detection;

/// <summary>One <c>content</c> option with its modifiers.</summary>
internal sealed class ContentMatch
{
    public required byte[] Pattern { get; init; }

    public bool Negated { get; init; }

    public bool NoCase { get; set; }

    public int Offset { get; set; }

    public int Depth { get; set; } = -1;

    public int Distance { get; set; }

    public int Within { get; set; } = -1;

    public bool HasOffsetOrDepth { get; set; }

    public bool IsRelative { get; set; }

    public bool FastPattern { get; set; }

    /// <summary>The pattern with ASCII letters lower-cased: the prefilter's key.</summary>
    public byte[] Folded => Pattern.Select(Fold).ToArray();

    public static byte Fold(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    /// <summary>The window <c>[start, end)</c> the pattern must lie in, given the previous match's end.</summary>
    public (int Start, int End) Window(int previousEnd, int length)
    {
        long start;
        long end;
        if (IsRelative)
        {
            start = (long)previousEnd + Distance;
            end = Within >= 0 ? (long)previousEnd + Distance + Within : length;
        }
        else
        {
            start = Offset;
            end = Depth >= 0 ? (long)Offset + Depth : length;
        }

        return ((int)Math.Clamp(start, 0, length), (int)Math.Clamp(end, 0, length));
    }

    /// <summary>The first occurrence at or after <paramref name="from"/> that ends by <paramref name="end"/>, or −1.</summary>
    public int Find(ReadOnlySpan<byte> data, int from, int end)
    {
        var length = Pattern.Length;
        if (end - from < length)
        {
            return -1;
        }

        var window = data[from..end];
        if (!NoCase)
        {
            var at = window.IndexOf(Pattern);
            return at < 0 ? -1 : from + at;
        }

        var first = Pattern[0];
        var folded = Fold(first);
        var upper = folded is >= (byte)'a' and <= (byte)'z' ? (byte)(folded & 0xDF) : folded;
        var last = window.Length - length;
        var i = 0;
        while (i <= last)
        {
            var next = window[i..(last + 1)].IndexOfAny(folded, upper);
            if (next < 0)
            {
                return -1;
            }

            i += next;
            if (EqualsFolded(window.Slice(i, length)))
            {
                return from + i;
            }

            i++;
        }

        return -1;
    }

    private bool EqualsFolded(ReadOnlySpan<byte> candidate)
    {
        for (var k = 0; k < candidate.Length; k++)
        {
            if (Fold(candidate[k]) != Fold(Pattern[k]))
            {
                return false;
            }
        }

        return true;
    }
}
