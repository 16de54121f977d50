using System;
using System.Threading;
using NLog.Common;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// The disk buffer's own losses (<c>buffer_full</c>, <c>corrupt</c>) by level, added with one
    /// interlocked add and published in aggregate by the replay thread: <c>pylog.events.dropped</c>,
    /// the wrapper's <c>EventDropped</c> (one per reason and level, with a count) and at most one
    /// internal-log warning per <see cref="WarningInterval"/>.
    /// </summary>
    internal sealed class BufferDropCounter
    {
        private const int LevelCount = 7; // Trace .. Fatal, and Off for corrupt records whose level is unknown
        private static readonly string[] s_reasons = { DropReasons.BufferFull, DropReasons.Corrupt };
        private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);

        private readonly Target _owner;
        private readonly Action<EventDroppedEventArgs> _raise;
        private readonly long[] _pending = new long[2 * LevelCount];
        private readonly long[] _sinceWarning = new long[2];
        private int _hasPending;
        private long _nextWarning;

        public BufferDropCounter(Target owner, Action<EventDroppedEventArgs> raise)
        {
            _owner = owner;
            _raise = raise;
        }

        public void Record(int levelOrdinal, string reason, long count)
        {
            if (count <= 0)
                return;
            int index = (reason == DropReasons.Corrupt ? 1 : 0) * LevelCount + Math.Clamp(levelOrdinal, 0, LevelCount - 1);
            Interlocked.Add(ref _pending[index], count);
            if (Volatile.Read(ref _hasPending) == 0)
                Interlocked.Exchange(ref _hasPending, 1);
        }

        /// <summary>Publishes what was counted since the last call; called by one thread at a time.</summary>
        public void Publish()
        {
            if (Volatile.Read(ref _hasPending) == 0 || Interlocked.Exchange(ref _hasPending, 0) == 0)
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
                    PyLogMetrics.EventsDropped(target, level, s_reasons[reason], count);
                    _sinceWarning[reason] += count;
                    try
                    {
                        _raise(new EventDroppedEventArgs(target, level, s_reasons[reason], (int)Math.Min(count, int.MaxValue), null));
                    }
                    catch (Exception ex)
                    {
                        InternalLogger.Error(ex, "{0}: an EventDropped handler threw.", _owner);
                    }
                }
            }

            long now = Environment.TickCount64;
            if (now < _nextWarning || _sinceWarning[0] == 0)
                return;
            _nextWarning = now + (long)WarningInterval.TotalMilliseconds;
            InternalLogger.Warn("{0}: the buffer is full (MaxBytes); {1} events dropped (reason buffer_full); further drops are counted in pylog.events.dropped and reported here at most every {2} s.",
                _owner, _sinceWarning[0], (int)WarningInterval.TotalSeconds);
            _sinceWarning[0] = 0;
            _sinceWarning[1] = 0;
        }
    }
}
