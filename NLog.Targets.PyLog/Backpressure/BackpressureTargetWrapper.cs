using System;
using System.Collections.Generic;
using System.Threading;
using NLog.Common;
using NLog.Targets.PyLog.Backpressure;
using NLog.Targets.PyLog.Core;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// A bounded, priority-aware queue in front of any target, drained by one background consumer
    /// that hands the wrapped target batches. <c>Error</c> and <c>Fatal</c> events are never dropped.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The logging call only claims a slot in a ring buffer (one compare-and-swap, no lock, no
    /// allocation). A dedicated background thread takes up to <see cref="BatchSize"/> events at a
    /// time and writes them with <see cref="Target.WriteAsyncLogEvents(IList{AsyncLogEventInfo})"/>;
    /// when the queue runs empty it flushes the wrapped target and then sleeps until the next event.
    /// </para>
    /// <para>
    /// When the queue is full, <see cref="FullPolicy"/> decides. An event that may not be dropped
    /// waits up to <see cref="BlockTimeoutMilliseconds"/> for room; if none appears, it is written
    /// synchronously to the wrapped target on the caller's thread (counted in
    /// <c>pylog.events.sync_fallback</c>). <b>Ordering:</b> such an event reaches the wrapped
    /// target ahead of the (up to <see cref="QueueLimit"/>) events still queued, which were logged
    /// before it; each event keeps its own timestamp, so sort by time to restore the order.
    /// </para>
    /// <para>
    /// Also usable for every target at once:
    /// <c>&lt;targets&gt;&lt;default-wrapper xsi:type="BackpressureWrapper" /&gt;...&lt;/targets&gt;</c>.
    /// </para>
    /// </remarks>
    [Target("BackpressureWrapper", IsWrapper = true)]
    public sealed class BackpressureTargetWrapper : WrapperTargetBase, IDeliveryReporter
    {
        private const int IdleWakeMilliseconds = 1000;
        private static readonly AsyncContinuation s_ignoreFlushResult = _ => { };

        private readonly object _flushLock = new object();
        private readonly List<FlushRequest> _flushRequests = new List<FlushRequest>();
        private readonly ManualResetEventSlim _wake = new ManualResetEventSlim(false, 64);
        private readonly LossLedger _ledger;
        private readonly DeliveryListeners _outcomeListeners;
        private readonly WrappedOutcomeListener _wrappedListener;
        private IDeliveryReporter? _wrappedReporter;
        private BoundedEventQueue? _queue;
        private BatchCompletionPool? _completions;
        private Thread? _consumer;
        private IDisposable? _queueGauge;
        private int _discardMaxOrdinal;
        private int _consumerSleeping;
        private int _stopping;
        private int _abandon;
        private int _flushRequested;
        private int _syncFallbackWarned;

        /// <summary>Creates the wrapper; set <see cref="WrapperTargetBase.WrappedTarget"/> before use.</summary>
        public BackpressureTargetWrapper()
        {
            _ledger = new LossLedger(this);
            _outcomeListeners = new DeliveryListeners(this);
            _wrappedListener = new WrappedOutcomeListener(this);
        }

        /// <summary>Creates the wrapper around <paramref name="wrappedTarget"/>.</summary>
        public BackpressureTargetWrapper(string name, Target wrappedTarget)
            : this()
        {
            Name = name;
            WrappedTarget = wrappedTarget;
        }

        /// <summary>The most events the queue holds.</summary>
        /// <remarks>Default: <c>10000</c>. Must be greater than 0.</remarks>
        public int QueueLimit { get; set; } = 10000;

        /// <summary>The most events handed to the wrapped target in one <c>WriteAsyncLogEvents</c> call.</summary>
        /// <remarks>Default: <c>200</c>. Must be greater than 0.</remarks>
        public int BatchSize { get; set; } = 200;

        /// <summary>What to do with a new event when the queue is full.</summary>
        /// <remarks>Default: <see cref="BackpressureFullPolicy.DiscardLowLevel"/>.</remarks>
        public BackpressureFullPolicy FullPolicy { get; set; } = BackpressureFullPolicy.DiscardLowLevel;

        /// <summary>
        /// Under <see cref="BackpressureFullPolicy.DiscardLowLevel"/>, events at or below this level
        /// are dropped when the queue is full; higher levels wait.
        /// </summary>
        /// <remarks>Default: <c>Info</c>. <c>Error</c> and <c>Fatal</c> are never dropped, even with a higher threshold.</remarks>
        public LogLevel DiscardThreshold { get; set; } = LogLevel.Info;

        /// <summary>
        /// How long an event that may not be dropped waits for room in a full queue before it is
        /// written synchronously to the wrapped target on the caller's thread.
        /// </summary>
        /// <remarks>
        /// Default: <c>1000</c>. A consumer that is keeping up frees <see cref="BatchSize"/> slots per
        /// batch, far sooner than this; the timeout bounds what a stalled wrapped target can cost a
        /// caller. <c>0</c> writes synchronously at once. Must not be negative.
        /// </remarks>
        public int BlockTimeoutMilliseconds { get; set; } = 1000;

        /// <summary>How long closing the target (<c>LogManager.Shutdown()</c>, a reload) waits for the queue to drain.</summary>
        /// <remarks>
        /// Default: <c>5000</c>. <c>LogManager.Shutdown()</c> first flushes (NLog waits up to its own
        /// flush timeout, 15 s, and the flush drains the queue), so this only bounds what is left after
        /// that, or a close without flush (a configuration reload). Events still queued after it are
        /// counted as dropped with reason <c>shutdown</c>. Must not be negative.
        /// </remarks>
        public int ShutdownTimeoutMilliseconds { get; set; } = 5000;

        /// <summary>
        /// Raised when events are dropped, aggregated per level and reason (with a count) rather than
        /// once per event; the same losses are counted in <c>pylog.events.dropped</c>.
        /// </summary>
        /// <remarks>Raised on the background consumer thread, or on a logging thread when the consumer is stalled.</remarks>
        public event EventHandler<EventDroppedEventArgs>? EventDropped
        {
            add => _ledger.EventDropped += value;
            remove => _ledger.EventDropped -= value;
        }

        /// <summary>Events waiting in the queue now (the value of <c>pylog.queue.size</c>).</summary>
        public long QueuedCount => _queue?.Count ?? 0;

        /// <summary>True once closing gave up waiting and the consumer was told to drop what is left.</summary>
        internal bool ConsumerAbandoned => Volatile.Read(ref _abandon) != 0;

        /// <inheritdoc/>
        protected override void InitializeTarget()
        {
            if (WrappedTarget is null)
                throw ConfigurationErrors.Invalid(this, nameof(WrappedTarget), string.Empty, "is required: put the target to protect inside the wrapper element");
            ConfigurationErrors.RequirePositive(this, QueueLimit, nameof(QueueLimit));
            ConfigurationErrors.RequirePositive(this, BatchSize, nameof(BatchSize));
            ConfigurationErrors.RequireNotNegative(this, BlockTimeoutMilliseconds, nameof(BlockTimeoutMilliseconds));
            ConfigurationErrors.RequireNotNegative(this, ShutdownTimeoutMilliseconds, nameof(ShutdownTimeoutMilliseconds));
            if (DiscardThreshold is null || DiscardThreshold == LogLevel.Off)
                throw ConfigurationErrors.Invalid(this, nameof(DiscardThreshold), DiscardThreshold, "must be a level from Trace to Fatal");

            base.InitializeTarget();

            _discardMaxOrdinal = FullPolicy switch
            {
                BackpressureFullPolicy.Discard => LogLevel.Warn.Ordinal,
                BackpressureFullPolicy.DiscardLowLevel => Math.Min(DiscardThreshold.Ordinal, LogLevel.Warn.Ordinal),
                _ => -1,
            };

            int batchSize = Math.Min(BatchSize, QueueLimit);
            var queue = new BoundedEventQueue(QueueLimit);
            _wrappedReporter = WrappedTarget as IDeliveryReporter;
            _wrappedReporter?.AddDeliveryListener(_wrappedListener);
            _completions = new BatchCompletionPool(this, batchSize);
            _stopping = 0;
            _abandon = 0;
            _consumerSleeping = 0;
            _syncFallbackWarned = 0;
            _wake.Reset();
            _queue = queue;
            _queueGauge = PyLogMetrics.RegisterQueue(Name ?? string.Empty, () => queue.Count);

            var consumer = new Thread(() => Consume(queue, batchSize))
            {
                IsBackground = true,
                Name = "BackpressureWrapper " + Name,
            };
            _consumer = consumer;
            consumer.Start();
        }

        /// <inheritdoc/>
        protected override void CloseTarget()
        {
            var consumer = _consumer;
            var queue = _queue;
            if (consumer != null && queue != null)
            {
                Volatile.Write(ref _stopping, 1);
                _wake.Set();
                queue.WakeWaitingProducers();
                if (consumer.Join(ShutdownTimeoutMilliseconds))
                {
                    // A producer or a flush that raced with the stop may have come in after the consumer left.
                    WriteLeftovers(queue);
                    CompleteDueFlushes(long.MaxValue);
                }
                else
                {
                    InternalLogger.Warn("{0}: {1} events still queued after ShutdownTimeoutMilliseconds={2}; they are dropped (reason shutdown).", this, queue.Count, ShutdownTimeoutMilliseconds);
                    Volatile.Write(ref _abandon, 1);
                }
                _consumer = null;
            }

            _ledger.Publish();
            _queueGauge?.Dispose();
            _queueGauge = null;
            _wrappedReporter?.RemoveDeliveryListener(_wrappedListener);
            _wrappedReporter = null;
            base.CloseTarget();
        }

        /// <summary>
        /// Completes <paramref name="asyncContinuation"/> once every event queued before this call has
        /// been handed to the wrapped target and the wrapped target has flushed.
        /// </summary>
        protected override void FlushAsync(AsyncContinuation asyncContinuation)
        {
            var queue = _queue;
            if (queue is null || _consumer is null)
            {
                base.FlushAsync(asyncContinuation);
                return;
            }

            lock (_flushLock)
            {
                _flushRequests.Add(new FlushRequest(queue.EnqueuedMark, asyncContinuation));
                Volatile.Write(ref _flushRequested, 1);
            }
            _wake.Set();
        }

        /// <summary>Queues the event; never takes the target's lock.</summary>
        protected override void WriteAsyncThreadSafe(AsyncLogEventInfo logEvent)
        {
            try
            {
                Write(logEvent);
            }
            catch (Exception ex)
            {
                // The logger's continuation applies NLog's ThrowExceptions policy.
                logEvent.Continuation(ex);
            }
        }

        /// <summary>Queues the events; never takes the target's lock.</summary>
        protected override void WriteAsyncThreadSafe(IList<AsyncLogEventInfo> logEvents)
        {
            for (int i = 0; i < logEvents.Count; i++)
                WriteAsyncThreadSafe(logEvents[i]);
        }

        /// <inheritdoc/>
        protected override void Write(AsyncLogEventInfo logEvent)
        {
            PrecalculateVolatileLayouts(logEvent.LogEvent);

            var queue = _queue;
            if (queue is null || Volatile.Read(ref _stopping) != 0)
            {
                WriteDirectly(logEvent, fallback: false);
                return;
            }

            if (queue.TryEnqueue(logEvent))
            {
                WakeConsumer();
                return;
            }

            var level = logEvent.LogEvent.Level;
            if (level.Ordinal <= _discardMaxOrdinal)
            {
                _ledger.Defer(level, DropReasons.QueueFull);
                _ledger.PublishIfStale();
                _outcomeListeners.Report(logEvent.LogEvent, DeliveryOutcome.DroppedTransient(DropReasons.QueueFull));
                logEvent.Continuation(null);
                return;
            }

            // The consumer must never wait on itself (the wrapped target logging through this wrapper).
            int timeout = Thread.CurrentThread == _consumer ? 0 : BlockTimeoutMilliseconds;
            if (queue.TryEnqueue(logEvent, timeout, ref _stopping))
            {
                WakeConsumer();
                return;
            }
            WriteDirectly(logEvent, fallback: true);
        }

        private void WakeConsumer()
        {
            if (Volatile.Read(ref _consumerSleeping) != 0 && Interlocked.Exchange(ref _consumerSleeping, 0) != 0)
                _wake.Set();
        }

        private void Consume(BoundedEventQueue queue, int batchSize)
        {
            var batch = new List<AsyncLogEventInfo>(batchSize);
            bool wroteSinceFlush = false;
            while (true)
            {
                try
                {
                    if (Volatile.Read(ref _abandon) != 0)
                    {
                        DropLeftovers(queue, batch);
                        break;
                    }

                    if (queue.DequeueBatch(batch, batchSize) > 0)
                    {
                        WriteBatch(batch);
                        wroteSinceFlush = true;
                        if (Volatile.Read(ref _flushRequested) != 0)
                            CompleteDueFlushes(queue.DequeuedMark);
                        if (_ledger.HasPending)
                            _ledger.Publish();
                        continue;
                    }

                    // Nothing ready: complete flushes, flush the wrapped target once, then sleep.
                    if (Volatile.Read(ref _flushRequested) != 0 && CompleteDueFlushes(queue.DequeuedMark))
                        wroteSinceFlush = false;
                    if (wroteSinceFlush)
                    {
                        wroteSinceFlush = false;
                        WrappedTarget?.Flush(s_ignoreFlushResult);
                    }
                    if (_ledger.HasPending)
                        _ledger.Publish();

                    if (Volatile.Read(ref _stopping) != 0 && queue.DequeuedMark >= queue.EnqueuedMark)
                        break;

                    _wake.Reset();
                    Interlocked.Exchange(ref _consumerSleeping, 1);
                    if (queue.HasReadyEvent || Volatile.Read(ref _stopping) != 0 || Volatile.Read(ref _flushRequested) != 0)
                    {
                        Volatile.Write(ref _consumerSleeping, 0);
                        continue;
                    }
                    // The bound is only a safety net; producers, Flush and Close all wake the consumer.
                    _wake.Wait(IdleWakeMilliseconds);
                    Volatile.Write(ref _consumerSleeping, 0);
                }
                catch (Exception ex)
                {
                    // Never let the consumer die: whatever the wrapped target did, keep draining.
                    batch.Clear();
                    InternalLogger.Error(ex, "{0}: unexpected error in the background writer; it keeps running.", this);
                }
            }

            CompleteDueFlushes(long.MaxValue);
        }

        private void WriteBatch(List<AsyncLogEventInfo> batch)
        {
            var completion = _completions!.Rent();
            completion.Attach(batch);
            try
            {
                WrappedTarget!.WriteAsyncLogEvents(batch);
            }
            catch (Exception ex)
            {
                completion.FailUnfinished(ex);
            }
            finally
            {
                completion.Submitted();
                batch.Clear();
            }
        }

        private bool CompleteDueFlushes(long dequeuedMark)
        {
            List<FlushRequest>? due = null;
            lock (_flushLock)
            {
                for (int i = _flushRequests.Count - 1; i >= 0; i--)
                {
                    if (_flushRequests[i].Mark > dequeuedMark)
                        continue;
                    due ??= new List<FlushRequest>();
                    due.Add(_flushRequests[i]);
                    _flushRequests.RemoveAt(i);
                }
                Volatile.Write(ref _flushRequested, _flushRequests.Count > 0 ? 1 : 0);
            }
            if (due is null)
                return false;

            for (int i = due.Count - 1; i >= 0; i--)
            {
                var continuation = due[i].Continuation;
                var ledger = _ledger;
                AsyncContinuation afterFlush = ex =>
                {
                    ledger.Publish();
                    continuation(ex);
                };
                var wrapped = WrappedTarget;
                if (wrapped is null)
                    afterFlush(null);
                else
                    wrapped.Flush(afterFlush);
            }
            return true;
        }

        private void WriteDirectly(AsyncLogEventInfo logEvent, bool fallback)
        {
            var wrapped = WrappedTarget;
            if (wrapped is null)
            {
                logEvent.Continuation(null);
                return;
            }

            if (fallback)
            {
                PyLogMetrics.SyncFallback(Name ?? string.Empty);
                if (Interlocked.Exchange(ref _syncFallbackWarned, 1) == 0)
                    InternalLogger.Warn("{0}: queue stayed full for BlockTimeoutMilliseconds={1}; writing on the caller's thread (counted in pylog.events.sync_fallback; such events may precede older queued ones).", this, BlockTimeoutMilliseconds);
            }

            // Rare paths (the caller's-thread fallback, leftovers at close): counted one by one.
            var original = logEvent.Continuation;
            var item = logEvent.LogEvent;
            wrapped.WriteAsyncLogEvent(item.WithContinuation(ex =>
            {
                OnWrappedCompleted(item, ex);
                original(ex);
            }));
        }

        private void WriteLeftovers(BoundedEventQueue queue)
        {
            var batch = new List<AsyncLogEventInfo>();
            while (queue.DequeueBatch(batch, int.MaxValue) > 0)
            {
                for (int i = 0; i < batch.Count; i++)
                    WriteDirectly(batch[i], fallback: false);
                batch.Clear();
            }
        }

        private void DropLeftovers(BoundedEventQueue queue, List<AsyncLogEventInfo> batch)
        {
            var error = new NLogRuntimeException("BackpressureWrapper closed before the event was written (ShutdownTimeoutMilliseconds elapsed).");
            while (queue.DequeueBatch(batch, int.MaxValue) > 0)
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    _ledger.Defer(batch[i].LogEvent.Level, DropReasons.Shutdown);
                    _outcomeListeners.Report(batch[i].LogEvent, DeliveryOutcome.DroppedTransient(DropReasons.Shutdown));
                    try
                    {
                        batch[i].Continuation(error);
                    }
                    catch (Exception ex)
                    {
                        InternalLogger.Debug(ex, "{0}: a log event continuation threw.", this);
                    }
                }
                batch.Clear();
            }
            _ledger.Publish();
        }

        void IDeliveryReporter.AddDeliveryListener(IDeliveryListener listener) => _outcomeListeners.Add(listener);

        void IDeliveryReporter.RemoveDeliveryListener(IDeliveryListener listener) => _outcomeListeners.Remove(listener);

        /// <summary>
        /// The NLog continuation of an event handed to the wrapped target. For a wrapped target
        /// that reports outcomes, only an exception means something (it refused the event); the
        /// delivery comes through <see cref="WrappedOutcomeListener"/>. For any other target the
        /// continuation is the outcome: no exception is delivered, an exception <c>write_failed</c>.
        /// </summary>
        internal void OnWrappedCompleted(LogEventInfo logEvent, Exception? exception)
        {
            if (exception != null)
            {
                _ledger.Defer(logEvent.Level, DropReasons.WriteFailed, exception);
                _outcomeListeners.Report(logEvent, DeliveryOutcome.DroppedTransient(DropReasons.WriteFailed, exception));
            }
            else if (_wrappedReporter is null)
            {
                _ledger.DeferSent();
                _outcomeListeners.Report(logEvent, DeliveryOutcome.Delivered);
            }
        }

        /// <summary>Publishes what the ledger holds when the consumer is not about to (completions arrive on other threads).</summary>
        internal void PublishCounts() => _ledger.Publish();

        /// <summary>Outcomes of the wrapped target (when it reports them): delivered ones count as <c>sent</c>; all are passed on.</summary>
        private sealed class WrappedOutcomeListener : IDeliveryListener
        {
            private readonly BackpressureTargetWrapper _wrapper;

            public WrappedOutcomeListener(BackpressureTargetWrapper wrapper) => _wrapper = wrapper;

            public void OnOutcome(IReadOnlyList<LogEventInfo> events, DeliveryOutcome outcome)
            {
                // Drops were counted by the wrapped target under its own name; here only deliveries.
                if (outcome.IsDelivered)
                    _wrapper._ledger.DeferSent(events.Count);
                _wrapper._outcomeListeners.Report(events, outcome);
            }
        }

        private readonly struct FlushRequest
        {
            public FlushRequest(long mark, AsyncContinuation continuation)
            {
                Mark = mark;
                Continuation = continuation;
            }

            public long Mark { get; }

            public AsyncContinuation Continuation { get; }
        }
    }
}
