namespace Nii.Socs.Capture.Detection;

/// <summary>Chooses a rule's fast pattern: the positive content least likely to occur in ordinary traffic.</summary>
/// <remarks>
/// <para>A content's score is its information in bits, the sum of −log2 of each (case-folded) byte's
/// frequency in a static table of typical web, TLS and DNS traffic (English letter frequencies, many
/// spaces, digits and URL punctuation, zero bytes; other control and high bytes rare). A content that
/// is part of a protocol token seen on nearly every packet (<c>GET </c>, <c>HTTP/1.1</c>,
/// <c>Host:</c>, a TLS record header …) scores a tenth. The highest score wins; ties go to the longer
/// content, then the first. Only the prefilter uses the choice: every positive content must occur for
/// a rule to match, so detection results do not depend on it.</para>
/// </remarks>
internal static class FastPatternRarity
{
    private static readonly double[] Bits = BuildTable();

    private static readonly byte[][] CommonTokens =
    [
        .. new[]
        {
            "get ", "post ", "put ", "head ", "options ", "http/1.1", "http/1.0", "http/2", "host: ", "user-agent: ",
            "accept: ", "accept-encoding: ", "accept-language: ", "content-type: ", "content-length: ", "connection: ",
            "keep-alive", "cookie: ", "set-cookie: ", "cache-control: ", "server: ", "mozilla/5.0", "text/html",
            "charset=utf-8", "application/", "http/1.1 200 ok", "\r\n\r\n", "www.", ".com", ".html", "index",
        }.Select(t => t.Select(c => (byte)c).ToArray()),
        [0x16, 0x03, 0x01], [0x16, 0x03, 0x03], [0x17, 0x03, 0x03], [0x15, 0x03, 0x03], [0x00, 0x00, 0x00, 0x00],
    ];

    /// <summary>The rarest of <paramref name="contents"/>; null when there are none.</summary>
    public static ContentMatch? Rarest(IReadOnlyList<ContentMatch> contents)
    {
        ContentMatch? best = null;
        var bestScore = double.MinValue;
        foreach (var content in contents)
        {
            var score = Score(content.Folded);
            if (best is null || score > bestScore || (score == bestScore && content.Pattern.Length > best.Pattern.Length))
            {
                best = content;
                bestScore = score;
            }
        }

        return best;
    }

    /// <summary>The information of a folded pattern in bits, a tenth for (part of) a common protocol token.</summary>
    public static double Score(ReadOnlySpan<byte> folded)
    {
        var bits = 0.0;
        foreach (var b in folded)
        {
            bits += Bits[b];
        }

        foreach (var token in CommonTokens)
        {
            if (folded.Length > 0 && token.AsSpan().IndexOf(folded) >= 0)
            {
                return bits / 10;
            }
        }

        return bits;
    }

    private static double[] BuildTable()
    {
        // Relative frequencies (per mille of bytes) of each case-folded byte in web, TLS and DNS payloads.
        var weight = new double[256];
        for (var b = 0; b < 256; b++)
        {
            weight[b] = 0.4; // control and high bytes: random-looking binary (TLS records, compressed bodies)
        }

        for (var b = 0x21; b < 0x7F; b++)
        {
            weight[b] = 0.5; // other printable punctuation
        }

        const string Letters = "etaoinshrdlcumwfgypbvkjxqz";
        double[] letterWeights = [36, 27, 24, 22, 21, 20, 19, 18, 18, 13, 12, 8.4, 8.4, 7.2, 7.2, 6.6, 6, 6, 5.7, 4.5, 3, 2.4, 0.5, 0.5, 0.3, 0.2];
        for (var i = 0; i < Letters.Length; i++)
        {
            weight[Letters[i]] = letterWeights[i];
        }

        for (var d = '0'; d <= '9'; d++)
        {
            weight[d] = 6;
        }

        weight[' '] = 45;
        weight['\r'] = 6;
        weight['\n'] = 6;
        weight['\0'] = 8;
        foreach (var c in "/.:=-_;,?&\"'<>")
        {
            weight[c] = 5;
        }

        var total = weight.Sum();
        return [.. weight.Select(w => -Math.Log2(w / total))];
    }
}
