using System;
using System.Collections.Generic;
using NLog.Common;
using NLog.Config;
using NLog.Targets;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Options, loss accounting and events shared by the Kafka, Redis and SLS targets.
    /// The batching pipeline is in <see cref="PyLogNetworkTarget{TItem}"/>.
    /// </summary>
    /// <remarks>
    /// What NLog's <see cref="AsyncTaskTarget"/> already gives: a bounded queue
    /// (<see cref="AsyncTaskTarget.QueueLimit"/>, <see cref="AsyncTaskTarget.OverflowAction"/>),
    /// one writer task at a time fed chunks of at most <see cref="AsyncTaskTarget.BatchSize"/>
    /// events (default 1), a start delay (<see cref="AsyncTaskTarget.TaskDelayMilliseconds"/>),
    /// and a fixed-doubling retry without jitter or error classification. It drops overflow
    /// silently and clears its queue on close. What this base adds: batches closed on count,
    /// bytes or linger (whichever first) independently of how NLog chunks the queue, transport
    /// limits respected by splitting, retry with capped exponential backoff and jitter and a
    /// retriable/fatal split, every loss counted by level and reason (queue overflow included),
    /// metrics and events, and a bounded close that still sends the lingering batch.
    /// </remarks>
    public abstract class PyLogNetworkTarget : AsyncTaskTarget
    {
        private static readonly LogLevel[] s_levels = { LogLevel.Trace, LogLevel.Debug, LogLevel.Info, LogLevel.Warn, LogLevel.Error, LogLevel.Fatal };

        private readonly object _warnLock = new object();
        // Two windows: [0] losses, [1] retries, so that a retry notice never hides the loss that follows it.
        private readonly long[] _lastWarnTimestamp = new long[2];
        private readonly int[] _suppressedWarnings = new int[2];

        /// <summary>Sets the defaults of a network target.</summary>
        protected PyLogNetworkTarget()
        {
            BatchSize = 500;
            RetryCount = -1;
            RetryDelayMilliseconds = 100;
            TaskDelayMilliseconds = 1;
            // The base owns retries and per-request timeouts; NLog's task timeout would cancel a
            // batch that is legitimately waiting for a server to come back.
            TaskTimeoutSeconds = 0;
        }

        /// <summary>Largest batch in bytes of rendered payload; a batch is sent as soon as the next event would exceed it.</summary>
        /// <remarks>Default: <c>1048576</c> (1 MiB). A single event larger than this is sent alone.</remarks>
        public long MaxBatchBytes { get; set; } = 1024 * 1024;

        /// <summary>
        /// How long a batch that is neither full by count nor by bytes may wait for more events,
        /// measured from its first event. <c>0</c> sends whatever is queued at once.
        /// </summary>
        /// <remarks>Default: <c>100</c> ms.</remarks>
        public int LingerMilliseconds { get; set; } = 100;

        /// <summary>Upper bound of the exponential backoff between retries.</summary>
        /// <remarks>Default: <c>10000</c> ms. The delay starts at <see cref="AsyncTaskTarget.RetryDelayMilliseconds"/> (default here 100 ms), doubles per attempt, and is jittered by ±20 %.</remarks>
        public int MaxRetryDelayMilliseconds { get; set; } = 10000;

        /// <summary>How long closing the target may spend delivering what it still holds before it gives up and counts the rest as <c>shutdown</c> drops.</summary>
        /// <remarks>Default: <c>5000</c> ms.</remarks>
        public int CloseTimeoutMilliseconds { get; set; } = 5000;

        /// <summary>Raised when events are lost (also counted in <c>pylog.events.dropped</c>).</summary>
        public event EventHandler<EventDroppedEventArgs>? EventDropped;

        /// <summary>Raised once per batch with its outcome (the seeds' <c>on_delivery</c>).</summary>
        public event EventHandler<DeliveryReportedEventArgs>? DeliveryReported;

        /// <summary>
        /// When set, receives the events of a batch that failed for good (rejected, retries
        /// exhausted, closed); returning true means the caller took them over (a failover group
        /// re-sent them elsewhere) and they are not counted as dropped.
        /// </summary>
        internal Func<IReadOnlyList<LogEventInfo>, Exception, bool>? FailedEventsHandler { get; set; }

        /// <summary>
        /// When set, receives each event NLog's queue discards on overflow (QueueLimit reached);
        /// returning true means the caller took it over (a failover group wrote it to its next
        /// child) and it is not counted as dropped.
        /// </summary>
        internal Func<LogEventInfo, bool>? OverflowHandler { get; set; }

        /// <summary>The value of the <c>target</c> metric tag.</summary>
        internal string MetricName => string.IsNullOrEmpty(Name) ? GetType().Name : Name;

        /// <inheritdoc/>
        protected override void InitializeTarget()
        {
            // Validate before base.InitializeTarget(): AsyncTaskTarget silently turns BatchSize <= 0 into 1.
            RequirePositive(BatchSize, nameof(BatchSize));
            RequirePositive(QueueLimit, nameof(QueueLimit));
            if (MaxBatchBytes <= 0)
                throw Invalid(nameof(MaxBatchBytes), MaxBatchBytes, "must be greater than 0");
            if (LingerMilliseconds < 0)
                throw Invalid(nameof(LingerMilliseconds), LingerMilliseconds, "must be 0 (send at once) or more");
            if (RetryCount < -1)
                throw Invalid(nameof(RetryCount), RetryCount, "must be -1 (until delivered or closed) or more");
            if (RetryDelayMilliseconds < 0)
                throw Invalid(nameof(RetryDelayMilliseconds), RetryDelayMilliseconds, "must be 0 or more");
            if (MaxRetryDelayMilliseconds < RetryDelayMilliseconds)
                throw Invalid(nameof(MaxRetryDelayMilliseconds), MaxRetryDelayMilliseconds, "must be at least RetryDelayMilliseconds");
            if (CloseTimeoutMilliseconds < 0)
                throw Invalid(nameof(CloseTimeoutMilliseconds), CloseTimeoutMilliseconds, "must be 0 or more");

            base.InitializeTarget();
            Utf8LayoutRenderer.ThrowIfInvalid(Layout);
        }

        /// <summary>Retries are owned by the batching pipeline; NLog's own retry is disabled.</summary>
        protected sealed override bool RetryFailedAsyncTask(Exception exception, System.Threading.CancellationToken cancellationToken, int retryCountRemaining, out TimeSpan retryDelay)
        {
            retryDelay = TimeSpan.Zero;
            return false;
        }

        /// <summary>Builds the exception for an invalid option, naming it.</summary>
        protected NLogConfigurationException Invalid(string property, object? value, string rule)
        {
            return new NLogConfigurationException($"{GetType().Name} '{Name}': {property} {rule} (was '{value}').");
        }

        /// <summary>Throws when an option is not greater than zero.</summary>
        protected void RequirePositive(long value, string property)
        {
            if (value <= 0)
                throw Invalid(property, value, "must be greater than 0");
        }

        internal void OnQueueOverflow(object? sender, LogEventDroppedEventArgs e)
        {
            if (e.DroppedLogEventInfo.Level == LogLevel.Off)
            {
                // AsyncTaskTarget queues a flush request as a LogLevel.Off marker event; no log event
                // was lost (the flush it stood for is not completed by NLog: it runs into its timeout).
                InternalLogger.Debug("{0}: queue is full; NLog discarded a queued flush request", this);
                return;
            }
            var overflow = OverflowHandler;
            if (overflow != null && HandOverflow(overflow, e.DroppedLogEventInfo))
            {
                WarnRateLimited(null, "queue is full (QueueLimit {1}); events spill over to the failover group's next target", QueueLimit);
                return;
            }
            CountDropped(e.DroppedLogEventInfo.Level, DropReasons.QueueFull, 1, null);
            WarnRateLimited(null, "queue is full (QueueLimit {1}); events are being discarded", QueueLimit);
        }

        private bool HandOverflow(Func<LogEventInfo, bool> overflow, LogEventInfo logEvent)
        {
            try
            {
                return overflow(logEvent);
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: overflow handler threw", this);
                return false;
            }
        }

        internal void CountDropped(LogLevel level, string reason, int count, Exception? exception)
        {
            if (count <= 0)
                return;
            PyLogMetrics.EventsDropped(MetricName, level, reason, count);
            var handler = EventDropped;
            if (handler is null)
                return;
            try
            {
                handler(this, new EventDroppedEventArgs(MetricName, level, reason, count, exception));
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: EventDropped handler threw", this);
            }
        }

        /// <summary>Counts a list of lost events grouped by level; returns how many were counted.</summary>
        internal int CountDropped(IReadOnlyList<LogEventInfo> events, string reason, Exception? exception)
        {
            Span<int> perLevel = stackalloc int[s_levels.Length];
            for (int i = 0; i < events.Count; i++)
            {
                int ordinal = events[i].Level.Ordinal;
                if ((uint)ordinal < (uint)perLevel.Length)
                    perLevel[ordinal]++;
            }
            int total = 0;
            for (int i = 0; i < perLevel.Length; i++)
            {
                CountDropped(s_levels[i], reason, perLevel[i], exception);
                total += perLevel[i];
            }
            return total;
        }

        internal void ReportDelivery(int delivered, int failed, int attempts, TimeSpan elapsed, Exception? exception)
        {
            var handler = DeliveryReported;
            if (handler is null)
                return;
            try
            {
                handler(this, new DeliveryReportedEventArgs(MetricName, delivered, failed, attempts, elapsed, exception));
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: DeliveryReported handler threw", this);
            }
        }

        /// <summary>
        /// One warning per 10 s at most, separately for losses and for retry notices; the ones in
        /// between are counted and mentioned in the next.
        /// </summary>
        internal void WarnRateLimited(Exception? exception, string message, object? argument, bool retryNotice = false)
        {
            int window = retryNotice ? 1 : 0;
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            int suppressed;
            lock (_warnLock)
            {
                long last = _lastWarnTimestamp[window];
                if (last != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(last, now).TotalSeconds < 10)
                {
                    _suppressedWarnings[window]++;
                    return;
                }
                _lastWarnTimestamp[window] = now;
                suppressed = _suppressedWarnings[window];
                _suppressedWarnings[window] = 0;
            }
            InternalLogger.Warn(exception, "{0}: " + message + " ({2} similar warnings suppressed)", this, argument, suppressed);
        }
    }
}
