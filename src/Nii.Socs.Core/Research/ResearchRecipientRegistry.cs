using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace Nii.Socs.Core.Research;

/// <summary>The recipients of research data sets registered by the organization (R9): an immutable value.</summary>
/// <remarks>
/// Art. 9: an export names its recipient, and only a registered recipient can receive one. A change
/// returns a new registry for the caller to store. Worked case: exporting to <c>kyoto-lab</c> before it is
/// registered fails with a message listing the registered names.
/// </remarks>
internal sealed class ResearchRecipientRegistry
{
    private readonly ImmutableSortedDictionary<string, ResearchRecipient> _recipients;

    private ResearchRecipientRegistry(ImmutableSortedDictionary<string, ResearchRecipient> recipients) => _recipients = recipients;

    /// <summary>The registry with no recipient.</summary>
    public static ResearchRecipientRegistry Empty { get; } = new(ImmutableSortedDictionary.Create<string, ResearchRecipient>(StringComparer.Ordinal));

    /// <summary>The registered recipients, ordered by name.</summary>
    public IReadOnlyList<ResearchRecipient> All => [.. _recipients.Values];

    /// <summary>Registers a recipient.</summary>
    /// <param name="recipient">The recipient.</param>
    /// <returns>The new registry.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="recipient"/> is null.</exception>
    /// <exception cref="ArgumentException">A recipient of that name is already registered.</exception>
    public ResearchRecipientRegistry Register(ResearchRecipient recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        if (_recipients.ContainsKey(recipient.Name))
        {
            throw new ArgumentException($"The research recipient '{recipient.Name}' is already registered.", nameof(recipient));
        }

        return new ResearchRecipientRegistry(_recipients.Add(recipient.Name, recipient));
    }

    /// <summary>Removes a recipient; later exports to it are refused.</summary>
    /// <param name="name">The recipient's handle.</param>
    /// <returns>The new registry.</returns>
    /// <exception cref="ArgumentException">No recipient of that name is registered.</exception>
    public ResearchRecipientRegistry Remove(string name)
    {
        _ = Require(name);
        return new ResearchRecipientRegistry(_recipients.Remove(name));
    }

    /// <summary>Looks a recipient up.</summary>
    /// <param name="name">The handle.</param>
    /// <param name="recipient">The recipient when registered.</param>
    /// <returns>Whether it is registered.</returns>
    public bool TryGet(string? name, [NotNullWhen(true)] out ResearchRecipient? recipient)
    {
        recipient = null;
        return name is not null && _recipients.TryGetValue(name, out recipient);
    }

    /// <summary>The registered recipient of that name.</summary>
    /// <param name="name">The handle.</param>
    /// <returns>The recipient.</returns>
    /// <exception cref="ArgumentException">No recipient of that name is registered; the message lists the registered ones.</exception>
    /// <remarks>Art. 9: an export to an unknown recipient is refused.</remarks>
    public ResearchRecipient Require(string? name)
    {
        if (TryGet(name, out var recipient))
        {
            return recipient;
        }

        var known = _recipients.Count == 0 ? "none is registered" : "registered: " + string.Join(", ", _recipients.Keys);
        throw new ArgumentException($"'{name}' is not a registered research recipient ({known}); the organization registers recipients first.", nameof(name));
    }
}
