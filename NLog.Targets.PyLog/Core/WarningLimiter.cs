using System;
using System.Diagnostics;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Lets one warning through per <see cref="Interval"/> and counts the ones it holds back, so
    /// that a dead server or a flood of drops writes one internal-log line per interval with the
    /// number of similar ones suppressed, never one per event or per batch.
    /// </summary>
    internal sealed class WarningLimiter
    {
        /// <summary>The smallest gap between two warnings of one limiter.</summary>
        public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

        private readonly object _lock = new object();
        private long _last;
        private int _suppressed;

        /// <summary>True when a warning may be written now; <paramref name="suppressed"/> is how many were held back since the last one.</summary>
        public bool TryEnter(out int suppressed)
        {
            long now = Stopwatch.GetTimestamp();
            lock (_lock)
            {
                if (_last != 0 && Stopwatch.GetElapsedTime(_last, now) < Interval)
                {
                    _suppressed++;
                    suppressed = 0;
                    return false;
                }
                _last = now;
                suppressed = _suppressed;
                _suppressed = 0;
                return true;
            }
        }
    }
}
