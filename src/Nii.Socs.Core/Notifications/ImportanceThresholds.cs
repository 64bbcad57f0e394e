using System.Collections.Immutable;
using Nii.Socs.Core.Detections;

namespace Nii.Socs.Core.Notifications;

/// <summary>When a rule's detections are important enough to mail (R4.5): a priority threshold and classtype lists.</summary>
/// <remarks>
/// R4.5: the organization judges which detections are important. A detection is important when its rule's classtype
/// is not in <see cref="IgnoredClassTypes"/>, and either its priority is at most <see cref="MaxPriority"/> (1 is the
/// highest, as in Suricata) or its classtype is in <see cref="ImportantClassTypes"/>. Classtypes compare ordinally,
/// ignoring case.
/// <para>Edge case: a priority-1 rule of classtype <c>not-suspicious</c> is not mailed under <see cref="Default"/>:
/// an ignored classtype wins over the priority.</para>
/// </remarks>
internal sealed record ImportanceThresholds
{
    /// <summary>The lowest priority number accepted (the highest priority is 1).</summary>
    public const int HighestPriority = 1;

    /// <summary>The largest priority number a rule can carry.</summary>
    public const int LowestPriority = 255;

    /// <summary>The organization's default: priority 1–2, the attack classtypes of Suricata's classification.config, never <c>not-suspicious</c>.</summary>
    public static readonly ImportanceThresholds Default = new(
        2,
        [
            "trojan-activity", "successful-admin", "successful-user", "attempted-admin", "attempted-user",
            "shellcode-detect", "web-application-attack", "exploit-kit", "domain-c2", "command-and-control",
            "targeted-activity", "credential-theft",
        ],
        ["not-suspicious"]);

    /// <summary>Creates thresholds.</summary>
    /// <param name="maxPriority">Rules with priority 1 to this number are important; 0 turns the priority test off.</param>
    /// <param name="importantClassTypes">Classtypes that are important whatever their priority.</param>
    /// <param name="ignoredClassTypes">Classtypes that are never mailed.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxPriority"/> is below 0 or above 255.</exception>
    /// <exception cref="ArgumentNullException">A list is null.</exception>
    /// <exception cref="ArgumentException">A classtype is empty or blank.</exception>
    public ImportanceThresholds(int maxPriority, IEnumerable<string> importantClassTypes, IEnumerable<string> ignoredClassTypes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPriority);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPriority, LowestPriority);
        MaxPriority = maxPriority;
        ImportantClassTypes = ToSet(importantClassTypes, nameof(importantClassTypes));
        IgnoredClassTypes = ToSet(ignoredClassTypes, nameof(ignoredClassTypes));
    }

    /// <summary>Rules with a priority from 1 to this number are important; 0 means no rule is important by priority alone.</summary>
    /// <value>The default is 2 (R4.5).</value>
    public int MaxPriority { get; }

    /// <summary>Classtypes that are important whatever the rule's priority.</summary>
    /// <value>The default is Suricata's priority-1 attack classtypes, such as <c>trojan-activity</c> (R4.5).</value>
    public ImmutableHashSet<string> ImportantClassTypes { get; }

    /// <summary>Classtypes that are never mailed, even at priority 1.</summary>
    /// <value>The default is <c>not-suspicious</c> (R4.5).</value>
    public ImmutableHashSet<string> IgnoredClassTypes { get; }

    /// <summary>Whether detections of a rule are important (R4.5).</summary>
    /// <param name="rule">The rule that fired.</param>
    /// <returns>True when the rule's detections are to be mailed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="rule"/> is null.</exception>
    /// <remarks>R4.5. Edge case: a rule without a classtype is judged by its priority only.</remarks>
    public bool IsImportant(RuleRef rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.ClassType is { } classType && IgnoredClassTypes.Contains(classType))
        {
            return false;
        }

        return (rule.Priority >= HighestPriority && rule.Priority <= MaxPriority)
            || (rule.ClassType is { } c && ImportantClassTypes.Contains(c));
    }

    /// <summary>The thresholds in one line, for operators.</summary>
    /// <returns>The priority threshold and the list sizes.</returns>
    public override string ToString() =>
        $"priority ≤ {MaxPriority}, {ImportantClassTypes.Count} important classtype(s), {IgnoredClassTypes.Count} ignored (R4.5)";

    private static ImmutableHashSet<string> ToSet(IEnumerable<string> values, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        var builder = ImmutableHashSet.CreateBuilder<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException("A classtype must not be empty.", name);
            }

            builder.Add(value.Trim());
        }

        return builder.ToImmutable();
    }
}
