using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Consent;

/// <summary>Who acts: a member of the organization's staff, or an operator of one participant.</summary>
/// <remarks>An operator acts only for its own participant: it may decide that participant's
/// requests and nobody else's (R8.6).</remarks>
public sealed record Actor
{
    private Actor(ActorKind kind, string name, ParticipantId? participant)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Kind = kind;
        Name = name.Trim();
        Participant = participant;
    }

    /// <summary>Whether the actor is staff or an operator.</summary>
    public ActorKind Kind { get; }

    /// <summary>The actor's name (staff id or operator name).</summary>
    public string Name { get; }

    /// <summary>The participant an operator belongs to; null for staff.</summary>
    public ParticipantId? Participant { get; }

    /// <summary>A member of the organization's staff.</summary>
    /// <param name="name">The staff member's id.</param>
    /// <returns>The actor.</returns>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public static Actor Staff(string name) => new(ActorKind.Staff, name, null);

    /// <summary>An operator of a participant.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="name">The operator's name.</param>
    /// <returns>The actor.</returns>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public static Actor Operator(ParticipantId participant, string name) => new(ActorKind.Operator, name, participant);

    /// <summary>The actor as <c>staff:name</c> or <c>operator:participant/name</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Kind == ActorKind.Staff ? $"staff:{Name}" : $"operator:{Participant}/{Name}";
}

/// <summary>The kinds of actor.</summary>
public enum ActorKind
{
    /// <summary>The organization's staff (機構).</summary>
    Staff = 0,

    /// <summary>A participant's portal operator.</summary>
    Operator = 1,
}
