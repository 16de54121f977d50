using System;
using System.Collections.Generic;
using System.Threading;
using NLog.Common;

namespace NLog.Targets.PyLog.Backpressure
{
    /// <summary>
    /// Tracks one batch handed to the wrapped target: each event gets a per-slot continuation
    /// (created once per pooled instance, so nothing is allocated per event) that hands the
    /// result to the wrapper (<see cref="BackpressureTargetWrapper.OnWrappedCompleted"/>: the
    /// outcome for a target that does not report outcomes itself, a refusal otherwise), then calls
    /// the event's original continuation. When the last event of the batch completes, the counts
    /// are published and the instance returns to its pool.
    /// An event the wrapped target never completes (NLog's AsyncTaskTarget discarding it from a
    /// full queue) keeps its batch out of the pool; the others are still counted and published
    /// with the next batch.
    /// </summary>
    /// <remarks>
    /// Synchronous targets complete the batch inside <c>WriteAsyncLogEvents</c>; asynchronous ones
    /// (e.g. <c>AsyncTaskTarget</c>) later and on other threads, so several batches may be in flight.
    /// The consumer holds one extra reference until it has finished submitting.
    /// </remarks>
    internal sealed class BatchCompletion
    {
        private readonly BatchCompletionPool _pool;
        private readonly AsyncContinuation[] _callbacks;
        private readonly AsyncContinuation?[] _originals;
        private readonly LogEventInfo?[] _events;
        private readonly int[] _done;
        private int _count;
        private int _remaining;

        internal BatchCompletion(BatchCompletionPool pool, int capacity)
        {
            _pool = pool;
            _callbacks = new AsyncContinuation[capacity];
            _originals = new AsyncContinuation?[capacity];
            _events = new LogEventInfo?[capacity];
            _done = new int[capacity];
            for (int i = 0; i < capacity; i++)
            {
                int index = i;
                _callbacks[i] = ex => Complete(index, ex);
            }
        }

        public int Capacity => _callbacks.Length;

        /// <summary>Starts tracking <paramref name="batch"/>: replaces each continuation, in place, with this batch's slot continuation.</summary>
        public void Attach(List<AsyncLogEventInfo> batch)
        {
            int count = batch.Count;
            _count = count;
            for (int i = 0; i < count; i++)
            {
                var logEvent = batch[i];
                _originals[i] = logEvent.Continuation;
                _events[i] = logEvent.LogEvent;
                _done[i] = 0;
                batch[i] = logEvent.LogEvent.WithContinuation(_callbacks[i]);
            }
            Volatile.Write(ref _remaining, count + 1);
        }

        /// <summary>The consumer has finished handing the batch over; drops its own reference.</summary>
        public void Submitted() => Release();

        /// <summary>Completes, with <paramref name="error"/>, every event the wrapped target has not completed (it threw).</summary>
        public void FailUnfinished(Exception error)
        {
            for (int i = 0; i < _count; i++)
                Complete(i, error);
        }

        private void Complete(int index, Exception? error)
        {
            if (Interlocked.Exchange(ref _done[index], 1) != 0)
                return;

            var original = _originals[index];
            _originals[index] = null;
            var logEvent = _events[index];
            _events[index] = null;
            if (logEvent != null)
                _pool.Owner.OnWrappedCompleted(logEvent, error);

            try
            {
                original?.Invoke(error);
            }
            catch (Exception ex)
            {
                InternalLogger.Debug(ex, "{0}: a log event continuation threw.", _pool.Owner);
            }
            Release();
        }

        private void Release()
        {
            if (Interlocked.Decrement(ref _remaining) != 0)
                return;
            _pool.Owner.PublishCounts();
            _pool.Return(this);
        }
    }

    /// <summary>Recycles <see cref="BatchCompletion"/>s; grows only while batches are in flight in an asynchronous wrapped target.</summary>
    internal sealed class BatchCompletionPool
    {
        private readonly Stack<BatchCompletion> _free = new Stack<BatchCompletion>();
        private readonly int _capacity;

        public BatchCompletionPool(BackpressureTargetWrapper owner, int capacity)
        {
            Owner = owner;
            _capacity = capacity;
        }

        public BackpressureTargetWrapper Owner { get; }

        public BatchCompletion Rent()
        {
            lock (_free)
            {
                if (_free.Count > 0)
                    return _free.Pop();
            }
            return new BatchCompletion(this, _capacity);
        }

        public void Return(BatchCompletion completion)
        {
            lock (_free)
            {
                // Keep a handful; a burst of in-flight batches must not pin memory forever.
                if (_free.Count < 16)
                    _free.Push(completion);
            }
        }
    }
}
