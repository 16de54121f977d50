using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using NLog.Common;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// The base of the Kafka, Redis and SLS targets: dual-trigger batching, several batches in
    /// flight, retry with capped exponential backoff and jitter, one delivery outcome per event,
    /// loss accounting, and a close that is bounded in total.
    /// </summary>
    /// <remarks>
    /// <para>What NLog's <see cref="AsyncTaskTarget"/> gives: a bounded queue
    /// (<see cref="AsyncTaskTarget.QueueLimit"/>, <see cref="AsyncTaskTarget.OverflowAction"/>)
    /// and one writer task at a time fed chunks of at most <see cref="AsyncTaskTarget.BatchSize"/>
    /// events. What this base adds: batches closed on count, bytes or linger, up to
    /// <see cref="MaxBatchesInFlight"/> of them sent at once; a transport's limits respected by
    /// splitting; retriable and fatal failures told apart; every event counted once as
    /// delivered (<c>pylog.events.sent</c>, server acknowledged) or dropped with a reason.</para>
    /// <para>The NLog continuation of an event completes when the event has joined a batch (NLog
    /// keeps one chunk in flight); its final outcome is reported later to the wrapper in front
    /// (BackpressureWrapper, FailoverGroup, DiskBufferWrapper) through the package's delivery
    /// contract, and to code through <see cref="EventDropped"/> and <see cref="DeliveryReported"/>.</para>
    /// <para>With <c>RetryCount</c> -1 (retry until delivered), a flush answers at once while the
    /// server is known to be down (the last attempt failed) instead of waiting out the outage.
    /// Closing delivers what NLog still queues and what is in flight until the close timeout; the
    /// network targets of one configuration share one such window (they drain at the same time).</para>
    /// <para>A transport is plugged in through <see cref="CreateTransport"/> (only this package's
    /// targets can: the transport types are internal).</para>
    /// </remarks>
    public abstract class PyLogNetworkTarget : AsyncTaskTarget, IDeliveryReporter
    {
        private readonly DeliveryListeners _listeners;
        private NetworkTransport? _transport;
        private IBatchPipeline? _pipeline;
        private AsyncTaskQueueProbe? _queueProbe;
        private QueueWriterWatchdog? _watchdog;
        private IDisposable? _queueGauge;
        private CloseCoordinator? _coordinator;
        private Task<int>? _drain;

        /// <summary>Sets the defaults of a network target.</summary>
        private protected PyLogNetworkTarget()
        {
            _listeners = new DeliveryListeners(this);
            Losses = new LossLedger(this);
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

        /// <summary>
        /// How many batches may be on their way to the server at once (sent, not yet answered).
        /// While all are out, the next batch waits, and new events wait in NLog's queue.
        /// </summary>
        /// <remarks>Default: <c>1</c> (batches reach the server in order; the next one is rendered while one is sent).</remarks>
        public int MaxBatchesInFlight { get; set; } = 1;

        /// <summary>
        /// How long closing may spend delivering what the target still holds before it gives up
        /// and counts the rest as <c>shutdown</c> drops. The network targets of one configuration
        /// close within one such window together, not one after the other.
        /// </summary>
        /// <remarks>Default: <c>5000</c> ms; at most <c>300000</c> (a host's own shutdown never waits longer).</remarks>
        public int CloseTimeoutMilliseconds { get; set; } = 5000;

        /// <summary>The largest accepted <see cref="CloseTimeoutMilliseconds"/>: larger values hung shutdown behind a dead server.</summary>
        internal const int MaxCloseTimeoutMilliseconds = 300_000;

        /// <summary>Raised when events are lost (also counted in <c>pylog.events.dropped</c>), per level and reason with a count.</summary>
        public event EventHandler<EventDroppedEventArgs>? EventDropped
        {
            add => Losses.EventDropped += value;
            remove => Losses.EventDropped -= value;
        }

        /// <summary>Raised once per batch with its outcome (the seeds' <c>on_delivery</c>).</summary>
        public event EventHandler<DeliveryReportedEventArgs>? DeliveryReported;

        /// <summary>The value of the <c>target</c> metric tag.</summary>
        internal string MetricName => Losses.TargetName;

        internal LossLedger Losses { get; }

        /// <summary>How many times NLog's queue writer had stopped and was started again (see <see cref="QueueWriterWatchdog"/>).</summary>
        internal int QueueWriterRestarts => _watchdog?.Restarts ?? 0;

        /// <summary>The watchdog of NLog's queue writer (tests look through it at once instead of waiting for its timer).</summary>
        internal QueueWriterWatchdog? Watchdog => _watchdog;

        /// <summary>True while the last attempt to reach the server failed.</summary>
        internal bool IsServerDown => _pipeline?.IsServerDown == true;

        /// <summary>
        /// Validates the transport's own options, then builds its client. Called by
        /// <see cref="InitializeTarget"/> after the shared options were validated and before
        /// anything else is acquired; when anything after it fails, the transport is closed.
        /// Throw <see cref="NLog.NLogConfigurationException"/> for a bad option.
        /// </summary>
        private protected abstract NetworkTransport CreateTransport();

        /// <inheritdoc/>
        protected sealed override void InitializeTarget()
        {
            // Validate before base.InitializeTarget(): AsyncTaskTarget silently turns BatchSize <= 0 into 1.
            ConfigurationErrors.RequirePositive(this, BatchSize, nameof(BatchSize));
            ConfigurationErrors.RequirePositive(this, QueueLimit, nameof(QueueLimit));
            ConfigurationErrors.RequirePositive(this, MaxBatchBytes, nameof(MaxBatchBytes));
            ConfigurationErrors.RequirePositive(this, MaxBatchesInFlight, nameof(MaxBatchesInFlight));
            if (LingerMilliseconds < 0)
                throw ConfigurationErrors.Invalid(this, nameof(LingerMilliseconds), LingerMilliseconds, "must be 0 (send at once) or more");
            if (RetryCount < -1)
                throw ConfigurationErrors.Invalid(this, nameof(RetryCount), RetryCount, "must be -1 (until delivered or closed) or more");
            ConfigurationErrors.RequireNotNegative(this, RetryDelayMilliseconds, nameof(RetryDelayMilliseconds));
            if (MaxRetryDelayMilliseconds < RetryDelayMilliseconds)
                throw ConfigurationErrors.Invalid(this, nameof(MaxRetryDelayMilliseconds), MaxRetryDelayMilliseconds, "must be at least RetryDelayMilliseconds");
            ConfigurationErrors.RequireNotNegative(this, CloseTimeoutMilliseconds, nameof(CloseTimeoutMilliseconds));
            if (CloseTimeoutMilliseconds > MaxCloseTimeoutMilliseconds)
                throw ConfigurationErrors.Invalid(this, nameof(CloseTimeoutMilliseconds), CloseTimeoutMilliseconds, "must be at most " + MaxCloseTimeoutMilliseconds + " (5 minutes)");

            base.InitializeTarget();
            Utf8LayoutRenderer.ThrowIfInvalid(Layout);

            NetworkTransport? transport = null;
            IBatchPipeline? pipeline = null;
            AsyncTaskQueueProbe? probe = null;
            try
            {
                transport = CreateTransport();
                probe = AsyncTaskQueueProbe.Attach(this);
                pipeline = transport.CreatePipeline(this);
                probe.SubscribeDropped(OnQueueOverflow);
                _queueGauge = PyLogMetrics.RegisterQueue(MetricName, QueuedCount);
            }
            catch
            {
                // NLog does not close a target whose initialization failed: release here.
                probe?.Unsubscribe();
                pipeline?.Dispose();
                transport?.Close(TimeSpan.Zero);
                throw;
            }

            _transport = transport;
            _queueProbe = probe;
            _pipeline = pipeline;
            _watchdog = new QueueWriterWatchdog(this, probe, TaskDelayMilliseconds);
            _drain = null;
            _coordinator = CloseCoordinator.For(LoggingConfiguration);
            _coordinator.Join(this);
        }

        /// <summary>Retries are owned by the batching pipeline; NLog's own retry is disabled.</summary>
        protected sealed override bool RetryFailedAsyncTask(Exception exception, CancellationToken cancellationToken, int retryCountRemaining, out TimeSpan retryDelay)
        {
            retryDelay = TimeSpan.Zero;
            return false;
        }

        /// <inheritdoc/>
        protected sealed override Task WriteAsyncTask(LogEventInfo logEvent, CancellationToken cancellationToken)
        {
            return WriteAsyncTask(new[] { logEvent }, cancellationToken);
        }

        /// <inheritdoc/>
        protected sealed override Task WriteAsyncTask(IList<LogEventInfo> logEvents, CancellationToken cancellationToken)
        {
            var pipeline = _pipeline;
            if (pipeline != null)
                return pipeline.WriteAsync(logEvents);
            var events = new List<LogEventInfo>(logEvents);
            Losses.Dropped(events, DropReasons.Shutdown, null);
            Report(events, DeliveryOutcome.DroppedTransient(DropReasons.Shutdown));
            return Task.CompletedTask;
        }

        /// <summary>Completes once everything written before has its outcome, or at once while the server is known to be down.</summary>
        protected override void FlushAsync(AsyncContinuation asyncContinuation)
        {
            var pipeline = _pipeline;
            if (pipeline is null || (pipeline.AnswersFlushWhenDown && pipeline.IsServerDown))
            {
                if (pipeline != null)
                    InternalLogger.Debug("{0}: flush answered at once: the server is down", this);
                asyncContinuation(null);
                return;
            }

            var answer = new FlushAnswer(asyncContinuation);
            base.FlushAsync(exception =>
            {
                if (exception != null)
                {
                    answer.Complete(exception);
                    return;
                }
                pipeline.FlushAsync().ContinueWith(
                    static (task, state) => ((FlushAnswer)state!).Complete(task.Exception?.GetBaseException()),
                    answer,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            });
            // NLog's queue stops moving while every send slot waits on a dead server: answer then too.
            pipeline.FlushAsync().ContinueWith(
                static (_, state) =>
                {
                    var (flush, p) = ((FlushAnswer, IBatchPipeline))state!;
                    if (p.AnswersFlushWhenDown && p.IsServerDown)
                        flush.Complete(null);
                },
                (answer, pipeline),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        /// <inheritdoc/>
        protected override void CloseTarget()
        {
            _watchdog?.Dispose();
            var pipeline = _pipeline;
            if (pipeline != null)
            {
                long windowEnd = _coordinator?.BeginClose(this) ?? Stopwatch.GetTimestamp();
                var drain = _drain;
                try
                {
                    var left = TimeSpan.FromTicks(Math.Max(0, (long)((windowEnd - Stopwatch.GetTimestamp()) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
                    if (drain != null && drain.Wait(left + TimeSpan.FromSeconds(1)))
                    {
                        if (drain.Result > 0)
                            InternalLogger.Warn("{0}: closed with {1} events undelivered after the close timeout ({2} ms); counted as dropped (shutdown)", this, drain.Result, CloseTimeoutMilliseconds);
                    }
                    else
                    {
                        InternalLogger.Warn("{0}: the close did not finish within the close timeout ({1} ms); leaving it", this, CloseTimeoutMilliseconds);
                    }
                }
                catch (Exception ex)
                {
                    InternalLogger.Warn(ex, "{0}: delivering the last events on close failed", this);
                }
                _coordinator?.Leave(this);
            }

            _queueProbe?.Unsubscribe();
            _queueGauge?.Dispose();
            _queueGauge = null;
            _pipeline = null;
            pipeline?.Dispose();

            base.CloseTarget();

            var transport = _transport;
            _transport = null;
            try
            {
                // What was in flight is accounted for; the client gets what is left of a second.
                transport?.Close(TimeSpan.FromSeconds(1));
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: closing the transport failed", this);
            }
        }

        /// <summary>Starts delivering what is left, until <paramref name="windowEnd"/> (a <see cref="Stopwatch"/> timestamp); idempotent.</summary>
        internal void StartDraining(long windowEnd)
        {
            var pipeline = _pipeline;
            var probe = _queueProbe;
            if (pipeline is null || probe is null)
                return;
            lock (pipeline)
            {
                if (_drain != null)
                    return;
                long own = Stopwatch.GetTimestamp() + (long)(CloseTimeoutMilliseconds / 1000.0 * Stopwatch.Frequency);
                long end = Math.Min(own, windowEnd);
                var budget = TimeSpan.FromTicks(Math.Max(0, (long)((end - Stopwatch.GetTimestamp()) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
                _drain = Task.Run(() => pipeline.CloseAsync(budget, () => probe.Take(BatchSize)));
            }
        }

        void IDeliveryReporter.AddDeliveryListener(IDeliveryListener listener) => _listeners.Add(listener);

        void IDeliveryReporter.RemoveDeliveryListener(IDeliveryListener listener) => _listeners.Remove(listener);

        internal void Report(IReadOnlyList<LogEventInfo> events, DeliveryOutcome outcome) => _listeners.Report(events, outcome);

        internal void Report(LogEventInfo logEvent, DeliveryOutcome outcome) => _listeners.Report(logEvent, outcome);

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

        /// <summary>Warns at most once per 10 s about recurring trouble that is not a loss (a transport's connection noise).</summary>
        internal void WarnNotice(Exception? exception, string message, object? argument)
        {
            if (Losses.NoticeWarnings.TryEnter(out int suppressed))
                InternalLogger.Warn(exception, "{0}: " + message + " ({2} similar warnings suppressed)", this, argument, suppressed);
        }

        private void OnQueueOverflow(object? sender, LogEventDroppedEventArgs e)
        {
            var logEvent = e.DroppedLogEventInfo;
            if (logEvent.Level == LogLevel.Off)
            {
                // AsyncTaskTarget queues a flush request as a LogLevel.Off marker event; no log event
                // was lost (the flush it stood for is not completed by NLog: it runs into its timeout).
                InternalLogger.Debug("{0}: queue is full; NLog discarded a queued flush request", this);
                return;
            }
            Losses.Dropped(logEvent.Level, DropReasons.QueueFull, 1, null);
            if (Losses.LossWarnings.TryEnter(out int suppressed))
                InternalLogger.Warn("{0}: queue is full (QueueLimit {1}); events are being discarded ({2} similar warnings suppressed)", this, QueueLimit, suppressed);
            Report(logEvent, DeliveryOutcome.DroppedTransient(DropReasons.QueueFull));
        }

        private long QueuedCount() => (_queueProbe?.Count ?? 0) + (_pipeline?.BufferedCount ?? 0);

        /// <summary>A flush continuation that may be answered from two sides (delivered, or server down): only the first counts.</summary>
        private sealed class FlushAnswer
        {
            private AsyncContinuation? _continuation;

            public FlushAnswer(AsyncContinuation continuation) => _continuation = continuation;

            public void Complete(Exception? exception) => Interlocked.Exchange(ref _continuation, null)?.Invoke(exception);
        }
    }
}
