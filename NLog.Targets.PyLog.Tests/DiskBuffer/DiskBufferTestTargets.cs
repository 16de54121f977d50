using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using NLog.Common;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>
    /// A wrapped target that reports outcomes through the delivery contract, as the network targets do:
    /// each event is delivered, dropped transiently or rejected for good, as <see cref="Decide"/> says.
    /// Renders <see cref="Layouts"/> when it receives an event (on the replay thread, as a real target
    /// would precalculate) and records the text.
    /// </summary>
    [Target("DiskBufferReportingTest")]
    internal sealed class ReportingTestTarget : Target, IDeliveryReporter
    {
        private readonly object _lock = new object();
        private readonly List<IDeliveryListener> _listeners = new List<IDeliveryListener>();
        private readonly List<string> _messages = new List<string>();
        private readonly List<string[]> _rendered = new List<string[]>();
        private readonly List<LogEventInfo> _received = new List<LogEventInfo>();

        /// <summary>Null delivers; otherwise the outcome for the event.</summary>
        public Func<LogEventInfo, DeliveryOutcome>? Decide { get; set; }

        public Layout[] Layouts { get; set; } = Array.Empty<Layout>();

        public int Attempts;

        public List<string> Delivered { get { lock (_lock) return _messages.ToList(); } }

        public List<string[]> Rendered { get { lock (_lock) return _rendered.ToList(); } }

        /// <summary>Every event instance handed over, in order (also the transiently dropped ones).</summary>
        public List<LogEventInfo> Received { get { lock (_lock) return _received.ToList(); } }

        /// <summary>Drops the event logged as <paramref name="message"/> transiently on its first <paramref name="times"/> hand-overs; delivers the rest.</summary>
        public static ReportingTestTarget DroppingFirst(string message, int times, string reason)
        {
            int left = times;
            return new ReportingTestTarget
            {
                Name = "wrapped",
                Decide = e => e.FormattedMessage == message && Interlocked.Decrement(ref left) >= 0
                    ? DeliveryOutcome.DroppedTransient(reason)
                    : DeliveryOutcome.Delivered,
            };
        }

        public void AddDeliveryListener(IDeliveryListener listener) { lock (_lock) _listeners.Add(listener); }

        public void RemoveDeliveryListener(IDeliveryListener listener) { lock (_lock) _listeners.Remove(listener); }

        protected override void Write(LogEventInfo logEvent)
        {
            Interlocked.Increment(ref Attempts);
            var outcome = Decide?.Invoke(logEvent) ?? DeliveryOutcome.Delivered;
            IDeliveryListener[] listeners;
            lock (_lock)
            {
                _received.Add(logEvent);
                if (outcome.IsDelivered)
                {
                    _messages.Add(logEvent.FormattedMessage);
                    _rendered.Add(Layouts.Select(l => l.Render(logEvent)).ToArray());
                }
                listeners = _listeners.ToArray();
            }
            foreach (var listener in listeners)
                listener.OnOutcome(new[] { logEvent }, outcome);
        }
    }

    /// <summary>One of NLog's own kind of target (no outcome reports): judged by its continuation; can be made to throw.</summary>
    [Target("DiskBufferPlainTest")]
    internal sealed class PlainTestTarget : Target
    {
        private readonly object _lock = new object();
        private readonly List<string> _messages = new List<string>();

        public volatile bool Throw;

        public List<string> Delivered { get { lock (_lock) return _messages.ToList(); } }

        protected override void Write(LogEventInfo logEvent)
        {
            if (Throw)
                throw new InvalidOperationException("plain target down");
            lock (_lock)
                _messages.Add(logEvent.FormattedMessage);
        }
    }
}
