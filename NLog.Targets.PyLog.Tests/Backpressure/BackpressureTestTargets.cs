using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using NLog.Common;
using NLog.Targets;

namespace NLog.Targets.PyLog.Tests.Backpressure
{
    /// <summary>
    /// A wrapped target that is deliberately slow (<see cref="BatchDelayMilliseconds"/> per batch),
    /// can be held shut (<see cref="Gate"/>), can throw for chosen messages, and records what arrives.
    /// </summary>
    [Target("BackpressureSlowTest")]
    internal sealed class SlowRecordingTarget : Target
    {
        private readonly object _lock = new object();
        private readonly List<LogEventInfo> _events = new List<LogEventInfo>();
        private readonly long[] _byLevel = new long[6];

        public int BatchDelayMilliseconds { get; set; }

        /// <summary>Messages starting with this text make Write throw.</summary>
        public string? ThrowOnPrefix { get; set; }

        public ManualResetEventSlim Gate { get; } = new ManualResetEventSlim(true);

        public int FlushCount;

        /// <summary>How many events had arrived when the last flush ran.</summary>
        public int EventsAtLastFlush = -1;

        public int EventsAtClose = -1;

        public int Count { get { lock (_lock) return _events.Count; } }

        public long CountOf(LogLevel level) { lock (_lock) return _byLevel[level.Ordinal]; }

        public LogEventInfo[] Snapshot() { lock (_lock) return _events.ToArray(); }

        /// <summary>Batches that have entered Write (and may be waiting at the gate).</summary>
        public int BatchesEntered;

        protected override void Write(IList<AsyncLogEventInfo> logEvents)
        {
            Interlocked.Increment(ref BatchesEntered);
            Gate.Wait();
            if (BatchDelayMilliseconds > 0)
                Thread.Sleep(BatchDelayMilliseconds);
            base.Write(logEvents);
        }

        protected override void Write(LogEventInfo logEvent)
        {
            if (ThrowOnPrefix != null && logEvent.Message.StartsWith(ThrowOnPrefix, StringComparison.Ordinal))
                throw new InvalidOperationException("wrapped target failure for " + logEvent.Message);
            lock (_lock)
            {
                _events.Add(logEvent);
                _byLevel[logEvent.Level.Ordinal]++;
            }
        }

        protected override void FlushAsync(AsyncContinuation asyncContinuation)
        {
            Interlocked.Increment(ref FlushCount);
            Volatile.Write(ref EventsAtLastFlush, Count);
            asyncContinuation(null);
        }

        protected override void CloseTarget()
        {
            EventsAtClose = Count;
            base.CloseTarget();
        }
    }

    /// <summary>An <see cref="AsyncTaskTarget"/> (the base of the network targets) that writes with an await.</summary>
    [Target("BackpressureAsyncTaskTest")]
    internal sealed class RecordingAsyncTaskTarget : AsyncTaskTarget
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override async Task WriteAsyncTask(IList<LogEventInfo> logEvents, CancellationToken cancellationToken)
        {
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _count, logEvents.Count);
        }

        protected override Task WriteAsyncTask(LogEventInfo logEvent, CancellationToken cancellationToken)
        {
            throw new NotSupportedException("batches only");
        }
    }
}
