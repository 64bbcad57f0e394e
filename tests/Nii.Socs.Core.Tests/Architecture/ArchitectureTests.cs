using System.Reflection;
using System.Reflection.Emit;

namespace Nii.Socs.Core.Tests.Architecture;

/// <summary>STYLE §2: the domain folders are pure; §3: public Core types are sealed, abstract or static.</summary>
public class ArchitectureTests
{
    private static readonly Assembly s_core = typeof(Nii.Socs.Core.Time.Jst).Assembly;

    // System.Net's value types (IPAddress) are allowed; files, sockets, HTTP, mail, console and
    // environment are I/O, and FASTER and Storage belong to the Storage folder only.
    private static readonly string[] s_forbidden =
    [
        "System.IO.File", "System.IO.Directory", "System.IO.FileStream", "System.IO.FileInfo", "System.IO.DirectoryInfo",
        "System.IO.Path", "System.Net.Sockets.", "System.Net.Http.", "System.Net.Mail.", "FASTER.core.",
        "Nii.Socs.Core.Storage", "System.Console", "System.Environment", "System.Random",
    ];

    // Compiler-generated iterators read the managed thread id; that is not I/O.
    private static readonly HashSet<string> s_allowed = ["System.Environment.get_CurrentManagedThreadId"];

    private static readonly Dictionary<short, OpCode> s_opcodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void Domain_namespaces_reference_no_IO_network_FASTER_or_Storage()
    {
        var offenders = new List<string>();
        // Storage does the I/O; Hosting is the composition root a package consumer starts from (it opens the stores).
        foreach (var type in s_core.GetTypes().Where(t => t.Namespace?.StartsWith("Nii.Socs.Core", StringComparison.Ordinal) == true
                     && !t.Namespace.StartsWith("Nii.Socs.Core.Storage", StringComparison.Ordinal)
                     && !t.Namespace.StartsWith("Nii.Socs.Core.Hosting", StringComparison.Ordinal)))
        {
            foreach (var referenced in ReferencedTypeNames(type))
            {
                if (s_forbidden.Any(f => referenced.StartsWith(f, StringComparison.Ordinal)) && !s_allowed.Contains(referenced))
                {
                    offenders.Add($"{type.FullName} → {referenced}");
                }
            }
        }

        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders.Distinct()));
    }

    [Fact]
    public void The_scanner_sees_a_forbidden_reference_when_there_is_one()
    {
        // Guards the test above against passing because it sees nothing.
        Assert.Contains(ReferencedTypeNames(typeof(ArchitectureTests)), n => n.StartsWith("System.IO.File", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_public_Core_type_is_sealed_abstract_static_or_a_value()
    {
        var open = s_core.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract)
            .Select(t => t.FullName)
            .ToList();
        Assert.True(open.Count == 0, string.Join(", ", open));
    }

    [Fact]
    public void Core_API_takes_no_IOptions()
    {
        var leaks = s_core.GetExportedTypes()
            .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .OfType<MethodBase>()
            .Where(m => m.GetParameters().Any(p => p.ParameterType.FullName?.Contains("Microsoft.Extensions.Options", StringComparison.Ordinal) == true))
            .Select(m => $"{m.DeclaringType}.{m.Name}")
            .ToList();
        Assert.Empty(leaks);
    }

    private static void TouchAFile() => _ = File.Exists("/nonexistent");

    // Every type named by a type's fields, signatures and method bodies (call, field and type tokens in IL).
    private static IEnumerable<string> ReferencedTypeNames(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var field in type.GetFields(all))
        {
            yield return field.FieldType.FullName ?? field.FieldType.Name;
        }

        var methods = type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all));
        foreach (var method in methods)
        {
            foreach (var p in method.GetParameters())
            {
                yield return p.ParameterType.FullName ?? p.ParameterType.Name;
            }

            var il = method.GetMethodBody()?.GetILAsByteArray();
            if (il is null)
            {
                continue;
            }

            var typeArgs = type.IsGenericType ? type.GetGenericArguments() : null;
            var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
            for (var i = 0; i < il.Length;)
            {
                short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
                i += il[i] == 0xFE ? 2 : 1;
                if (!s_opcodes.TryGetValue(value, out var op))
                {
                    break;
                }

                var size = op.OperandType switch
                {
                    OperandType.InlineNone => 0,
                    OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                    OperandType.InlineVar => 2,
                    OperandType.InlineI8 or OperandType.InlineR => 8,
                    OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, i)),
                    _ => 4,
                };
                if (op.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
                {
                    var token = BitConverter.ToInt32(il, i);
                    string? name = null;
                    try
                    {
                        var member = type.Module.ResolveMember(token, typeArgs, methodArgs);
                        name = member is Type t ? t.FullName : member is null ? null : $"{member.DeclaringType?.FullName}.{member.Name}";
                    }
                    catch (ArgumentException)
                    {
                    }

                    if (name is not null)
                    {
                        yield return name;
                    }
                }

                i += size;
            }
        }
    }
}
