using System;
using System.Collections.Generic;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using NLog.Common;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Reaches the request queue that <see cref="AsyncTaskTarget"/> keeps private
    /// (<c>_requestQueue</c>, an <c>AsyncRequestQueueBase</c>): its <c>LogEventDropped</c> event
    /// (overflow discards, counted as <c>queue_full</c>), its <c>Count</c> (the queue gauge) and
    /// its <c>DequeueBatch</c> (closing drains what NLog still holds instead of letting NLog clear it),
    /// and its writer scheduling (<c>_previousTask</c>, <c>_lazyWriterTimer</c>) so that a queue NLog
    /// stopped draining can be started again (see <see cref="WriterIdle"/>).
    /// </summary>
    /// <remarks>
    /// Without these the network targets would lose events silently, so a NLog whose internals
    /// differ fails the target's initialization with a message naming what is missing, rather
    /// than running degraded. A test pins this against the NLog version in use.
    /// </remarks>
    internal sealed class AsyncTaskQueueProbe
    {
        private const string QueueFieldName = "_requestQueue";
        private const string TaskFieldName = "_previousTask";
        private const string TimerFieldName = "_lazyWriterTimer";

        private readonly object _queue;
        private readonly EventInfo _droppedEvent;
        private readonly Func<int> _count;
        private readonly MethodInfo _dequeueBatch;
        private readonly AsyncTaskTarget _target;
        private readonly FieldInfo _previousTask;
        private readonly Timer _writerTimer;
        private EventHandler<LogEventDroppedEventArgs>? _handler;

        private AsyncTaskQueueProbe(AsyncTaskTarget target, object queue, EventInfo droppedEvent, Func<int> count, MethodInfo dequeueBatch, FieldInfo previousTask, Timer writerTimer)
        {
            _target = target;
            _queue = queue;
            _droppedEvent = droppedEvent;
            _count = count;
            _dequeueBatch = dequeueBatch;
            _previousTask = previousTask;
            _writerTimer = writerTimer;
        }

        /// <summary>Events in NLog's queue now.</summary>
        public int Count => _count();

        /// <summary>
        /// True when NLog has no write task (<c>_previousTask</c> null; a completed one still has its
        /// completion to run, which starts the next): with events queued, that is only right for the
        /// short <c>TaskDelayMilliseconds</c> before NLog's timer starts one.
        /// </summary>
        public bool WriterIdle => _previousTask.GetValue(_target) is null;

        /// <summary>
        /// Fires NLog's own writer timer now, as NLog's <c>Write</c> does for the first event of an
        /// empty queue. Harmless when a write task is running: NLog then leaves it to that task.
        /// </summary>
        public void StartWriter()
        {
            try
            {
                _writerTimer.Change(0, Timeout.Infinite);
            }
            catch (ObjectDisposedException)
            {
                // The target was disposed meanwhile: nothing left to start.
            }
        }

        /// <summary>Reaches the queue of <paramref name="target"/>; throws when NLog's internals are not as expected.</summary>
        /// <exception cref="NLogConfigurationException">NLog's <see cref="AsyncTaskTarget"/> has changed shape.</exception>
        public static AsyncTaskQueueProbe Attach(AsyncTaskTarget target)
        {
            var field = typeof(AsyncTaskTarget).GetField(QueueFieldName, BindingFlags.NonPublic | BindingFlags.Instance);
            object? queue = field?.GetValue(target);
            if (queue is null)
                throw Changed(target, $"AsyncTaskTarget.{QueueFieldName} was not found");
            var type = queue.GetType();
            var droppedEvent = type.GetEvent("LogEventDropped", BindingFlags.Public | BindingFlags.Instance);
            if (droppedEvent is null || droppedEvent.EventHandlerType != typeof(EventHandler<LogEventDroppedEventArgs>))
                throw Changed(target, type.Name + ".LogEventDropped was not found");
            // ConcurrentRequestQueue (the default) says Count; AsyncRequestQueue (ForceLockingQueue, or
            // chosen by NLog itself for OverflowAction=Block with BatchSize * 1.5 > QueueLimit) RequestCount.
            var countGetter = (type.GetProperty("Count", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
                ?? type.GetProperty("RequestCount", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance))?.GetGetMethod(true);
            if (countGetter is null || countGetter.ReturnType != typeof(int))
                throw Changed(target, type.Name + ".Count (or RequestCount) was not found");
            var dequeueBatch = type.GetMethod("DequeueBatch", BindingFlags.Public | BindingFlags.Instance, null, new[] { typeof(int), typeof(IList<AsyncLogEventInfo>) }, null);
            if (dequeueBatch is null)
                throw Changed(target, type.Name + ".DequeueBatch(int, IList<AsyncLogEventInfo>) was not found");
            var previousTask = typeof(AsyncTaskTarget).GetField(TaskFieldName, BindingFlags.NonPublic | BindingFlags.Instance);
            if (previousTask is null || previousTask.FieldType != typeof(Task))
                throw Changed(target, $"AsyncTaskTarget.{TaskFieldName} was not found");
            if (typeof(AsyncTaskTarget).GetField(TimerFieldName, BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(target) is not Timer timer)
                throw Changed(target, $"AsyncTaskTarget.{TimerFieldName} was not found");
            var count = (Func<int>)Delegate.CreateDelegate(typeof(Func<int>), queue, countGetter);
            return new AsyncTaskQueueProbe(target, queue, droppedEvent, count, dequeueBatch, previousTask, timer);
        }

        public void SubscribeDropped(EventHandler<LogEventDroppedEventArgs> handler)
        {
            Unsubscribe();
            _droppedEvent.AddEventHandler(_queue, handler);
            _handler = handler;
        }

        public void Unsubscribe()
        {
            var handler = _handler;
            _handler = null;
            if (handler != null)
                _droppedEvent.RemoveEventHandler(_queue, handler);
        }

        /// <summary>Takes up to <paramref name="max"/> queued entries (flush markers included, at level <c>Off</c>).</summary>
        public List<AsyncLogEventInfo> Take(int max)
        {
            var taken = new List<AsyncLogEventInfo>();
            _dequeueBatch.Invoke(_queue, new object[] { max, taken });
            return taken;
        }

        private static NLogConfigurationException Changed(AsyncTaskTarget target, string what)
        {
            var version = typeof(AsyncTaskTarget).Assembly.GetName().Version;
            return new NLogConfigurationException($"{target}: NLog {version} is not supported by NLog.Targets.PyLog: {what}, so queue overflow and shutdown losses could not be counted and a stalled queue not restarted.");
        }
    }
}
