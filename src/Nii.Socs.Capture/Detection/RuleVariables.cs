using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Detection;

/// <summary>The variables a rule file may use (<c>$HOME_NET</c>, <c>$HTTP_PORTS</c>, …), with <c>$HOME_NET</c> bound to the scope (R5.1).</summary>
/// <remarks>
/// <para>Defaults: <c>HOME_NET</c> = every registered prefix (the scope index), <c>EXTERNAL_NET</c> =
/// <c>!$HOME_NET</c>, <c>HTTP_SERVERS</c>, <c>SQL_SERVERS</c>, <c>DNS_SERVERS</c>, <c>SMTP_SERVERS</c> =
/// <c>$HOME_NET</c>; <c>HTTP_PORTS</c> = <c>[80,8000,8080,8888]</c>, <c>SHELLCODE_PORTS</c> = <c>!80</c>,
/// <c>ORACLE_PORTS</c> = 1521, <c>SSH_PORTS</c> = 22, <c>DNS_PORTS</c> = 53, <c>FILE_DATA_PORTS</c> =
/// <c>[$HTTP_PORTS,110,143]</c>. Values are rule-language text and may refer to other variables.</para>
/// <para>Example: with u-tokyo's 192.0.2.0/24 registered, <c>$HOME_NET</c> matches 192.0.2.7 and
/// <c>$EXTERNAL_NET</c> matches 198.51.100.1.</para>
/// </remarks>
public sealed class RuleVariables
{
    private readonly Dictionary<string, string> _addresses;
    private readonly Dictionary<string, string> _ports;

    private RuleVariables(ScopeIndex scope, Dictionary<string, string> addresses, Dictionary<string, string> ports)
    {
        Scope = scope;
        _addresses = addresses;
        _ports = ports;
    }

    /// <summary>The scope <c>$HOME_NET</c> stands for.</summary>
    public ScopeIndex Scope { get; }

    /// <summary>The defaults, with <c>$HOME_NET</c> bound to a scope.</summary>
    /// <param name="scope">The scope index.</param>
    /// <returns>The variables.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scope"/> is null.</exception>
    public static RuleVariables ForScope(ScopeIndex scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var addresses = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["EXTERNAL_NET"] = "!$HOME_NET",
            ["HTTP_SERVERS"] = "$HOME_NET",
            ["SQL_SERVERS"] = "$HOME_NET",
            ["DNS_SERVERS"] = "$HOME_NET",
            ["SMTP_SERVERS"] = "$HOME_NET",
        };
        var ports = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HTTP_PORTS"] = "[80,8000,8080,8888]",
            ["SHELLCODE_PORTS"] = "!80",
            ["ORACLE_PORTS"] = "1521",
            ["SSH_PORTS"] = "22",
            ["DNS_PORTS"] = "53",
            ["FILE_DATA_PORTS"] = "[$HTTP_PORTS,110,143]",
        };
        return new RuleVariables(scope, addresses, ports);
    }

    /// <summary>Copies the variables with one address variable set.</summary>
    /// <param name="name">The name without <c>$</c>; <c>HOME_NET</c> cannot be rebound (it is the scope).</param>
    /// <param name="value">Rule-language address text, such as <c>[192.0.2.0/24,!192.0.2.7]</c>.</param>
    /// <returns>The new variables.</returns>
    /// <exception cref="ArgumentException">The name is empty or <c>HOME_NET</c>.</exception>
    public RuleVariables WithAddress(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        if (name == "HOME_NET")
        {
            throw new ArgumentException("HOME_NET is the scope (R5.1) and cannot be rebound.", nameof(name));
        }

        return new RuleVariables(Scope, new(_addresses, StringComparer.Ordinal) { [name] = value }, _ports);
    }

    /// <summary>Copies the variables with one port variable set.</summary>
    /// <param name="name">The name without <c>$</c>.</param>
    /// <param name="value">Rule-language port text, such as <c>[80,443]</c>.</param>
    /// <returns>The new variables.</returns>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public RuleVariables WithPort(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        return new RuleVariables(Scope, _addresses, new(_ports, StringComparer.Ordinal) { [name] = value });
    }

    internal bool TryGetAddress(string name, out string value) => _addresses.TryGetValue(name, out value!);

    internal bool TryGetPort(string name, out string value) => _ports.TryGetValue(name, out value!);
}
