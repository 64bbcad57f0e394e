using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Detection;

/// <summary>A parsed address spec of a rule header: any, a prefix, the scope, a negation or a list.</summary>
internal abstract class AddressMatcher
{
    public abstract bool Matches(bool isIPv6, UInt128 bits);
}

internal sealed class AnyAddress : AddressMatcher
{
    public static readonly AnyAddress Instance = new();

    public override bool Matches(bool isIPv6, UInt128 bits) => true;
}

internal sealed class PrefixAddress(IPPrefix prefix) : AddressMatcher
{
    public override bool Matches(bool isIPv6, UInt128 bits) => prefix.Contains(isIPv6, bits);
}

/// <summary><c>$HOME_NET</c>: the scope index, so the cost is a trie lookup whatever the number of prefixes.</summary>
internal sealed class ScopeAddress(ScopeIndex scope) : AddressMatcher
{
    public override bool Matches(bool isIPv6, UInt128 bits) => scope.Lookup(isIPv6, bits) >= 0;
}

internal sealed class NotAddress(AddressMatcher inner) : AddressMatcher
{
    public override bool Matches(bool isIPv6, UInt128 bits) => !inner.Matches(isIPv6, bits);
}

/// <summary>A list: some positive item matches (or there is none), and no negated item matches.</summary>
internal sealed class ListAddress(AddressMatcher[] positives, AddressMatcher[] negatives) : AddressMatcher
{
    public override bool Matches(bool isIPv6, UInt128 bits)
    {
        foreach (var negative in negatives)
        {
            if (negative.Matches(isIPv6, bits))
            {
                return false;
            }
        }

        if (positives.Length == 0)
        {
            return true;
        }

        foreach (var positive in positives)
        {
            if (positive.Matches(isIPv6, bits))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A parsed port spec: a set of ranges, negated or not.</summary>
internal sealed class PortMatcher
{
    public static readonly PortMatcher Any = new([], [], true);

    private readonly (int Low, int High)[] _positives;
    private readonly (int Low, int High)[] _negatives;

    public PortMatcher((int Low, int High)[] positives, (int Low, int High)[] negatives, bool isAny = false)
    {
        _positives = positives;
        _negatives = negatives;
        IsAny = isAny;
    }

    public bool IsAny { get; }

    /// <summary>Equal for equal port sets: groups rules in the prefilter.</summary>
    public string Key => IsAny ? "any" : string.Join(',', _positives) + "!" + string.Join(',', _negatives);

    /// <summary>The ports where the answer of <see cref="Matches"/> may change: every range's first port and the port after its last.</summary>
    public IEnumerable<int> Boundaries()
    {
        foreach (var (low, high) in _positives.Concat(_negatives))
        {
            yield return low;
            yield return high + 1;
        }
    }

    public bool Matches(bool hasPorts, int port)
    {
        if (IsAny)
        {
            return true;
        }

        if (!hasPorts)
        {
            return false;
        }

        foreach (var (low, high) in _negatives)
        {
            if (port >= low && port <= high)
            {
                return false;
            }
        }

        if (_positives.Length == 0)
        {
            return true;
        }

        foreach (var (low, high) in _positives)
        {
            if (port >= low && port <= high)
            {
                return true;
            }
        }

        return false;
    }
}
