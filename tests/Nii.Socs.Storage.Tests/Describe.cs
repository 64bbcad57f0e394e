using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;

namespace Nii.Socs.Storage.Tests;

/// <summary>A canonical text of a value's public state (records, collections, dictionaries), for comparing folded
/// states and decoded events that have no structural equality (immutable collections compare by reference).</summary>
internal static class Describe
{
    public static string Of(object? value) => Of(value, 0);

    private static string Of(object? value, int depth)
    {
        if (depth > 16)
        {
            throw new InvalidOperationException("Nested too deep to describe.");
        }

        switch (value)
        {
            case null:
                return "null";
            case string s:
                return "\"" + s + "\"";
            case DateTimeOffset t:
                return t.ToString("O", CultureInfo.InvariantCulture);
            case IPAddress a:
                return a.ToString();
            case IEnumerable items:
                var parts = items.Cast<object?>().Select(i => Of(i, depth + 1)).ToList();
                if (items is not IList)
                {
                    // Sets, dictionaries and their value views: no order of their own.
                    parts.Sort(StringComparer.Ordinal);
                }

                return "[" + string.Join(", ", parts) + "]";
        }

        var type = value.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
        {
            return Of(type.GetProperty("Key")!.GetValue(value), depth + 1) + ": " + Of(type.GetProperty("Value")!.GetValue(value), depth + 1);
        }

        if (type.IsValueType)
        {
            return value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value.ToString()!;
        }

        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + Of(p.GetValue(value), depth + 1));
        return type.Name + "{" + string.Join(", ", properties) + "}";
    }
}
