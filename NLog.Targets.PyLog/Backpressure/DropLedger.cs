using System;
using System.Threading;
using NLog.Common;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Backpressure
{
    /// <summary>
    /// Accumulates losses by reason and level, and deliveries, with one interlocked add per event,
    /// and publishes them in aggregate: the <c>pylog.events.sent</c> and <c>pylog.events.dropped</c>
    /// counters, the wrapper's <c>EventDropped</c> event (one per reason and level, with a count) and at most one
    /// <see cref="InternalLogger"/> warning per <see cref="WarningInterval"/>.
    /// </summary>
    internal sealed class DropLedger
    {
        internal const int QueueFull = 0;
        internal const int WriteFailed = 1;
        internal const int Shutdown = 2;

        /// <summary>The smallest gap between two drop warnings in the internal log.</summary>
        internal static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);

        /// <summary>A producer that drops publishes itself when the consumer has not done so for this long.</summary>
        private const long ProducerPublishIntervalMs = 1000;

        private static readonly string[] s_reasons = { DropReasons.QueueFull, DropReasons.WriteFailed, DropReasons.Shutdown };
        private const int LevelCount = 6; // Trace .. Fatal

        private readonly Target _owner;
        private readonly Action<EventDroppedEventArgs> _raise;
        private readonly long[] _pending = new long[3 * LevelCount];
        private readonly long[] _sinceWarning = new long[3];
        private Exception? _lastError;
        private int _hasPending;
        private int _publishing;
        private long _nextProducerPublish;
        private long _nextWarning;
        private long _sent;

        public DropLedger(Target owner, Action<EventDroppedEventArgs> raise)
        {
            _owner = owner;
            _raise = raise;
        }

        public bool HasPending => Volatile.Read(ref _hasPending) != 0;

        public void Record(int reason, LogLevel level, Exception? error = null, long count = 1)
        {
            int ordinal = level.Ordinal;
            if (ordinal >= LevelCount)
                ordinal = LevelCount - 1;
            Interlocked.Add(ref _pending[reason * LevelCount + ordinal], count);
            if (error != null)
                _lastError = error;
            // Read before write: under a flood every producer drops, and an unconditional store
            // would bounce this cache line between them.
            if (Volatile.Read(ref _hasPending) == 0)
                Interlocked.Exchange(ref _hasPending, 1);
        }

        /// <summary>Counts events the wrapped target completed without an error; published in aggregate.</summary>
        public void RecordSent() => Interlocked.Increment(ref _sent);

        /// <summary>Publishes the events counted as sent since the last call.</summary>
        public void PublishSent()
        {
            long sent = Interlocked.Exchange(ref _sent, 0);
            if (sent > 0)
                PyLogMetrics.EventsSent(_owner.Name ?? string.Empty, sent);
        }

        /// <summary>Called by a dropping producer: publishes only when nobody has for a while (a stuck consumer).</summary>
        public void PublishIfStale()
        {
            if (Environment.TickCount64 >= Volatile.Read(ref _nextProducerPublish))
                Publish();
        }

        /// <summary>Publishes what is pending.</summary>
        public void Publish()
        {
            if (Interlocked.Exchange(ref _publishing, 1) != 0)
                return;
            try
            {
                Volatile.Write(ref _nextProducerPublish, Environment.TickCount64 + ProducerPublishIntervalMs);
                PublishSent();
                if (Interlocked.Exchange(ref _hasPending, 0) == 0)
                    return;

                string target = _owner.Name ?? string.Empty;
                for (int reason = 0; reason < s_reasons.Length; reason++)
                {
                    for (int ordinal = 0; ordinal < LevelCount; ordinal++)
                    {
                        long count = Interlocked.Exchange(ref _pending[reason * LevelCount + ordinal], 0);
                        if (count == 0)
                            continue;
                        var level = LogLevel.FromOrdinal(ordinal);
                        var error = reason == WriteFailed ? _lastError : null;
                        PyLogMetrics.EventsDropped(target, level, s_reasons[reason], count);
                        _sinceWarning[reason] += count;
                        try
                        {
                            _raise(new EventDroppedEventArgs(target, level, s_reasons[reason], (int)Math.Min(count, int.MaxValue), error));
                        }
                        catch (Exception ex)
                        {
                            InternalLogger.Error(ex, "{0}: an EventDropped handler threw.", _owner);
                        }
                    }
                }
                WarnIfDue();
            }
            finally
            {
                Volatile.Write(ref _publishing, 0);
            }
        }

        private void WarnIfDue()
        {
            long now = Environment.TickCount64;
            if (now < _nextWarning)
                return;
            long queueFull = _sinceWarning[QueueFull], writeFailed = _sinceWarning[WriteFailed], shutdown = _sinceWarning[Shutdown];
            if (queueFull + writeFailed + shutdown == 0)
                return;
            _nextWarning = now + (long)WarningInterval.TotalMilliseconds;
            Array.Clear(_sinceWarning, 0, _sinceWarning.Length);
            InternalLogger.Warn(writeFailed > 0 ? _lastError : null,
                "{0}: dropped {1} events (queue_full: {2}, write_failed: {3}, shutdown: {4}); further drops are counted in pylog.events.dropped and reported here at most every {5} s.",
                _owner, queueFull + writeFailed + shutdown, queueFull, writeFailed, shutdown, (int)WarningInterval.TotalSeconds);
        }
    }
}
