using Nii.Socs.Core.Notifications;

namespace Nii.Socs.Core.Storage.Outbox;

/// <summary>The mail outbox (R4.5, R4.6) on its own FasterLog under <c>&lt;data&gt;/outbox/</c>: events are the truth, <see cref="State"/> their fold.</summary>
/// <remarks>
/// Every <see cref="AppendAsync"/> returns only after FASTER has committed its events, so a mail queued (or a detection
/// deferred to a digest) before a crash or restart is still there after <see cref="Open"/>. Appends are serialised, so
/// the log order is the order in which <see cref="State"/> saw them.
/// <para>Edge case: a crash between handing a mail to the SMTP server and committing its <see cref="MailSent"/> sends
/// that mail again after the restart (at least once, never lost).</para>
/// </remarks>
public sealed class MailOutbox : IDisposable
{
    /// <summary>The directory under the data directory.</summary>
    public const string DirectoryName = "outbox";

    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly FasterLogHandle _log;
    private NotificationState _state;
    private bool _disposed;

    private MailOutbox(FasterLogHandle log, NotificationState state)
    {
        _log = log;
        _state = state;
    }

    /// <summary>The current state: the fold of every committed event.</summary>
    public NotificationState State => Volatile.Read(ref _state);

    /// <summary>Opens (creating when absent) the outbox under a data directory and folds its events.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <returns>The outbox.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">A stored event cannot be read.</exception>
    public static MailOutbox Open(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var log = FasterLogHandle.Open(Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName));
        try
        {
            return new MailOutbox(log, NotificationState.Fold(ReadEvents(log)));
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>Every committed event in order.</summary>
    /// <returns>The events.</returns>
    /// <exception cref="ObjectDisposedException">The outbox is disposed.</exception>
    public IReadOnlyList<OutboxEvent> Events()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ReadEvents(_log);
    }

    /// <summary>Appends events and returns the new state once they are committed.</summary>
    /// <param name="events">The events, in order.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The state after them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The outbox is disposed.</exception>
    public async Task<NotificationState> AppendAsync(IEnumerable<OutboxEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _append.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = State;
            var any = false;
            foreach (var e in events)
            {
                _log.Log.Enqueue(OutboxEventCodec.Encode(e));
                state = state.Apply(e);
                any = true;
            }

            if (any)
            {
                await _log.EnsureCommittedAsync(_log.Log.TailAddress, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _state, state);
            }

            return state;
        }
        finally
        {
            _append.Release();
        }
    }

    /// <summary>Closes the log.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _log.Dispose();
        _append.Dispose();
    }

    private static List<OutboxEvent> ReadEvents(FasterLogHandle log)
    {
        var events = new List<OutboxEvent>();
        using var iterator = log.Log.Scan(log.Log.BeginAddress, log.Log.CommittedUntilAddress);
        while (iterator.GetNext(out var bytes, out var length, out _))
        {
            events.Add(OutboxEventCodec.Decode(bytes.AsMemory(0, length)));
        }

        return events;
    }
}
