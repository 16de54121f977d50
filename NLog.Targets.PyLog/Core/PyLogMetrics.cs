using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// The single <see cref="Meter"/> of this package and its instruments. Subscribe with
    /// <c>AddMeter(PyLogMetrics.MeterName)</c> (OpenTelemetry) or <c>dotnet-counters monitor --counters NLog.Targets.PyLog</c>.
    /// </summary>
    /// <remarks>
    /// Every instrument carries a <c>target</c> tag with the name of the target that counts it;
    /// drops also carry <c>level</c> (NLog level name) and <c>reason</c> (see <see cref="DropReasons"/>).
    /// </remarks>
    public static class PyLogMetrics
    {
        /// <summary>The meter name: <c>NLog.Targets.PyLog</c>.</summary>
        public const string MeterName = "NLog.Targets.PyLog";

        internal const string QueueSizeName = "pylog.queue.size";
        internal const string EventsSentName = "pylog.events.sent";
        internal const string EventsDroppedName = "pylog.events.dropped";
        internal const string SyncFallbackName = "pylog.events.sync_fallback";
        internal const string SendFailuresName = "pylog.send.failures";
        internal const string BatchSizeName = "pylog.batch.size";
        internal const string SendDurationName = "pylog.send.duration";
        internal const string FailoverSwitchesName = "pylog.failover.switches";
        internal const string FailoverAllFailedName = "pylog.failover.all_failed";

        private static readonly Meter s_meter = new Meter(MeterName, typeof(PyLogMetrics).Assembly.GetName().Version?.ToString());
        private static readonly Counter<long> s_sent = s_meter.CreateCounter<long>(EventsSentName, "{event}", "Events delivered to the destination.");
        private static readonly Counter<long> s_dropped = s_meter.CreateCounter<long>(EventsDroppedName, "{event}", "Events lost, by level and reason.");
        private static readonly Counter<long> s_syncFallback = s_meter.CreateCounter<long>(SyncFallbackName, "{event}", "Events written synchronously on the caller's thread because the queue stayed full.");
        private static readonly Counter<long> s_sendFailures = s_meter.CreateCounter<long>(SendFailuresName, "{attempt}", "Failed send attempts (each retry counts).");
        private static readonly Histogram<long> s_batchSize = s_meter.CreateHistogram<long>(BatchSizeName, "{event}", "Events per batch sent.");
        private static readonly Histogram<double> s_sendDuration = s_meter.CreateHistogram<double>(SendDurationName, "ms", "Duration of one successful batch send, retries included.");
        private static readonly Counter<long> s_switches = s_meter.CreateCounter<long>(FailoverSwitchesName, "{switch}", "Failover switches between children.");
        private static readonly Counter<long> s_allFailed = s_meter.CreateCounter<long>(FailoverAllFailedName, "{event}", "Events that every failover child failed to write.");

        private static readonly object s_queuesLock = new object();
        private static QueueSource[] s_queues = Array.Empty<QueueSource>();

        static PyLogMetrics()
        {
            s_meter.CreateObservableGauge(QueueSizeName, ObserveQueues, "{event}", "Events waiting in a target's queue.");
        }

        internal static void EventsSent(string target, long count)
        {
            if (count > 0 && s_sent.Enabled)
                s_sent.Add(count, new KeyValuePair<string, object?>("target", target));
        }

        internal static void EventsDropped(string target, LogLevel level, string reason, long count = 1)
        {
            if (count > 0 && s_dropped.Enabled)
            {
                var tags = new TagList
                {
                    { "target", target },
                    { "level", level.Name },
                    { "reason", reason },
                };
                s_dropped.Add(count, tags);
            }
        }

        internal static void SyncFallback(string target, long count = 1)
        {
            if (s_syncFallback.Enabled)
                s_syncFallback.Add(count, new KeyValuePair<string, object?>("target", target));
        }

        internal static void SendFailure(string target)
        {
            if (s_sendFailures.Enabled)
                s_sendFailures.Add(1, new KeyValuePair<string, object?>("target", target));
        }

        internal static void BatchSent(string target, int events, double milliseconds)
        {
            var tag = new KeyValuePair<string, object?>("target", target);
            if (s_batchSize.Enabled)
                s_batchSize.Record(events, tag);
            if (s_sendDuration.Enabled)
                s_sendDuration.Record(milliseconds, tag);
        }

        internal static void FailoverSwitch(string target, string from, string to)
        {
            if (s_switches.Enabled)
            {
                var tags = new TagList { { "target", target }, { "from", from }, { "to", to } };
                s_switches.Add(1, tags);
            }
        }

        internal static void FailoverAllFailed(string target, long count = 1)
        {
            if (count > 0 && s_allFailed.Enabled)
                s_allFailed.Add(count, new KeyValuePair<string, object?>("target", target));
        }

        /// <summary>
        /// Publishes a queue length under <c>pylog.queue.size</c> until the returned handle is disposed.
        /// </summary>
        internal static IDisposable RegisterQueue(string target, Func<long> size)
        {
            var source = new QueueSource(target, size);
            lock (s_queuesLock)
                CopyOnWriteArray.Add(ref s_queues, source);
            return source;
        }

        private static void Unregister(QueueSource source)
        {
            lock (s_queuesLock)
                CopyOnWriteArray.Remove(ref s_queues, source);
        }

        private static IEnumerable<Measurement<long>> ObserveQueues()
        {
            var queues = Volatile.Read(ref s_queues);
            var measurements = new Measurement<long>[queues.Length];
            for (int i = 0; i < queues.Length; i++)
                measurements[i] = new Measurement<long>(queues[i].Size(), new KeyValuePair<string, object?>("target", queues[i].Target));
            return measurements;
        }

        private sealed class QueueSource : IDisposable
        {
            public QueueSource(string target, Func<long> size)
            {
                Target = target;
                Size = size;
            }

            public string Target { get; }

            public Func<long> Size { get; }

            public void Dispose() => Unregister(this);
        }
    }

    /// <summary>The values of the <c>reason</c> tag on <c>pylog.events.dropped</c>.</summary>
    public static class DropReasons
    {
        /// <summary>The queue was full and the overflow policy discarded the event.</summary>
        public const string QueueFull = "queue_full";

        /// <summary>The destination refused the batch permanently (a 4xx, message too large, unknown topic, auth).</summary>
        public const string Rejected = "rejected";

        /// <summary>A retriable failure persisted through every retry.</summary>
        public const string RetriesExhausted = "retries_exhausted";

        /// <summary>The target closed before the event could be delivered (flush timeout elapsed).</summary>
        public const string Shutdown = "shutdown";

        /// <summary>The event could not be rendered (a layout threw, or one event is larger than the transport allows).</summary>
        public const string Invalid = "invalid";

        /// <summary>The wrapped or child target threw while writing the event.</summary>
        public const string WriteFailed = "write_failed";
    }
}
