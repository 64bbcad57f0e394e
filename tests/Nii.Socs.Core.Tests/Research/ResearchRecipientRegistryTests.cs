using Nii.Socs.Core.Research;

namespace Nii.Socs.Core.Tests.Research;

public class ResearchRecipientRegistryTests
{
    [Fact]
    public void Unknown_recipient_is_a_clear_error_listing_the_registered_ones()
    {
        var registry = ResearchRecipientRegistry.Empty.Register(new ResearchRecipient("kyoto-lab", "Kyoto University", string.Empty));
        var error = Assert.Throws<ArgumentException>(() => registry.Require("osaka-lab"));
        Assert.Contains("'osaka-lab' is not a registered research recipient", error.Message, StringComparison.Ordinal);
        Assert.Contains("kyoto-lab", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_is_immutable_and_refuses_duplicates()
    {
        var one = ResearchRecipientRegistry.Empty.Register(new ResearchRecipient("kyoto-lab", "Kyoto University", string.Empty));
        Assert.Empty(ResearchRecipientRegistry.Empty.All);
        Assert.Throws<ArgumentException>(() => one.Register(new ResearchRecipient("kyoto-lab", "Other", string.Empty)));
        Assert.False(one.Remove("kyoto-lab").TryGet("kyoto-lab", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Kyoto")]
    [InlineData("-lab")]
    [InlineData("a b")]
    public void Malformed_names_are_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => new ResearchRecipient(name, "Org", string.Empty));
    }
}
