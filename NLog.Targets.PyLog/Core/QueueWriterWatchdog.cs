using System;
using System.Threading;
using NLog.Common;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Starts NLog's writer again when <see cref="AsyncTaskTarget"/> has stopped draining its queue:
    /// events queued, no write task, no timer set.
    /// </summary>
    /// <remarks>
    /// NLog 6.2.2 can get there: the logging call that finds the queue empty waits at most 50 ms for
    /// the target's lock before deciding whether to start the writer, and reads the running task
    /// without the lock when that wait times out; if the writer was just finishing with an empty
    /// queue, nobody starts it again and every later event only joins the queue (seen here in 3 of
    /// 164 runs of the Kafka outage test; a memory dump of one: 4,611 events queued,
    /// <c>_previousTask</c> null, the pipeline idle, until a flush). The watchdog looks every <c>period</c> and, when it sees that
    /// state twice in a row, fires NLog's own writer timer; a running writer makes that a no-op.
    /// </remarks>
    internal sealed class QueueWriterWatchdog : IDisposable
    {
        private readonly object _owner;
        private readonly AsyncTaskQueueProbe _probe;
        private readonly Timer _timer;
        private int _idleLooks;
        private int _restarts;

        /// <param name="owner">The target, for internal log lines.</param>
        /// <param name="probe">NLog's queue and writer of the target.</param>
        /// <param name="taskDelayMilliseconds">The target's <c>TaskDelayMilliseconds</c>: NLog may legitimately wait that long with events queued.</param>
        public QueueWriterWatchdog(object owner, AsyncTaskQueueProbe probe, int taskDelayMilliseconds)
        {
            _owner = owner;
            _probe = probe;
            int period = Math.Max(250, taskDelayMilliseconds);
            _timer = new Timer(static state => ((QueueWriterWatchdog)state!).Look(), this, period, period);
        }

        /// <summary>How many times NLog's writer had to be started again.</summary>
        public int Restarts => Volatile.Read(ref _restarts);

        /// <summary>One look; called by the timer (and by tests, to look at once).</summary>
        internal void Look()
        {
            try
            {
                if (_probe.Count == 0 || !_probe.WriterIdle)
                {
                    _idleLooks = 0;
                    return;
                }
                if (++_idleLooks < 2)
                    return;
                _idleLooks = 0;
                Interlocked.Increment(ref _restarts);
                InternalLogger.Debug("{0}: NLog's queue held {1} events with no write task scheduled; started its writer again", _owner, _probe.Count);
                _probe.StartWriter();
            }
            catch (Exception ex)
            {
                InternalLogger.Debug(ex, "{0}: checking NLog's queue writer failed", _owner);
            }
        }

        public void Dispose() => _timer.Dispose();
    }
}
