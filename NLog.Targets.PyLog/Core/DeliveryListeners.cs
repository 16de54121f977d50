using System;
using System.Collections.Generic;
using System.Threading;
using NLog.Common;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// The listeners of one <see cref="IDeliveryReporter"/> (copy-on-write, so reporting takes no
    /// lock), and the one place that calls them: a listener that throws is logged, never allowed
    /// to break the reporter.
    /// </summary>
    internal sealed class DeliveryListeners
    {
        private readonly object _owner;
        private readonly object _lock = new object();
        private IDeliveryListener[] _listeners = Array.Empty<IDeliveryListener>();

        public DeliveryListeners(object owner)
        {
            _owner = owner;
        }

        /// <summary>True when someone listens (reporters skip building outcome lists otherwise).</summary>
        public bool Any => Volatile.Read(ref _listeners).Length != 0;

        public void Add(IDeliveryListener listener)
        {
            if (listener is null)
                throw new ArgumentNullException(nameof(listener));
            lock (_lock)
                CopyOnWriteArray.Add(ref _listeners, listener);
        }

        public void Remove(IDeliveryListener listener)
        {
            lock (_lock)
                CopyOnWriteArray.Remove(ref _listeners, listener);
        }

        public void Report(IReadOnlyList<LogEventInfo> events, DeliveryOutcome outcome)
        {
            var listeners = Volatile.Read(ref _listeners);
            if (listeners.Length == 0 || events.Count == 0)
                return;
            for (int i = 0; i < listeners.Length; i++)
            {
                try
                {
                    listeners[i].OnOutcome(events, outcome);
                }
                catch (Exception ex)
                {
                    InternalLogger.Warn(ex, "{0}: a delivery listener threw", _owner);
                }
            }
        }

        public void Report(LogEventInfo logEvent, DeliveryOutcome outcome)
        {
            if (Any)
                Report(new[] { logEvent }, outcome);
        }
    }
}
