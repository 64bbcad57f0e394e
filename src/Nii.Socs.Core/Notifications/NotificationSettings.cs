namespace Nii.Socs.Core.Notifications;

/// <summary>How detections become mails (R4.5): the digest window, the caps and the retry backoff.</summary>
/// <remarks>
/// R4.5 "never a flood": per participant at most <see cref="MaxImmediatePerWindow"/> immediate mails in any
/// <see cref="DigestWindow"/>, and at most one digest per window. A mail that fails is retried after
/// <see cref="RetryInitialDelay"/>, doubling per attempt up to <see cref="RetryMaxDelay"/>, and never given up.
/// <para>Edge case: with a 1-hour window, a kind seen at 10:00 and again at 10:59 is mailed once at 10:00 and the
/// second detection goes into the digest; seen again at 12:00 (quiet since 10:59 for over an hour) it is mailed at
/// once again.</para>
/// </remarks>
internal sealed record NotificationSettings
{
    /// <summary>The largest <see cref="MaxImmediatePerWindow"/>.</summary>
    public const int MaxImmediateLimit = 64;

    /// <summary>The defaults: 1-hour window, 10 immediate mails per window, 200 rows listed per mail, retry 30 s doubling to 1 h.</summary>
    public static readonly NotificationSettings Default = new(TimeSpan.FromHours(1), 10, 200, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), "socs.invalid");

    /// <summary>Creates settings.</summary>
    /// <param name="digestWindow">The digest window, 1 minute to 7 days.</param>
    /// <param name="maxImmediatePerWindow">Immediate mails per participant per window, 1 to <see cref="MaxImmediateLimit"/>.</param>
    /// <param name="maxRowsPerMail">Detections listed row by row in one mail, 1 to 10 000; the rest are summarised per rule.</param>
    /// <param name="retryInitialDelay">The first retry delay, 1 second to 1 day.</param>
    /// <param name="retryMaxDelay">The longest retry delay, at least <paramref name="retryInitialDelay"/> and at most 1 day.</param>
    /// <param name="messageIdDomain">The right-hand side of Message-IDs, such as <c>soc.example.ac.jp</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A number or span is out of its range.</exception>
    /// <exception cref="ArgumentException"><paramref name="messageIdDomain"/> is empty or holds characters a Message-ID cannot.</exception>
    public NotificationSettings(TimeSpan digestWindow, int maxImmediatePerWindow, int maxRowsPerMail, TimeSpan retryInitialDelay, TimeSpan retryMaxDelay, string messageIdDomain)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digestWindow, TimeSpan.FromMinutes(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digestWindow, TimeSpan.FromDays(7));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxImmediatePerWindow, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxImmediatePerWindow, MaxImmediateLimit);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRowsPerMail, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxRowsPerMail, 10_000);
        ArgumentOutOfRangeException.ThrowIfLessThan(retryInitialDelay, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(retryInitialDelay, TimeSpan.FromDays(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(retryMaxDelay, retryInitialDelay);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(retryMaxDelay, TimeSpan.FromDays(1));
        if (!IsValidDomain(messageIdDomain))
        {
            throw new ArgumentException($"A Message-ID domain is letters, digits, '.', '-' and '_'; got '{messageIdDomain}'.", nameof(messageIdDomain));
        }

        DigestWindow = digestWindow;
        MaxImmediatePerWindow = maxImmediatePerWindow;
        MaxRowsPerMail = maxRowsPerMail;
        RetryInitialDelay = retryInitialDelay;
        RetryMaxDelay = retryMaxDelay;
        MessageIdDomain = messageIdDomain;
    }

    /// <summary>The digest window: a kind is mailed at once only after this long without it, and digests are this far apart.</summary>
    /// <value>The default is 1 hour (R4.5).</value>
    public TimeSpan DigestWindow { get; }

    /// <summary>Immediate mails per participant in any window; further first detections go into the digest.</summary>
    /// <value>The default is 10 (R4.5).</value>
    public int MaxImmediatePerWindow { get; }

    /// <summary>Detections listed row by row in one mail; the rest are counted per rule below the table.</summary>
    /// <value>The default is 200 (R4.5).</value>
    public int MaxRowsPerMail { get; }

    /// <summary>The delay before the first retry of a failed mail.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan RetryInitialDelay { get; }

    /// <summary>The longest delay between retries.</summary>
    /// <value>The default is 1 hour.</value>
    public TimeSpan RetryMaxDelay { get; }

    /// <summary>The domain part of generated Message-IDs.</summary>
    /// <value>The default is <c>socs.invalid</c>.</value>
    public string MessageIdDomain { get; }

    /// <summary>The delay before the next attempt after <paramref name="failedAttempts"/> failures: initial × 2^(n−1), capped.</summary>
    /// <param name="failedAttempts">Failures so far, 1 or more.</param>
    /// <returns>The delay.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="failedAttempts"/> is below 1.</exception>
    /// <remarks>Edge case: with 30 s and a 1-hour cap, attempts fail at +0, +30 s, +1.5 min, … and from the 9th failure every hour.</remarks>
    public TimeSpan RetryDelayAfter(int failedAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        var delay = RetryInitialDelay;
        for (var i = 1; i < failedAttempts && delay < RetryMaxDelay; i++)
        {
            delay += delay;
        }

        return delay < RetryMaxDelay ? delay : RetryMaxDelay;
    }

    /// <summary>Whether a text can be the domain of a Message-ID.</summary>
    /// <param name="domain">The text.</param>
    /// <returns>True for 1–253 letters, digits, '.', '-' and '_'.</returns>
    public static bool IsValidDomain(string? domain) =>
        !string.IsNullOrEmpty(domain) && domain.Length <= 253 && domain.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
}
