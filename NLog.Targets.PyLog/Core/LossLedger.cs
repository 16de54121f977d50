using System;
using System.Collections.Generic;
using System.Threading;
using NLog.Common;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// The loss and delivery accounting of one target or wrapper of this package: every lost
    /// event is counted by level and reason in <c>pylog.events.dropped</c> and raised through the
    /// owner's <c>EventDropped</c> (per level and reason, with a count), deliveries in
    /// <c>pylog.events.sent</c>, and losses are warned about through one <see cref="WarningLimiter"/>.
    /// </summary>
    /// <remarks>
    /// Two ways in. <see cref="Dropped(LogLevel, string, int, Exception?)"/> publishes at once
    /// (batch outcomes, rare paths). <see cref="Defer"/> is for a logging thread under a flood: one
    /// interlocked add into a per-reason-and-level slot; <see cref="Publish"/> (called by a
    /// background consumer, or by a producer when nobody has for a while) turns the slots into
    /// metrics, events and the warning.
    /// </remarks>
    internal sealed class LossLedger
    {
        private const int LevelCount = 6; // Trace .. Fatal
        private const long StalePublishMilliseconds = 1000;

        // The reasons that can be deferred; others are always published at once.
        private static readonly string[] s_deferrable = { DropReasons.QueueFull, DropReasons.WriteFailed, DropReasons.Shutdown };

        private readonly Target _owner;
        private readonly long[] _pending = new long[3 * LevelCount];
        private readonly long[] _sinceWarning = new long[3];
        private Exception? _lastError;
        private int _hasPending;
        private int _publishing;
        private long _nextStalePublish;
        private long _sent;

        public LossLedger(Target owner)
        {
            _owner = owner;
        }

        /// <summary>Raised once per level and reason of a loss, with its count.</summary>
        public event EventHandler<EventDroppedEventArgs>? EventDropped;

        /// <summary>The value of the <c>target</c> metric tag: the owner's name, else its type.</summary>
        public string TargetName => string.IsNullOrEmpty(_owner.Name) ? ConfigurationErrors.TypeName(_owner) : _owner.Name;

        /// <summary>The limiter of the owner's loss warnings.</summary>
        public WarningLimiter LossWarnings { get; } = new WarningLimiter();

        /// <summary>The limiter of the owner's other recurring warnings (retries, client noise).</summary>
        public WarningLimiter NoticeWarnings { get; } = new WarningLimiter();

        /// <summary>True when deferred losses or deliveries wait for <see cref="Publish"/>.</summary>
        public bool HasPending => Volatile.Read(ref _hasPending) != 0 || Volatile.Read(ref _sent) != 0;

        /// <summary>Counts delivered events at once.</summary>
        public void Sent(long count) => PyLogMetrics.EventsSent(TargetName, count);

        /// <summary>Counts delivered events; published by the next <see cref="Publish"/>.</summary>
        public void DeferSent(long count = 1) => Interlocked.Add(ref _sent, count);

        /// <summary>Counts a loss at once: metric, event.</summary>
        public void Dropped(LogLevel level, string reason, int count, Exception? exception)
        {
            if (count <= 0)
                return;
            string target = TargetName;
            PyLogMetrics.EventsDropped(target, level, reason, count);
            Raise(new EventDroppedEventArgs(target, level, reason, count, exception));
        }

        /// <summary>Counts lost events grouped by level; returns how many.</summary>
        public int Dropped(IReadOnlyList<LogEventInfo> events, string reason, Exception? exception)
        {
            Span<int> perLevel = stackalloc int[LevelCount];
            for (int i = 0; i < events.Count; i++)
                perLevel[Ordinal(events[i].Level)]++;
            int total = 0;
            for (int ordinal = 0; ordinal < LevelCount; ordinal++)
            {
                Dropped(LogLevel.FromOrdinal(ordinal), reason, perLevel[ordinal], exception);
                total += perLevel[ordinal];
            }
            return total;
        }

        /// <summary>Counts a loss cheaply (one interlocked add); published by the next <see cref="Publish"/>.</summary>
        public void Defer(LogLevel level, string reason, Exception? exception = null)
        {
            int slot = Array.IndexOf(s_deferrable, reason);
            if (slot < 0)
            {
                Dropped(level, reason, 1, exception);
                return;
            }
            Interlocked.Increment(ref _pending[slot * LevelCount + Ordinal(level)]);
            if (exception != null)
                _lastError = exception;
            // Read before write: under a flood every producer drops, and an unconditional store
            // would bounce this cache line between them.
            if (Volatile.Read(ref _hasPending) == 0)
                Interlocked.Exchange(ref _hasPending, 1);
        }

        /// <summary>For a dropping producer: publishes only when nobody has for a while (a stalled consumer).</summary>
        public void PublishIfStale()
        {
            if (Environment.TickCount64 >= Volatile.Read(ref _nextStalePublish))
                Publish();
        }

        /// <summary>Publishes what was deferred, and warns (rate-limited) about the losses.</summary>
        public void Publish()
        {
            if (Interlocked.Exchange(ref _publishing, 1) != 0)
                return;
            try
            {
                Volatile.Write(ref _nextStalePublish, Environment.TickCount64 + StalePublishMilliseconds);
                long sent = Interlocked.Exchange(ref _sent, 0);
                if (sent > 0)
                    Sent(sent);
                if (Interlocked.Exchange(ref _hasPending, 0) == 0)
                    return;

                for (int slot = 0; slot < s_deferrable.Length; slot++)
                {
                    for (int ordinal = 0; ordinal < LevelCount; ordinal++)
                    {
                        long count = Interlocked.Exchange(ref _pending[slot * LevelCount + ordinal], 0);
                        if (count == 0)
                            continue;
                        _sinceWarning[slot] += count;
                        var error = s_deferrable[slot] == DropReasons.WriteFailed ? _lastError : null;
                        Dropped(LogLevel.FromOrdinal(ordinal), s_deferrable[slot], (int)Math.Min(count, int.MaxValue), error);
                    }
                }
                WarnDeferred();
            }
            finally
            {
                Volatile.Write(ref _publishing, 0);
            }
        }

        private void WarnDeferred()
        {
            long queueFull = _sinceWarning[0], writeFailed = _sinceWarning[1], shutdown = _sinceWarning[2];
            if (queueFull + writeFailed + shutdown == 0 || !LossWarnings.TryEnter(out int suppressed))
                return;
            Array.Clear(_sinceWarning, 0, _sinceWarning.Length);
            InternalLogger.Warn(writeFailed > 0 ? _lastError : null,
                "{0}: dropped {1} events (queue_full: {2}, write_failed: {3}, shutdown: {4}); further drops are counted in pylog.events.dropped and reported here at most every {5} s ({6} similar warnings suppressed).",
                _owner, queueFull + writeFailed + shutdown, queueFull, writeFailed, shutdown, (int)WarningLimiter.Interval.TotalSeconds, suppressed);
        }

        private void Raise(EventDroppedEventArgs args)
        {
            var handler = EventDropped;
            if (handler is null)
                return;
            try
            {
                handler(_owner, args);
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: an EventDropped handler threw", _owner);
            }
        }

        private static int Ordinal(LogLevel level)
        {
            int ordinal = level.Ordinal;
            return ordinal < 0 ? 0 : ordinal >= LevelCount ? LevelCount - 1 : ordinal;
        }
    }
}
