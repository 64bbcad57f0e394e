using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Scope;

/// <summary>Parses the text form of a scope: one <c>participant prefix</c> pair per line (R3.1, R5.1).</summary>
/// <remarks>
/// <para>Blank lines and text after <c>#</c> are ignored. Example:</para>
/// <code>
/// u-tokyo   192.0.2.0/24
/// u-tokyo   2001:db8:10::/48   # IPv6 as well
/// kyoto-u   198.51.100.0/25
/// </code>
/// <para>Every bad line is reported (line number and reason); good lines are still returned, so an
/// operator sees all mistakes at once (STYLE §4).</para>
/// </remarks>
public static class ScopeFile
{
    /// <summary>Parses scope text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="errors">One entry per bad line: the 1-based line number and the reason.</param>
    /// <returns>The assignments of the good lines, in file order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static IReadOnlyList<ScopeAssignment> Parse(string text, out IReadOnlyList<(int Line, string Reason)> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<ScopeAssignment>();
        var problems = new List<(int, string)>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }

            if (parts.Length != 2)
            {
                problems.Add((i + 1, $"expected 'participant prefix', got {parts.Length} fields"));
                continue;
            }

            if (!ParticipantId.IsValid(parts[0]))
            {
                problems.Add((i + 1, $"'{parts[0]}' is not a participant id (lower-case letters, digits, hyphens)"));
                continue;
            }

            if (!IPPrefix.TryParse(parts[1], out var prefix, out var error))
            {
                problems.Add((i + 1, error!));
                continue;
            }

            result.Add(new ScopeAssignment(new ParticipantId(parts[0]), prefix));
        }

        errors = problems;
        return result;
    }
}
