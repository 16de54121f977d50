using System;
using System.Collections.Generic;
using System.Reflection;
using NLog.Common;
using NLog.Targets;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Reaches the request queue that <see cref="AsyncTaskTarget"/> keeps private, so that its
    /// overflow drops are counted and its length is published. NLog raises
    /// <c>LogEventDropped</c> on that queue but does not surface it from <see cref="AsyncTaskTarget"/>.
    /// If a future NLog changes the shape, the probe degrades to "not available" (logged once)
    /// instead of failing the target.
    /// </summary>
    internal sealed class AsyncTaskQueueProbe
    {
        private static readonly FieldInfo? s_queueField = FindQueueField();

        private readonly object _queue;
        private readonly EventInfo? _droppedEvent;
        private readonly Func<int>? _count;
        private readonly MethodInfo? _dequeueBatch;
        private EventHandler<LogEventDroppedEventArgs>? _handler;

        private AsyncTaskQueueProbe(object queue)
        {
            _queue = queue;
            var type = queue.GetType();
            _droppedEvent = type.GetEvent("LogEventDropped", BindingFlags.Public | BindingFlags.Instance);
            var countGetter = type.GetProperty("Count", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)?.GetGetMethod(true);
            if (countGetter != null && countGetter.ReturnType == typeof(int))
                _count = (Func<int>)Delegate.CreateDelegate(typeof(Func<int>), queue, countGetter);
            _dequeueBatch = type.GetMethod("DequeueBatch", BindingFlags.Public | BindingFlags.Instance, null, new[] { typeof(int), typeof(IList<AsyncLogEventInfo>) }, null);
        }

        /// <summary>Queue length, or 0 when it cannot be read.</summary>
        public int Count => _count?.Invoke() ?? 0;

        public bool CanObserveDrops => _droppedEvent != null;

        public static AsyncTaskQueueProbe? TryCreate(AsyncTaskTarget target)
        {
            try
            {
                var queue = s_queueField?.GetValue(target);
                return queue is null ? null : new AsyncTaskQueueProbe(queue);
            }
            catch (Exception ex)
            {
                InternalLogger.Debug(ex, "{0}: AsyncTaskTarget queue is not observable", target);
                return null;
            }
        }

        public void SubscribeDropped(EventHandler<LogEventDroppedEventArgs> handler)
        {
            if (_droppedEvent is null)
                return;
            _droppedEvent.AddEventHandler(_queue, handler);
            _handler = handler;
        }

        public void Unsubscribe()
        {
            if (_droppedEvent != null && _handler != null)
                _droppedEvent.RemoveEventHandler(_queue, _handler);
            _handler = null;
        }

        /// <summary>Takes everything still queued (used at close, to count what will never be sent).</summary>
        public List<AsyncLogEventInfo> DrainRemaining()
        {
            var remaining = new List<AsyncLogEventInfo>();
            _dequeueBatch?.Invoke(_queue, new object[] { int.MaxValue, remaining });
            return remaining;
        }

        private static FieldInfo? FindQueueField()
        {
            foreach (var field in typeof(AsyncTaskTarget).GetFields(BindingFlags.NonPublic | BindingFlags.Instance))
            {
                if (field.FieldType.Name == "AsyncRequestQueueBase")
                    return field;
            }
            return null;
        }
    }
}
