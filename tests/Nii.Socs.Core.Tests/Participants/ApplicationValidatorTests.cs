using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Tests.Participants;

public class ApplicationValidatorTests
{
    private static readonly Dictionary<ParticipantId, IReadOnlyList<IPPrefix>> s_none = [];

    private static Application Valid => new()
    {
        InstitutionName = "Example University",
        Prefixes = ["192.0.2.77/24", "2001:db8:10::/48"],
        ContactMails = ["soc@example.ac.jp"],
        Operators = [new OperatorContact("Hanako Sato", "sato@example.ac.jp", null, true)],
    };

    [Fact]
    [Trait("Requirement", "R3.1")]
    public void Valid_application_is_normalised()
    {
        var result = ApplicationValidator.Validate(Valid, s_none);
        Assert.True(result.IsValid);
        Assert.Equal(["192.0.2.0/24", "2001:db8:10::/48"], result.Application!.Prefixes.Select(p => p.ToString()));
    }

    [Fact]
    [Trait("Requirement", "R3.1")]
    [Trait("Requirement", "R3.3")]
    public void Every_error_is_reported_at_once_with_its_field()
    {
        var bad = new Application
        {
            InstitutionName = " ",
            Prefixes = ["192.0.2.0/33", "10.0.0.0/8", "10.1.0.0/16", "banana"],
            ContactMails = ["not-an-address"],
            Operators = [new OperatorContact("", "x@", null, false)],
        };
        var result = ApplicationValidator.Validate(bad, s_none);
        Assert.False(result.IsValid);
        Assert.Null(result.Application);
        Assert.Equal(
            ["institutionName", "prefixes[0]", "prefixes[2]", "prefixes[3]", "contactMails[0]", "operators[0].name", "operators[0].mail"],
            result.Errors.Select(e => e.Field));
        Assert.Contains("10.0.0.0/8 of prefixes[1]", result.Errors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R3.1")]
    public void Overlap_with_another_participant_is_refused_and_names_it()
    {
        var others = new Dictionary<ParticipantId, IReadOnlyList<IPPrefix>>
        {
            [new ParticipantId("other-u")] = [IPPrefix.Parse("192.0.2.128/25")],
        };
        var result = ApplicationValidator.Validate(Valid, others);
        var error = Assert.Single(result.Errors);
        Assert.Equal("prefixes[0]", error.Field);
        Assert.Contains("other-u", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R3.2")]
    public void Contacts_and_operators_are_required()
    {
        var result = ApplicationValidator.Validate(Valid with { ContactMails = [], Operators = [] }, s_none);
        Assert.Equal(["contactMails", "operators"], result.Errors.Select(e => e.Field));
    }
}
