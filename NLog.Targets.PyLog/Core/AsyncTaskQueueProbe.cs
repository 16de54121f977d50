using System;
using System.Collections.Generic;
using System.Reflection;
using NLog.Common;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Reaches the request queue that <see cref="AsyncTaskTarget"/> keeps private
    /// (<c>_requestQueue</c>, an <c>AsyncRequestQueueBase</c>): its <c>LogEventDropped</c> event
    /// (overflow discards, counted as <c>queue_full</c>), its <c>Count</c> (the queue gauge) and
    /// its <c>DequeueBatch</c> (closing drains what NLog still holds instead of letting NLog clear it).
    /// </summary>
    /// <remarks>
    /// Without these the network targets would lose events silently, so a NLog whose internals
    /// differ fails the target's initialization with a message naming what is missing, rather
    /// than running degraded. A test pins this against the NLog version in use.
    /// </remarks>
    internal sealed class AsyncTaskQueueProbe
    {
        private const string QueueFieldName = "_requestQueue";

        private readonly object _queue;
        private readonly EventInfo _droppedEvent;
        private readonly Func<int> _count;
        private readonly MethodInfo _dequeueBatch;
        private EventHandler<LogEventDroppedEventArgs>? _handler;

        private AsyncTaskQueueProbe(object queue, EventInfo droppedEvent, Func<int> count, MethodInfo dequeueBatch)
        {
            _queue = queue;
            _droppedEvent = droppedEvent;
            _count = count;
            _dequeueBatch = dequeueBatch;
        }

        /// <summary>Events in NLog's queue now.</summary>
        public int Count => _count();

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
            var countGetter = type.GetProperty("Count", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)?.GetGetMethod(true);
            if (countGetter is null || countGetter.ReturnType != typeof(int))
                throw Changed(target, type.Name + ".Count was not found");
            var dequeueBatch = type.GetMethod("DequeueBatch", BindingFlags.Public | BindingFlags.Instance, null, new[] { typeof(int), typeof(IList<AsyncLogEventInfo>) }, null);
            if (dequeueBatch is null)
                throw Changed(target, type.Name + ".DequeueBatch(int, IList<AsyncLogEventInfo>) was not found");
            var count = (Func<int>)Delegate.CreateDelegate(typeof(Func<int>), queue, countGetter);
            return new AsyncTaskQueueProbe(queue, droppedEvent, count, dequeueBatch);
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
            return new NLogConfigurationException($"{target}: NLog {version} is not supported by NLog.Targets.PyLog: {what}, so queue overflow and shutdown losses could not be counted.");
        }
    }
}
