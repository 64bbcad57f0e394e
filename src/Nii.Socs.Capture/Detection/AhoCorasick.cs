namespace Nii.Socs.Capture.Detection;

/// <summary>
/// A case-folding Aho–Corasick automaton as a dense DFA over byte classes: one table read per payload byte,
/// whatever the number of patterns.
/// </summary>
/// <remarks>Bytes that occur in no pattern share class 0, so a table row is as wide as the pattern
/// alphabet (typically 40–80 classes), not 256. ASCII letters are folded to lower case in the
/// patterns and in the scanned text alike; the rule verifies case afterwards.</remarks>
internal sealed class AhoCorasick
{
    private readonly byte[] _classOf = new byte[256];
    private readonly int _classes;
    private readonly int[] _next;
    private readonly int[] _outputStart;
    private readonly int[] _outputs;

    public AhoCorasick(IReadOnlyList<byte[]> patterns)
    {
        var classes = 1;
        var seen = new int[256];
        foreach (var pattern in patterns)
        {
            foreach (var b in pattern)
            {
                var folded = ContentMatch.Fold(b);
                if (seen[folded] == 0)
                {
                    seen[folded] = classes++;
                }
            }
        }

        if (classes > 256)
        {
            classes = 256;
        }

        for (var b = 0; b < 256; b++)
        {
            _classOf[b] = (byte)Math.Min(seen[ContentMatch.Fold((byte)b)], 255);
        }

        _classes = classes;

        // The trie: children per class, -1 for none.
        var children = new List<int[]> { NewRow(classes) };
        var outputs = new List<List<int>> { new() };
        for (var p = 0; p < patterns.Count; p++)
        {
            var state = 0;
            foreach (var b in patterns[p])
            {
                var c = _classOf[b];
                if (children[state][c] < 0)
                {
                    children[state][c] = children.Count;
                    children.Add(NewRow(classes));
                    outputs.Add([]);
                }

                state = children[state][c];
            }

            outputs[state].Add(p);
        }

        // Breadth-first: failure links turn the trie into a complete DFA, and outputs inherit along failure links.
        var count = children.Count;
        _next = new int[count * classes];
        var failure = new int[count];
        var queue = new Queue<int>();
        for (var c = 0; c < classes; c++)
        {
            var child = children[0][c];
            _next[c] = child < 0 ? 0 : child;
            if (child > 0)
            {
                queue.Enqueue(child);
            }
        }

        var order = new List<int> { 0 };
        while (queue.Count > 0)
        {
            var state = queue.Dequeue();
            order.Add(state);
            outputs[state].AddRange(outputs[failure[state]]);
            for (var c = 0; c < classes; c++)
            {
                var child = children[state][c];
                if (child < 0)
                {
                    _next[(state * classes) + c] = _next[(failure[state] * classes) + c];
                }
                else
                {
                    failure[child] = _next[(failure[state] * classes) + c];
                    _next[(state * classes) + c] = child;
                    queue.Enqueue(child);
                }
            }
        }

        _outputStart = new int[count + 1];
        var flat = new List<int>();
        for (var s = 0; s < count; s++)
        {
            _outputStart[s] = flat.Count;
            flat.AddRange(outputs[s].Distinct());
        }

        _outputStart[count] = flat.Count;
        _outputs = [.. flat];
        StateCount = count;
    }

    public int StateCount { get; }

    /// <summary>Adds each pattern found in <paramref name="text"/> to <paramref name="found"/> once, using a stamp array for de-duplication.</summary>
    public void Scan(ReadOnlySpan<byte> text, int[] stamps, int stamp, List<int> found)
    {
        var next = _next;
        var classOf = _classOf;
        var classes = _classes;
        var starts = _outputStart;
        var state = 0;
        foreach (var b in text)
        {
            state = next[(state * classes) + classOf[b]];
            var start = starts[state];
            var end = starts[state + 1];
            for (var i = start; i < end; i++)
            {
                var p = _outputs[i];
                if (stamps[p] != stamp)
                {
                    stamps[p] = stamp;
                    found.Add(p);
                }
            }
        }
    }

    private static int[] NewRow(int classes)
    {
        var row = new int[classes];
        Array.Fill(row, -1);
        return row;
    }
}
