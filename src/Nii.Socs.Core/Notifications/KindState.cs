using System.Collections.Immutable;

namespace Nii.Socs.Core.Notifications;

/// <summary>What the notifier remembers of one <see cref="NotificationKind"/>.</summary>
/// <param name="LastSeen">When a detection of the kind was last planned (immediate or deferred).</param>
/// <param name="Thread">Message-IDs of the kind's current thread, oldest first: its first mail, then follow-ups; empty before any mail carried it.</param>
/// <param name="RuleMessage">The rule's latest <c>msg</c>, for follow-up subjects.</param>
internal sealed record KindState(DateTimeOffset LastSeen, ImmutableArray<string> Thread, string RuleMessage);
