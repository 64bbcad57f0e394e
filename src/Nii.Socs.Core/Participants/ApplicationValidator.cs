using System.Globalization;
using System.Text.RegularExpressions;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Participants;

/// <summary>Validates applications on entry (R3.1–R3.3, interp.): every error at once, with its field.</summary>
/// <remarks>
/// Checks: an institution name; at least one prefix, each well-formed (normalised to its network
/// address), none overlapping another in the same application or any prefix of another
/// participant (R5.1 needs each address to belong to at most one participant); at least one
/// contact mail address, each valid; at least one operator, each with a name and a valid mail. A prefix must be a
/// plausible monitored network (interp.): at least <see cref="MinimumIPv4PrefixLength"/> bits for IPv4 and
/// <see cref="MinimumIPv6PrefixLength"/> for IPv6, and not inside the unspecified, loopback, link-local or multicast
/// ranges, so a default route such as <c>0.0.0.0/0</c> or <c>::/0</c> can never put everyone's traffic in one scope.
/// <para>Edge case: <c>192.0.2.77/24</c> is accepted and normalised to <c>192.0.2.0/24</c>;
/// <c>2001:db8::/32</c> and <c>2001:db8:1::/48</c> in one application are refused as overlapping.</para>
/// </remarks>
internal static partial class ApplicationValidator
{
    /// <summary>The shortest IPv4 prefix a participant may register: a /8, the largest block ever assigned to one institution.</summary>
    public const int MinimumIPv4PrefixLength = 8;

    /// <summary>The shortest IPv6 prefix a participant may register: a /19, the largest allocation a registry makes to one network.</summary>
    public const int MinimumIPv6PrefixLength = 19;

    private static readonly IPPrefix[] s_notMonitorable =
    [
        IPPrefix.Parse("0.0.0.0/8"),
        IPPrefix.Parse("127.0.0.0/8"),
        IPPrefix.Parse("169.254.0.0/16"),
        IPPrefix.Parse("224.0.0.0/3"),
        IPPrefix.Parse("::/8"),
        IPPrefix.Parse("fe80::/10"),
        IPPrefix.Parse("ff00::/8"),
    ];

    /// <summary>Why a prefix cannot be a participant's monitored network; null when it can (R3.1, interp.).</summary>
    /// <param name="prefix">The prefix, normalised.</param>
    /// <returns>The reason, or null.</returns>
    public static string? Implausible(IPPrefix prefix)
    {
        var minimum = prefix.IsIPv6 ? MinimumIPv6PrefixLength : MinimumIPv4PrefixLength;
        if (prefix.Length < minimum)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{prefix} is shorter than /{minimum}, the shortest {(prefix.IsIPv6 ? "IPv6" : "IPv4")} prefix one participant may register (a default route or a whole registry block is never one institution's network)");
        }

        foreach (var reserved in s_notMonitorable)
        {
            if (reserved.Overlaps(prefix))
            {
                return $"{prefix} lies in {reserved}, which is not a monitorable unicast network (unspecified, loopback, link-local or multicast)";
            }
        }

        return null;
    }

    /// <summary>Validates an application against the prefixes other participants already hold.</summary>
    /// <param name="application">The application.</param>
    /// <param name="otherParticipants">The prefixes of every other participant.</param>
    /// <returns>The validated application, or every error.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static ApplicationValidation Validate(
        Application application,
        IReadOnlyDictionary<ParticipantId, IReadOnlyList<IPPrefix>> otherParticipants)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(otherParticipants);
        var errors = new List<ValidationError>();

        if (application.Participant is { } id && !ParticipantId.IsValid(id))
        {
            errors.Add(new("participant", $"'{id}' is not a participant id: 1 to 63 lower-case letters, digits or hyphens, such as u-tokyo"));
        }

        if (string.IsNullOrWhiteSpace(application.InstitutionName))
        {
            errors.Add(new("institutionName", "the institution's name is required"));
        }

        var prefixes = new List<(IPPrefix Prefix, int Index)>();
        if (application.Prefixes.Count == 0)
        {
            errors.Add(new("prefixes", "at least one monitored prefix is required (R3.1)"));
        }

        for (var i = 0; i < application.Prefixes.Count; i++)
        {
            var field = Field("prefixes", i);
            if (!IPPrefix.TryParse(application.Prefixes[i], out var prefix, out var error))
            {
                errors.Add(new(field, error!));
                continue;
            }

            if (Implausible(prefix) is { } absurd)
            {
                errors.Add(new(field, absurd));
                continue;
            }

            var clash = prefixes.FindIndex(p => p.Prefix.Overlaps(prefix));
            if (clash >= 0)
            {
                errors.Add(new(field, $"{prefix} overlaps {prefixes[clash].Prefix} of {Field("prefixes", prefixes[clash].Index)} in this application"));
            }

            foreach (var (participant, theirs) in otherParticipants.OrderBy(p => p.Key.Value, StringComparer.Ordinal))
            {
                foreach (var other in theirs)
                {
                    if (other.Overlaps(prefix))
                    {
                        errors.Add(new(field, $"{prefix} overlaps {other} of participant {participant}"));
                    }
                }
            }

            prefixes.Add((prefix, i));
        }

        var mails = new List<string>();
        if (application.ContactMails.Count == 0)
        {
            errors.Add(new("contactMails", "at least one contact mail address is required (R3.2)"));
        }

        for (var i = 0; i < application.ContactMails.Count; i++)
        {
            var mail = application.ContactMails[i]?.Trim() ?? string.Empty;
            if (!IsMailAddress(mail))
            {
                errors.Add(new(Field("contactMails", i), $"'{mail}' is not a mail address such as soc@example.ac.jp"));
            }

            mails.Add(mail);
        }

        if (application.Operators.Count == 0)
        {
            errors.Add(new("operators", "at least one portal operator is required (R3.3)"));
        }

        for (var i = 0; i < application.Operators.Count; i++)
        {
            var op = application.Operators[i];
            if (op is null)
            {
                errors.Add(new(Field("operators", i), "the operator is missing"));
                continue;
            }

            if (string.IsNullOrWhiteSpace(op.Name))
            {
                errors.Add(new(Field("operators", i) + ".name", "the operator's name is required"));
            }

            if (!IsMailAddress(op.Mail?.Trim()))
            {
                errors.Add(new(Field("operators", i) + ".mail", $"'{op.Mail}' is not a mail address such as soc@example.ac.jp"));
            }
        }

        if (errors.Count > 0)
        {
            return new ApplicationValidation(null, errors);
        }

        var validated = new ValidatedApplication(
            application.InstitutionName.Trim(),
            [.. prefixes.Select(p => p.Prefix)],
            mails,
            [.. application.Operators.Select(o => o with { Name = o.Name.Trim(), Mail = o.Mail.Trim() })]);
        return new ApplicationValidation(validated, errors);
    }

    /// <summary>Whether a text is a plain mail address (<c>local@domain</c>, dot-atom form of RFC 5322).</summary>
    /// <param name="text">The text.</param>
    /// <returns>True for an address such as <c>soc@example.ac.jp</c>.</returns>
    public static bool IsMailAddress(string? text) => text is { Length: <= 254 } && MailPattern().IsMatch(text);

    private static string Field(string name, int index) => string.Create(CultureInfo.InvariantCulture, $"{name}[{index}]");

    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$", RegexOptions.CultureInvariant)]
    private static partial Regex MailPattern();
}
