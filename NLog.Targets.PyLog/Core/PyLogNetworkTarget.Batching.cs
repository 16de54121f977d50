using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using NLog.Common;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Base of the network targets: renders events into transport items, closes batches on
    /// <see cref="AsyncTaskTarget.BatchSize"/>, <see cref="PyLogNetworkTarget.MaxBatchBytes"/> or
    /// <see cref="PyLogNetworkTarget.LingerMilliseconds"/> (whichever first), sends them with
    /// retry, and accounts for every event.
    /// </summary>
    /// <typeparam name="TItem">The transport's rendered form of one event.</typeparam>
    /// <remarks>
    /// NLog hands the writer task whatever is queued (at most BatchSize); those events join the
    /// open batch. A full batch is sent at once; a partial one waits for more events until its
    /// linger expires (a timer sends it then). Sends are serialized, so while a server is down
    /// the writer task waits and new events wait in NLog's queue, bounded by QueueLimit. The
    /// NLog continuation of an event therefore fires when it joins a batch; delivery outcomes are
    /// reported through metrics, <see cref="PyLogNetworkTarget.DeliveryReported"/> and
    /// <see cref="PyLogNetworkTarget.EventDropped"/>.
    /// </remarks>
    public abstract class PyLogNetworkTarget<TItem> : PyLogNetworkTarget
    {
        private static readonly Action<LogEventInfo, bool, string?, Exception?, object> s_accountItem = AccountItem;

        private readonly SemaphoreSlim _sendLock = new SemaphoreSlim(1, 1);
        private Timer? _lingerTimer;
        private NetworkBatch<TItem>? _open;
        private NetworkBatch<TItem>? _spare;
        private Task _inFlight = Task.CompletedTask;
        private CancellationTokenSource _closing = new CancellationTokenSource();
        private AsyncTaskQueueProbe? _queueProbe;
        private IDisposable? _queueGauge;

        /// <summary>Most events one request of the transport may carry; batches are split to respect it.</summary>
        protected virtual int MaxTransportBatchEvents => int.MaxValue;

        /// <summary>Most payload bytes one request of the transport may carry; batches are split to respect it.</summary>
        protected virtual long MaxTransportBatchBytes => long.MaxValue;

        /// <summary>
        /// Renders one event into the transport's item. Called on the writer task, never
        /// concurrently with itself or with <see cref="SendBatchAsync"/>. Throwing drops that event
        /// (reason <c>invalid</c>).
        /// </summary>
        /// <param name="logEvent">The event.</param>
        /// <param name="sizeBytes">The item's payload size, counted toward <see cref="PyLogNetworkTarget.MaxBatchBytes"/>.</param>
        protected abstract TItem RenderItem(LogEventInfo logEvent, out int sizeBytes);

        /// <summary>
        /// Sends the unsettled items of <paramref name="batch"/>. Throw on failure; the exception
        /// goes through <see cref="ClassifyFailure"/>. A retry passes the same batch again.
        /// </summary>
        protected abstract Task SendBatchAsync(NetworkBatch<TItem> batch, CancellationToken cancellationToken);

        /// <summary>
        /// When true, the next batch is rendered while the previous one is being sent (at most one
        /// batch in flight; batches are still sent one after the other, in order). A transport
        /// opts in only when <see cref="RenderItem"/> shares no state with <see cref="SendBatchAsync"/>.
        /// Default: false (render and send alternate).
        /// </summary>
        protected virtual bool OverlapRenderingWithSend => false;

        /// <summary>Whether a failed send is worth retrying. Default: every failure is <see cref="FailureKind.Retriable"/>.</summary>
        protected virtual FailureKind ClassifyFailure(Exception exception) => FailureKind.Retriable;

        /// <summary>Releases the transport's client; called last when the target closes. Must be bounded by <paramref name="timeout"/> and never throw.</summary>
        protected virtual void CloseTransport(TimeSpan timeout)
        {
        }

        /// <inheritdoc/>
        protected override void InitializeTarget()
        {
            base.InitializeTarget();

            if (_closing.IsCancellationRequested)
            {
                _closing.Dispose();
                _closing = new CancellationTokenSource();
            }
            _lingerTimer ??= new Timer(static state => ((PyLogNetworkTarget<TItem>)state!).OnLingerElapsed(), this, Timeout.Infinite, Timeout.Infinite);

            _queueProbe = AsyncTaskQueueProbe.TryCreate(this);
            if (_queueProbe?.CanObserveDrops == true)
                _queueProbe.SubscribeDropped(OnQueueOverflow);
            else
                InternalLogger.Warn("{0}: NLog's queue cannot be observed; overflow drops will not be counted", this);
            _queueGauge = PyLogMetrics.RegisterQueue(MetricName, QueuedCount);
        }

        /// <inheritdoc/>
        protected sealed override Task WriteAsyncTask(LogEventInfo logEvent, CancellationToken cancellationToken)
        {
            return WriteAsyncTask(new[] { logEvent }, cancellationToken);
        }

        /// <inheritdoc/>
        protected sealed override async Task WriteAsyncTask(IList<LogEventInfo> logEvents, CancellationToken cancellationToken)
        {
            // NLog starts this task while holding the target's lock: leave it before rendering.
            await Task.Yield();
            await _sendLock.WaitAsync().ConfigureAwait(false);
            try
            {
                var token = _closing.Token;
                int maxEvents = Math.Min(BatchSize, MaxTransportBatchEvents);
                long maxBytes = Math.Min(MaxBatchBytes, MaxTransportBatchBytes);
                for (int i = 0; i < logEvents.Count; i++)
                {
                    var logEvent = logEvents[i];
                    if (!TryRender(logEvent, out var item, out int size))
                        continue;
                    if (_open != null && _open.Count > 0 && _open.Bytes + size > maxBytes)
                        await SendOpenAsync(token).ConfigureAwait(false);

                    var open = _open ??= RentBatch();
                    open.Add(item, logEvent, size, open.Count == 0 ? Stopwatch.GetTimestamp() : 0);
                    if (open.Count >= maxEvents || open.Bytes >= maxBytes)
                        await SendOpenAsync(token).ConfigureAwait(false);
                }

                var pending = _open;
                if (pending is null)
                    return;
                var waited = Stopwatch.GetElapsedTime(pending.FirstEventTimestamp);
                if (waited.TotalMilliseconds >= LingerMilliseconds)
                    await SendOpenAsync(token).ConfigureAwait(false);
                else
                    _lingerTimer?.Change((long)Math.Ceiling(LingerMilliseconds - waited.TotalMilliseconds), Timeout.Infinite);
            }
            finally
            {
                _sendLock.Release();
            }
        }

        /// <inheritdoc/>
        protected override void FlushAsync(AsyncContinuation asyncContinuation)
        {
            base.FlushAsync(exception =>
            {
                if (exception != null)
                {
                    asyncContinuation(exception);
                    return;
                }
                FlushOpenBatchAsync().ContinueWith(
                    (task, state) => ((AsyncContinuation)state!)(task.Exception?.GetBaseException()),
                    asyncContinuation,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            });
        }

        /// <inheritdoc/>
        protected override void CloseTarget()
        {
            var timeout = TimeSpan.FromMilliseconds(CloseTimeoutMilliseconds);
            try
            {
                var flush = FlushOpenBatchAsync();
                if (!flush.Wait(timeout))
                {
                    InternalLogger.Warn("{0}: close timeout ({1} ms) elapsed with a batch still unsent; giving up on it", this, CloseTimeoutMilliseconds);
                    _closing.Cancel();
                    flush.Wait(TimeSpan.FromSeconds(1));
                }
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: failed to send the last batch on close", this);
            }

            _closing.Cancel();
            _lingerTimer?.Change(Timeout.Infinite, Timeout.Infinite);
            CountNeverSent();
            _queueProbe?.Unsubscribe();
            _queueGauge?.Dispose();
            _queueGauge = null;

            base.CloseTarget();

            try
            {
                CloseTransport(timeout);
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: closing the transport failed", this);
            }
        }

        /// <inheritdoc/>
        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing)
            {
                _lingerTimer?.Dispose();
                _closing.Dispose();
            }
        }

        private bool TryRender(LogEventInfo logEvent, out TItem item, out int size)
        {
            try
            {
                item = RenderItem(logEvent, out size);
            }
            catch (Exception ex)
            {
                item = default!;
                size = 0;
                CountDropped(logEvent.Level, DropReasons.Invalid, 1, ex);
                WarnRateLimited(ex, "an event could not be rendered and was dropped ({1})", ex.GetType().Name);
                return false;
            }

            if (size > MaxTransportBatchBytes)
            {
                CountDropped(logEvent.Level, DropReasons.Invalid, 1, null);
                WarnRateLimited(null, "an event larger than the transport allows ({1} bytes) was dropped", size);
                return false;
            }
            return true;
        }

        private async Task FlushOpenBatchAsync()
        {
            await _sendLock.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_open != null)
                    await SendOpenAsync(_closing.Token).ConfigureAwait(false);
                await _inFlight.ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }
        }

        private void OnLingerElapsed()
        {
            _ = SendLingeringAsync();
        }

        private async Task SendLingeringAsync()
        {
            try
            {
                await _sendLock.WaitAsync().ConfigureAwait(false);
                try
                {
                    var open = _open;
                    if (open is null)
                        return;
                    var waited = Stopwatch.GetElapsedTime(open.FirstEventTimestamp);
                    if (waited.TotalMilliseconds + 1 >= LingerMilliseconds)
                        await SendOpenAsync(_closing.Token).ConfigureAwait(false);
                    else
                        _lingerTimer?.Change((long)Math.Ceiling(LingerMilliseconds - waited.TotalMilliseconds), Timeout.Infinite);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
            catch (ObjectDisposedException)
            {
                // Closed while the timer fired.
            }
            catch (Exception ex)
            {
                InternalLogger.Error(ex, "{0}: sending a lingering batch failed unexpectedly", this);
            }
        }

        /// <summary>
        /// Sends the open batch; caller holds the send lock. With <see cref="OverlapRenderingWithSend"/>
        /// it returns once the send has started (after the previous one finished).
        /// </summary>
        private async Task SendOpenAsync(CancellationToken token)
        {
            var batch = _open;
            if (batch is null)
                return;
            _open = null;
            await _inFlight.ConfigureAwait(false);
            var send = SendAndRecycleAsync(batch, token);
            if (OverlapRenderingWithSend)
                _inFlight = send;
            else
                await send.ConfigureAwait(false);
        }

        private async Task SendAndRecycleAsync(NetworkBatch<TItem> batch, CancellationToken token)
        {
            try
            {
                await SendWithRetryAsync(batch, token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                InternalLogger.Error(ex, "{0}: sending a batch failed unexpectedly", this);
            }
            finally
            {
                batch.Reset();
                Volatile.Write(ref _spare, batch);
            }
        }

        private async Task SendWithRetryAsync(NetworkBatch<TItem> batch, CancellationToken token)
        {
            long started = Stopwatch.GetTimestamp();
            int attempts = 0;
            while (true)
            {
                attempts++;
                Exception failure;
                try
                {
                    token.ThrowIfCancellationRequested();
                    await SendBatchAsync(batch, token).ConfigureAwait(false);
                    Complete(batch, attempts, Stopwatch.GetElapsedTime(started));
                    return;
                }
                catch (Exception ex)
                {
                    failure = ex;
                }

                if (token.IsCancellationRequested)
                {
                    GiveUp(batch, DropReasons.Shutdown, failure, attempts, started);
                    return;
                }

                PyLogMetrics.SendFailure(MetricName);
                if (Classify(failure) == FailureKind.Fatal)
                {
                    GiveUp(batch, DropReasons.Rejected, failure, attempts, started);
                    return;
                }
                if (RetryCount >= 0 && attempts > RetryCount)
                {
                    GiveUp(batch, DropReasons.RetriesExhausted, failure, attempts, started);
                    return;
                }

                var delay = BackoffDelay(attempts);
                WarnRateLimited(failure, "send failed, retrying with backoff (next in {1} ms)", (int)delay.TotalMilliseconds, retryNotice: true);
                try
                {
                    await Task.Delay(delay, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    GiveUp(batch, DropReasons.Shutdown, failure, attempts, started);
                    return;
                }
            }
        }

        private TimeSpan BackoffDelay(int attempt)
        {
            double baseDelay = RetryDelayMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
            double capped = Math.Min(baseDelay, MaxRetryDelayMilliseconds);
            double jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
            return TimeSpan.FromMilliseconds(Math.Min(capped * jitter, MaxRetryDelayMilliseconds));
        }

        private FailureKind Classify(Exception exception)
        {
            try
            {
                return ClassifyFailure(exception);
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: ClassifyFailure threw; treating the failure as retriable", this);
                return FailureKind.Retriable;
            }
        }

        private void Complete(NetworkBatch<TItem> batch, int attempts, TimeSpan elapsed)
        {
            var tally = new Tally(this);
            batch.AccountSettled(s_accountItem, tally);
            int delivered = tally.Delivered;
            for (int i = 0; i < batch.Count; i++)
            {
                if (!batch.IsSettled(i))
                {
                    batch.MarkDelivered(i);
                    delivered++;
                }
            }
            PyLogMetrics.EventsSent(MetricName, delivered);
            PyLogMetrics.BatchSent(MetricName, batch.Count, elapsed.TotalMilliseconds);
            if (tally.Rejected > 0)
                WarnRateLimited(tally.LastError, "{1} events of a batch were rejected by the destination", tally.Rejected);
            ReportDelivery(delivered, tally.Rejected, attempts, elapsed, tally.LastError);
        }

        private void GiveUp(NetworkBatch<TItem> batch, string reason, Exception failure, int attempts, long started)
        {
            var tally = new Tally(this);
            batch.AccountSettled(s_accountItem, tally);
            PyLogMetrics.EventsSent(MetricName, tally.Delivered);

            var pending = new List<LogEventInfo>(batch.PendingCount);
            for (int i = 0; i < batch.Count; i++)
            {
                if (!batch.IsSettled(i))
                    pending.Add(batch.GetEvent(i));
            }

            bool takenOver = false;
            var handler = FailedEventsHandler;
            if (handler != null && pending.Count > 0)
            {
                try
                {
                    takenOver = handler(pending, failure);
                }
                catch (Exception ex)
                {
                    InternalLogger.Warn(ex, "{0}: failed-events handler threw", this);
                }
            }

            if (!takenOver)
            {
                CountDropped(pending, reason, failure);
                WarnRateLimited(failure, "dropped a batch: {1}", $"{pending.Count} events ({reason}) after {attempts} attempts");
            }
            ReportDelivery(tally.Delivered, pending.Count + tally.Rejected, attempts, Stopwatch.GetElapsedTime(started), failure);
        }

        private static void AccountItem(LogEventInfo logEvent, bool delivered, string? reason, Exception? error, object state)
        {
            var tally = (Tally)state;
            if (delivered)
            {
                tally.Delivered++;
                return;
            }
            tally.Rejected++;
            tally.LastError = error ?? tally.LastError;
            tally.Target.CountDropped(logEvent.Level, reason ?? DropReasons.Rejected, 1, error);
        }

        private NetworkBatch<TItem> RentBatch()
        {
            var batch = Interlocked.Exchange(ref _spare, null);
            return batch ?? new NetworkBatch<TItem>(Math.Min(BatchSize, 4096));
        }

        private long QueuedCount() => (_queueProbe?.Count ?? 0) + (_open?.Count ?? 0);

        private void CountNeverSent()
        {
            if (_queueProbe is null)
                return;
            try
            {
                var remaining = _queueProbe.DrainRemaining();
                if (remaining.Count == 0)
                    return;
                var lost = new List<LogEventInfo>(remaining.Count);
                foreach (var entry in remaining)
                {
                    if (entry.LogEvent.Level != LogLevel.Off)
                        lost.Add(entry.LogEvent);
                    entry.Continuation(null);
                }
                int count = CountDropped(lost, DropReasons.Shutdown, null);
                if (count > 0)
                    InternalLogger.Warn("{0}: closed with {1} events still queued; counted as dropped (shutdown)", this, count);
            }
            catch (Exception ex)
            {
                InternalLogger.Debug(ex, "{0}: could not count the events left in the queue", this);
            }
        }

        private sealed class Tally
        {
            public Tally(PyLogNetworkTarget target) => Target = target;

            public PyLogNetworkTarget Target { get; }

            public int Delivered { get; set; }

            public int Rejected { get; set; }

            public Exception? LastError { get; set; }
        }
    }
}
