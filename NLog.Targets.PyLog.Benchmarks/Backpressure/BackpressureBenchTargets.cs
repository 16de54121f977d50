using System.Collections.Generic;
using System.Threading;
using NLog.Common;
using NLog.Targets;

namespace NLog.Targets.PyLog.Benchmarks.Backpressure
{
    /// <summary>The cheapest possible wrapped target: counts, renders nothing. Shows the wrapper's own cost.</summary>
    internal sealed class CountingTarget : Target
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        protected override void Write(LogEventInfo logEvent) => Interlocked.Increment(ref _count);

        protected override void Write(IList<AsyncLogEventInfo> logEvents)
        {
            Interlocked.Add(ref _count, logEvents.Count);
            for (int i = 0; i < logEvents.Count; i++)
                logEvents[i].Continuation(null);
        }
    }

    /// <summary>A slow destination: every batch costs <see cref="BatchDelayMilliseconds"/> (a remote call).</summary>
    internal sealed class SlowCountingTarget : Target
    {
        private long _count;

        public int BatchDelayMilliseconds { get; set; } = 1;

        public long Count => Interlocked.Read(ref _count);

        protected override void Write(LogEventInfo logEvent) => Interlocked.Increment(ref _count);

        protected override void Write(IList<AsyncLogEventInfo> logEvents)
        {
            Thread.Sleep(BatchDelayMilliseconds);
            Interlocked.Add(ref _count, logEvents.Count);
            for (int i = 0; i < logEvents.Count; i++)
                logEvents[i].Continuation(null);
        }
    }
}
