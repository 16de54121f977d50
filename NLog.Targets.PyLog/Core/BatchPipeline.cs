using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using NLog.Common;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Renders events into batches, closes a batch on count, bytes or linger (whichever first),
    /// sends up to <c>MaxBatchesInFlight</c> batches at once with retry, and gives every event its
    /// one outcome through the owner (<see cref="PyLogNetworkTarget"/>).
    /// </summary>
    /// <remarks>
    /// <para>One writer at a time renders (the render lock): NLog's writer task, the linger timer,
    /// a flush or the close. A closed batch waits for a free send slot while holding the render
    /// lock, so when every slot is busy (a slow or dead server) the writer stops and new events
    /// wait in NLog's queue, bounded by QueueLimit.</para>
    /// <para>Every batch is finished exactly once (<see cref="NetworkBatch{TItem}.TryFinish"/>): by
    /// its send, or by the close when the close budget ran out first. Finishing reports each event
    /// delivered, rejected (permanent) or dropped with the reason the batch gave up on.</para>
    /// </remarks>
    internal sealed class BatchPipeline<TItem> : IBatchPipeline
    {
        private static readonly TimeSpan CloseGrace = TimeSpan.FromMilliseconds(500);

        private readonly PyLogNetworkTarget _owner;
        private readonly BatchTransport<TItem> _transport;
        private readonly SemaphoreSlim _renderLock = new SemaphoreSlim(1, 1);
        private readonly SemaphoreSlim _slots;
        private readonly CancellationTokenSource _closing = new CancellationTokenSource();
        private readonly Timer _lingerTimer;
        private readonly object _stateLock = new object();
        private readonly HashSet<NetworkBatch<TItem>> _unfinished = new HashSet<NetworkBatch<TItem>>();
        private readonly List<(TaskCompletionSource<bool> Done, bool StopWhenDown)> _waiters = new List<(TaskCompletionSource<bool>, bool)>();
        private readonly ConcurrentBag<NetworkBatch<TItem>> _spares = new ConcurrentBag<NetworkBatch<TItem>>();
        private readonly int _maxEvents;
        private readonly long _maxBytes;
        private readonly int _lingerMilliseconds;
        private readonly int _retryCount;
        private readonly int _retryDelayMilliseconds;
        private readonly int _maxRetryDelayMilliseconds;
        private readonly int _batchCapacity;
        private NetworkBatch<TItem>? _open;
        private long _buffered;
        private int _abandonedUnrendered;
        private int _consecutiveFailures;

        public BatchPipeline(PyLogNetworkTarget owner, BatchTransport<TItem> transport)
        {
            _owner = owner;
            _transport = transport;
            _maxEvents = Math.Min(owner.BatchSize, transport.MaxRequestEvents);
            _maxBytes = Math.Min(owner.MaxBatchBytes, transport.MaxRequestBytes);
            _lingerMilliseconds = owner.LingerMilliseconds;
            _retryCount = owner.RetryCount;
            _retryDelayMilliseconds = owner.RetryDelayMilliseconds;
            _maxRetryDelayMilliseconds = owner.MaxRetryDelayMilliseconds;
            // Small at first (NetworkBatch grows): a transport with many batches in flight need not hold BatchSize slots for each.
            _batchCapacity = Math.Min(_maxEvents, 256);
            _slots = new SemaphoreSlim(owner.MaxBatchesInFlight, owner.MaxBatchesInFlight);
            _lingerTimer = new Timer(static state => ((BatchPipeline<TItem>)state!).OnLingerElapsed(), this, Timeout.Infinite, Timeout.Infinite);
            transport.BecameUnreachable = ReleaseWaitersThatStopWhenDown;
        }

        public long BufferedCount => Volatile.Read(ref _buffered);

        public bool IsServerDown => Volatile.Read(ref _consecutiveFailures) > 0 || _transport.IsUnreachable;

        /// <summary>
        /// Whether a flush stops waiting once the server is known down: only when retries are
        /// unbounded (RetryCount -1), where waiting would last as long as the outage. With bounded
        /// retries every batch has its outcome within them, so the flush waits for it (a wrapper in
        /// front, such as a FailoverGroup, then has the events back before the flush completes).
        /// </summary>
        private bool FlushStopsWhenDown => _retryCount < 0;

        public bool AnswersFlushWhenDown => FlushStopsWhenDown;

        public async Task WriteAsync(IList<LogEventInfo> events)
        {
            // NLog starts this task while holding the target's lock: leave it before rendering.
            await Task.Yield();
            try
            {
                await _renderLock.WaitAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                AbandonUnrendered(events, 0);
                return;
            }
            try
            {
                await AppendAsync(events).ConfigureAwait(false);
            }
            finally
            {
                _renderLock.Release();
            }
        }

        public Task FlushAsync()
        {
            if (FlushStopsWhenDown && IsServerDown)
                return Task.CompletedTask;
            var idle = WaitIdleAsync(stopWhenDown: FlushStopsWhenDown);
            if (!idle.IsCompleted)
                _ = SendOpenAsync(force: true);
            return idle;
        }

        public async Task<int> CloseAsync(TimeSpan budget, Func<List<AsyncLogEventInfo>> takeQueued)
        {
            _lingerTimer.Change(Timeout.Infinite, Timeout.Infinite);
            _closing.CancelAfter(budget);
            var token = _closing.Token;
            int abandoned = 0;
            List<LogEventInfo>? taken = null;
            try
            {
                // What NLog still queues goes through the pipeline like any write (a process
                // exit closes targets without flushing them first).
                while (!token.IsCancellationRequested)
                {
                    var queued = takeQueued();
                    if (queued.Count == 0)
                        break;
                    taken = ToEvents(queued);
                    await _renderLock.WaitAsync(token).ConfigureAwait(false);
                    var events = taken;
                    taken = null;
                    try
                    {
                        await AppendAsync(events).ConfigureAwait(false);
                    }
                    finally
                    {
                        _renderLock.Release();
                    }
                }
                await SendOpenAsync(force: true).ConfigureAwait(false);
                await WaitIdleAsync(stopWhenDown: false).WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The budget ran out: sends, backoffs and slot waits are being cancelled.
                if (taken != null)
                    abandoned += Abandon(taken);
            }

            _closing.Cancel();
            try
            {
                await WaitIdleAsync(stopWhenDown: false).WaitAsync(CloseGrace).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A transport that ignores cancellation: give up on its batches below.
            }

            // Let a writer that is still appending notice the close before its batch is given up on.
            bool locked = await _renderLock.WaitAsync(CloseGrace).ConfigureAwait(false);
            NetworkBatch<TItem>[] stuck;
            lock (_stateLock)
            {
                stuck = new NetworkBatch<TItem>[_unfinished.Count];
                _unfinished.CopyTo(stuck);
            }
            foreach (var batch in stuck)
                abandoned += Finish(batch, DropReasons.Shutdown, null, 0, 0, recycle: false);
            _open = null;
            if (locked)
                _renderLock.Release();

            abandoned += Abandon(ToEvents(takeQueued()));
            return abandoned + Volatile.Read(ref _abandonedUnrendered);
        }

        private int Abandon(List<LogEventInfo> events)
        {
            if (events.Count == 0)
                return 0;
            _owner.Report(events, DeliveryOutcome.DroppedTransient(DropReasons.Shutdown));
            return _owner.Losses.Dropped(events, DropReasons.Shutdown, null);
        }

        public void Dispose()
        {
            _lingerTimer.Dispose();
            _closing.Cancel();
        }

        /// <summary>Renders and batches; the caller holds the render lock.</summary>
        private async Task AppendAsync(IList<LogEventInfo> events)
        {
            for (int i = 0; i < events.Count; i++)
            {
                if (_closing.IsCancellationRequested)
                {
                    AbandonUnrendered(events, i);
                    return;
                }
                var logEvent = events[i];
                if (!TryRender(logEvent, out var item, out int size, out string? key))
                    continue;
                if (_open != null && _open.Count > 0 && _open.Bytes + size > _maxBytes)
                    await DispatchOpenAsync().ConfigureAwait(false);

                var open = _open ??= Rent();
                open.Add(item, logEvent, size, key, open.Count == 0 ? Stopwatch.GetTimestamp() : 0);
                Interlocked.Increment(ref _buffered);
                if (open.Count >= _maxEvents || open.Bytes >= _maxBytes)
                    await DispatchOpenAsync().ConfigureAwait(false);
            }

            var pending = _open;
            if (pending is null)
                return;
            var waited = Stopwatch.GetElapsedTime(pending.FirstEventTimestamp);
            if (waited.TotalMilliseconds >= _lingerMilliseconds)
                await DispatchOpenAsync().ConfigureAwait(false);
            else
                _lingerTimer.Change((long)Math.Ceiling(_lingerMilliseconds - waited.TotalMilliseconds), Timeout.Infinite);
        }

        private bool TryRender(LogEventInfo logEvent, out TItem item, out int size, out string? key)
        {
            try
            {
                item = _transport.Render(logEvent, out size, out key);
            }
            catch (Exception ex)
            {
                item = default!;
                size = 0;
                key = null;
                DropInvalid(logEvent, ex, "an event could not be rendered and was dropped ({1})", ex.GetType().Name);
                return false;
            }

            if (size > _transport.MaxRequestBytes)
            {
                DropInvalid(logEvent, null, "an event larger than the transport allows ({1} bytes) was dropped", size);
                return false;
            }
            return true;
        }

        private void DropInvalid(LogEventInfo logEvent, Exception? exception, string message, object argument)
        {
            _owner.Losses.Dropped(logEvent.Level, DropReasons.Invalid, 1, exception);
            if (_owner.Losses.LossWarnings.TryEnter(out int suppressed))
                InternalLogger.Warn(exception, "{0}: " + message + " ({2} similar warnings suppressed)", _owner, argument, suppressed);
            _owner.Report(logEvent, DeliveryOutcome.DroppedPermanent(DropReasons.Invalid, exception));
        }

        private void AbandonUnrendered(IList<LogEventInfo> events, int from)
        {
            if (from >= events.Count)
                return;
            var rest = new List<LogEventInfo>(events.Count - from);
            for (int i = from; i < events.Count; i++)
                rest.Add(events[i]);
            Interlocked.Add(ref _abandonedUnrendered, Abandon(rest));
        }

        /// <summary>Sends the open batch now (linger elapsed, a flush, the close).</summary>
        private async Task SendOpenAsync(bool force)
        {
            try
            {
                await _renderLock.WaitAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;   // closing: the close accounts for the open batch
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            try
            {
                var open = _open;
                if (open is null)
                    return;
                var waited = Stopwatch.GetElapsedTime(open.FirstEventTimestamp);
                if (force || waited.TotalMilliseconds + 1 >= _lingerMilliseconds)
                    await DispatchOpenAsync().ConfigureAwait(false);
                else
                    _lingerTimer.Change((long)Math.Ceiling(_lingerMilliseconds - waited.TotalMilliseconds), Timeout.Infinite);
            }
            catch (Exception ex)
            {
                InternalLogger.Error(ex, "{0}: sending a lingering batch failed unexpectedly", _owner);
            }
            finally
            {
                _renderLock.Release();
            }
        }

        private void OnLingerElapsed() => _ = SendOpenAsync(force: false);

        /// <summary>Hands the open batch to a send slot; the caller holds the render lock.</summary>
        private async Task DispatchOpenAsync()
        {
            var batch = _open;
            if (batch is null)
                return;
            _open = null;
            try
            {
                await _transport.WaitForRoomAsync(batch.Count, batch.Bytes, _closing.Token).ConfigureAwait(false);
                await _slots.WaitAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Finish(batch, DropReasons.Shutdown, null, 0, 0, recycle: true);
                return;
            }
            _ = SendAsync(batch);
        }

        private async Task SendAsync(NetworkBatch<TItem> batch)
        {
            try
            {
                await SendWithRetryAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                InternalLogger.Error(ex, "{0}: sending a batch failed unexpectedly", _owner);
                Finish(batch, DropReasons.WriteFailed, ex, 0, 0, recycle: true);
            }
            finally
            {
                _slots.Release();
            }
        }

        private async Task SendWithRetryAsync(NetworkBatch<TItem> batch)
        {
            var token = _closing.Token;
            long started = Stopwatch.GetTimestamp();
            int attempts = 0;
            while (true)
            {
                attempts++;
                Exception failure;
                try
                {
                    token.ThrowIfCancellationRequested();
                    await _transport.SendAsync(batch, token).ConfigureAwait(false);
                    Volatile.Write(ref _consecutiveFailures, 0);
                    Finish(batch, null, null, attempts, started, recycle: true);
                    return;
                }
                catch (Exception ex)
                {
                    failure = ex;
                }

                if (token.IsCancellationRequested)
                {
                    Finish(batch, DropReasons.Shutdown, failure, attempts, started, recycle: true);
                    return;
                }

                PyLogMetrics.SendFailure(_owner.Losses.TargetName);
                OnAttemptFailed();
                if (Classify(failure) == FailureKind.Fatal)
                {
                    _transport.OnFatal(failure);
                    Finish(batch, DropReasons.Rejected, failure, attempts, started, recycle: true);
                    return;
                }
                if (_retryCount >= 0 && attempts > _retryCount)
                {
                    Finish(batch, DropReasons.RetriesExhausted, failure, attempts, started, recycle: true);
                    return;
                }

                var delay = BackoffDelay(attempts);
                if (_owner.Losses.NoticeWarnings.TryEnter(out int suppressed))
                    InternalLogger.Warn(failure, "{0}: send failed, retrying with backoff (next in {1} ms) ({2} similar warnings suppressed)", _owner, (int)delay.TotalMilliseconds, suppressed);
                try
                {
                    await Task.Delay(delay, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Finish(batch, DropReasons.Shutdown, failure, attempts, started, recycle: true);
                    return;
                }
            }
        }

        private FailureKind Classify(Exception exception)
        {
            try
            {
                return _transport.Classify(exception);
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: classifying a failure threw; treating it as retriable", _owner);
                return FailureKind.Retriable;
            }
        }

        private TimeSpan BackoffDelay(int attempt)
        {
            double baseDelay = _retryDelayMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
            double capped = Math.Min(baseDelay, _maxRetryDelayMilliseconds);
            double jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
            return TimeSpan.FromMilliseconds(Math.Min(capped * jitter, _maxRetryDelayMilliseconds));
        }

        /// <summary>
        /// The batch's one final accounting: delivered items count as sent, rejected ones as
        /// dropped (permanent), and the still pending ones as delivered when
        /// <paramref name="reason"/> is null, else as dropped with it. Returns how many were dropped with <paramref name="reason"/>.
        /// </summary>
        private int Finish(NetworkBatch<TItem> batch, string? reason, Exception? failure, int attempts, long started, bool recycle)
        {
            if (!batch.TryFinish())
                return 0;

            int delivered = 0, rejected = 0, dropped = 0;
            Exception? lastRejection = null;
            for (int i = 0; i < batch.Count; i++)
            {
                if (batch.IsDelivered(i))
                {
                    delivered++;
                }
                else if (batch.IsSettled(i))
                {
                    rejected++;
                    lastRejection = batch.RejectError(i) ?? lastRejection;
                }
                else if (reason is null)
                {
                    delivered++;
                }
                else
                {
                    dropped++;
                }
            }

            var losses = _owner.Losses;
            var elapsed = started == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(started);
            losses.Sent(delivered);
            if (reason is null)
                PyLogMetrics.BatchSent(losses.TargetName, batch.Count, elapsed.TotalMilliseconds);

            if (delivered == batch.Count)
            {
                _owner.Report(batch.Events, DeliveryOutcome.Delivered);
            }
            else
            {
                ReportMixed(batch, reason, failure);
                if (rejected > 0 && losses.LossWarnings.TryEnter(out int suppressedRejections))
                    InternalLogger.Warn(lastRejection, "{0}: {1} events of a batch were rejected by the destination ({2} similar warnings suppressed)", _owner, rejected, suppressedRejections);
                if (dropped > 0 && losses.LossWarnings.TryEnter(out int suppressed))
                    InternalLogger.Warn(failure, "{0}: dropped a batch: {1} ({2} similar warnings suppressed)", _owner, $"{dropped} events ({reason}) after {attempts} attempts", suppressed);
            }
            _owner.ReportDelivery(delivered, rejected + dropped, attempts, elapsed, failure ?? lastRejection);

            Retire(batch, recycle);
            return dropped;
        }

        private void ReportMixed(NetworkBatch<TItem> batch, string? reason, Exception? failure)
        {
            var delivered = new List<LogEventInfo>();
            var pending = new List<LogEventInfo>();
            for (int i = 0; i < batch.Count; i++)
            {
                var logEvent = batch.GetEvent(i);
                if (batch.IsDelivered(i) || (reason is null && !batch.IsSettled(i)))
                {
                    delivered.Add(logEvent);
                }
                else if (batch.IsSettled(i))
                {
                    string rejectedFor = batch.RejectReason(i) ?? DropReasons.Rejected;
                    _owner.Losses.Dropped(logEvent.Level, rejectedFor, 1, batch.RejectError(i));
                    _owner.Report(logEvent, DeliveryOutcome.DroppedPermanent(rejectedFor, batch.RejectError(i)));
                }
                else
                {
                    pending.Add(logEvent);
                }
            }
            if (delivered.Count > 0)
                _owner.Report(delivered, DeliveryOutcome.Delivered);
            if (pending.Count > 0)
            {
                bool permanent = reason == DropReasons.Rejected || reason == DropReasons.Invalid;
                _owner.Losses.Dropped(pending, reason!, failure);
                _owner.Report(pending, DeliveryOutcome.Dropped(reason!, permanent, failure));
            }
        }

        private NetworkBatch<TItem> Rent()
        {
            var batch = _spares.TryTake(out var spare) ? spare : new NetworkBatch<TItem>(_batchCapacity);
            lock (_stateLock)
                _unfinished.Add(batch);
            return batch;
        }

        private void Retire(NetworkBatch<TItem> batch, bool recycle)
        {
            List<TaskCompletionSource<bool>>? done = null;
            lock (_stateLock)
            {
                if (!_unfinished.Remove(batch))
                    return;
                Interlocked.Add(ref _buffered, -batch.Count);
                if (_unfinished.Count == 0)
                    done = TakeWaiters(all: true);
            }
            if (recycle && _spares.Count < 4)
            {
                batch.Reset();
                _spares.Add(batch);
            }
            Complete(done);
        }

        private void OnAttemptFailed()
        {
            Interlocked.Increment(ref _consecutiveFailures);
            ReleaseWaitersThatStopWhenDown();
        }

        private void ReleaseWaitersThatStopWhenDown()
        {
            List<TaskCompletionSource<bool>>? done;
            lock (_stateLock)
                done = TakeWaiters(all: false);
            Complete(done);
        }

        private Task WaitIdleAsync(bool stopWhenDown)
        {
            lock (_stateLock)
            {
                if (_unfinished.Count == 0 || (stopWhenDown && IsServerDown))
                    return Task.CompletedTask;
                var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((done, stopWhenDown));
                return done.Task;
            }
        }

        /// <summary>Removes the waiters to complete: all of them (idle), or those that stop when the server is down. Caller holds the state lock.</summary>
        private List<TaskCompletionSource<bool>>? TakeWaiters(bool all)
        {
            List<TaskCompletionSource<bool>>? done = null;
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!all && !_waiters[i].StopWhenDown)
                    continue;
                (done ??= new List<TaskCompletionSource<bool>>()).Add(_waiters[i].Done);
                _waiters.RemoveAt(i);
            }
            return done;
        }

        private static void Complete(List<TaskCompletionSource<bool>>? done)
        {
            if (done is null)
                return;
            foreach (var waiter in done)
                waiter.TrySetResult(true);
        }

        private static List<LogEventInfo> ToEvents(List<AsyncLogEventInfo> queued)
        {
            var events = new List<LogEventInfo>(queued.Count);
            foreach (var entry in queued)
            {
                // Level Off: a flush request AsyncTaskTarget queued; complete it, it carries no event.
                if (entry.LogEvent.Level != LogLevel.Off)
                    events.Add(entry.LogEvent);
                try
                {
                    entry.Continuation(null);
                }
                catch (Exception ex)
                {
                    InternalLogger.Debug(ex, "a log event continuation threw");
                }
            }
            return events;
        }
    }
}
