using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Governor;

/// <summary>Sheds load by temporarily excluding the busiest prefixes while the detection queue stays high (R5.2).</summary>
/// <remarks>
/// <para>The producer reports each frame's prefix and size through <see cref="Account"/> and the
/// queue depth through <see cref="Observe"/>. Traffic shares decay by half at every decision, so
/// "highest share" means recent traffic. The choice is deterministic: the largest share wins,
/// ties go to the prefix that sorts first (<see cref="ScopeIndex.Compare"/>).</para>
/// <para>Every exclusion is a <see cref="ScopeExclusion"/> per participant (participant, prefix,
/// from, to, reason), for the portal and the inspection report. Memory is two arrays of
/// <see cref="ScopeIndex.Count"/> entries plus one event per exclusion.</para>
/// <para>Not thread-safe: one producer thread calls it.</para>
/// </remarks>
public sealed class LoadGovernor
{
    private readonly ScopeIndex _scope;
    private readonly LoadGovernorOptions _options;
    private readonly TimeProvider _time;
    private readonly long[] _traffic;
    private readonly bool[] _excluded;
    private readonly List<ScopeExclusion> _history = [];
    private readonly List<(int Prefix, int HistoryIndex)> _open = [];
    private DateTimeOffset? _highSince;
    private DateTimeOffset _lastExclusion = DateTimeOffset.MinValue;

    /// <summary>Creates a governor.</summary>
    /// <param name="scope">The scope whose prefixes may be excluded.</param>
    /// <param name="options">The settings; validated here.</param>
    /// <param name="time">The clock.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public LoadGovernor(ScopeIndex scope, LoadGovernorOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _scope = scope;
        _options = options;
        _time = time;
        _traffic = new long[scope.Count];
        _excluded = new bool[scope.Count];
    }

    /// <summary>Every exclusion so far, open ones with a null <see cref="ScopeExclusion.To"/>, in start order.</summary>
    public IReadOnlyList<ScopeExclusion> Exclusions => _history;

    /// <summary>The number of prefixes excluded right now.</summary>
    public int ExcludedCount { get; private set; }

    /// <summary>Whether a prefix is excluded right now.</summary>
    /// <param name="prefixIndex">A dense index from <see cref="ScopeIndex.Lookup"/>.</param>
    /// <returns>True when traffic of that prefix is being dropped.</returns>
    public bool IsExcluded(int prefixIndex) => _excluded[prefixIndex];

    /// <summary>Counts a frame's bytes towards a prefix's traffic share.</summary>
    /// <param name="prefixIndex">The prefix's dense index; negative values are ignored.</param>
    /// <param name="bytes">The frame's length.</param>
    public void Account(int prefixIndex, int bytes)
    {
        if (prefixIndex >= 0)
        {
            _traffic[prefixIndex] += bytes;
        }
    }

    /// <summary>Reports the queue depth; may start or end exclusions.</summary>
    /// <param name="depth">The number of frames waiting for detection.</param>
    /// <returns>True when the set of excluded prefixes changed.</returns>
    public bool Observe(int depth)
    {
        var capacity = _options.QueueCapacity;
        var now = _time.GetUtcNow();
        if (depth >= _options.HighWaterMark * capacity)
        {
            _highSince ??= now;
            if (now - _highSince.Value >= _options.Sustain && now - _lastExclusion >= _options.Sustain)
            {
                _lastExclusion = now;
                return ExcludeBusiest(now, depth);
            }

            return false;
        }

        _highSince = null;
        if (depth <= _options.LowWaterMark * capacity && _open.Count > 0)
        {
            EndAll(now);
            return true;
        }

        return false;
    }

    /// <summary>Ends every open exclusion now (the end of a run).</summary>
    public void EndAll() => EndAll(_time.GetUtcNow());

    private bool ExcludeBusiest(DateTimeOffset now, int depth)
    {
        var best = -1;
        for (var i = 0; i < _traffic.Length; i++)
        {
            if (!_excluded[i] && _traffic[i] > 0 && (best < 0 || _traffic[i] > _traffic[best]))
            {
                best = i;
            }
        }

        for (var i = 0; i < _traffic.Length; i++)
        {
            _traffic[i] /= 2;
        }

        if (best < 0)
        {
            return false;
        }

        _excluded[best] = true;
        ExcludedCount++;
        var match = _scope[best];
        var reason = $"detection queue at {depth} of {_options.QueueCapacity} frames for {_options.Sustain.TotalSeconds:0.###} s; busiest prefix excluded";
        foreach (var participant in match.Participants)
        {
            _open.Add((best, _history.Count));
            _history.Add(new ScopeExclusion(participant, [match.Prefix], now, null, reason));
        }

        return true;
    }

    private void EndAll(DateTimeOffset now)
    {
        foreach (var (prefix, historyIndex) in _open)
        {
            _excluded[prefix] = false;
            _history[historyIndex] = _history[historyIndex] with { To = now };
        }

        _open.Clear();
        ExcludedCount = 0;
    }
}
