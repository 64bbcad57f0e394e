namespace Nii.Socs.Host.Tests.Portal;

/// <summary>The portal tests share one running portal (and one data directory).</summary>
[CollectionDefinition(Name)]
public sealed class PortalGroup : ICollectionFixture<PortalFixture>
{
    public const string Name = "portal";
}
