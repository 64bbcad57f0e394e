namespace Nii.Socs.Core.Storage;

/// <summary>Signs a history's checkpoint every interval of the injected clock, one run at a time, for the FASTER
/// history and the cluster history alike (R6.4: "every T and at shutdown").</summary>
/// <remarks>A run that fails is left to the next tick, the next interval or the owner's final checkpoint: it must not
/// crash the timer thread. <see cref="DisposeAsync"/> stops the ticks and waits for a run in flight, so the owner's final
/// checkpoint comes after it.</remarks>
internal sealed class CheckpointTimer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Func<Task> _checkpoint;
    private readonly ITimer _timer;
    private Task? _run;
    private bool _stopped;

    /// <param name="time">The clock.</param>
    /// <param name="every">The interval (positive).</param>
    /// <param name="checkpoint">Signs a checkpoint when entries are unsigned.</param>
    public CheckpointTimer(TimeProvider time, TimeSpan every, Func<Task> checkpoint)
    {
        _checkpoint = checkpoint;
        _timer = time.CreateTimer(static s => ((CheckpointTimer)s!).Tick(), this, every, every);
    }

    public async ValueTask DisposeAsync()
    {
        Task? run;
        lock (_gate)
        {
            _stopped = true;
            run = _run;
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        if (run is not null)
        {
            await run.ConfigureAwait(false);
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A timed checkpoint that fails is retried at the next tick, the next interval or shutdown; it must not crash the timer thread.")]
    private void Tick()
    {
        lock (_gate)
        {
            if (_stopped || _run is { IsCompleted: false })
            {
                return;
            }

            _run = Task.Run(async () =>
            {
                try
                {
                    await _checkpoint().ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The disk or the cluster refused: the next tick, the next interval or shutdown signs.
                }
            });
        }
    }
}
