using System.Reflection;
using Nii.Socs.Core.Sealing;

namespace Nii.Socs.Core.Tests.Sealing;

/// <summary>docs/consent.md and docs/security.md: <c>ContentSealer.TryOpen</c> is internal to the library, so a
/// package consumer reaches plaintext only through the consent service.</summary>
public sealed class ContentSealerSurfaceTests
{
    [Fact]
    [Trait("Requirement", "R7.2")]
    public void ContentSealer_opens_content_only_through_internal_methods()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        var methods = typeof(ContentSealer).GetMethods(all);

        var opens = methods.Where(m => m.Name.Contains("Open", StringComparison.Ordinal) || m.Name.Contains("Decrypt", StringComparison.Ordinal) || m.Name.Contains("Unseal", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(opens);
        Assert.All(opens, m => Assert.True(m.IsAssembly, $"{m.Name} is visible outside Nii.Socs.Core"));
    }
}
