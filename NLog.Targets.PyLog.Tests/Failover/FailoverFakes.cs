using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NLog.Common;
using NLog.Targets;

namespace NLog.Targets.PyLog.Tests.Failover
{
    /// <summary>A synchronous target that throws while <see cref="Down"/> is set and records what it wrote.</summary>
    [Target("FlakyTarget")]
    public sealed class FlakyTarget : TargetWithLayout
    {
        private int _failures;

        public FlakyTarget()
        {
            Layout = "${message}";
        }

        public FlakyTarget(string name, bool down = false)
            : this()
        {
            Name = name;
            Down = down;
        }

        /// <summary>While true, every write throws an <see cref="IOException"/>.</summary>
        public bool Down { get; set; }

        /// <summary>When set, the target goes down after this many successful writes.</summary>
        public int FailAfter { get; set; } = -1;

        public ConcurrentQueue<string> Written { get; } = new ConcurrentQueue<string>();

        public int Failures => Volatile.Read(ref _failures);

        protected override void Write(LogEventInfo logEvent)
        {
            if (Down || (FailAfter >= 0 && Written.Count >= FailAfter))
            {
                Interlocked.Increment(ref _failures);
                throw new IOException(Name + " is down");
            }
            Written.Enqueue(RenderLogEvent(Layout, logEvent));
        }
    }

    /// <summary>An NLog <see cref="AsyncTaskTarget"/> whose write task fails after a delay while <see cref="Down"/> is set.</summary>
    [Target("FlakyAsyncTask")]
    public sealed class FlakyAsyncTaskTarget : AsyncTaskTarget
    {
        private int _failedBatches;

        public FlakyAsyncTaskTarget()
        {
            Layout = "${message}";
            BatchSize = 100;
        }

        public bool Down { get; set; }

        public int FailAfterMilliseconds { get; set; } = 20;

        public ConcurrentQueue<string> Written { get; } = new ConcurrentQueue<string>();

        public int FailedBatches => Volatile.Read(ref _failedBatches);

        protected override Task WriteAsyncTask(LogEventInfo logEvent, CancellationToken cancellationToken)
        {
            return WriteAsyncTask(new[] { logEvent }, cancellationToken);
        }

        protected override async Task WriteAsyncTask(IList<LogEventInfo> logEvents, CancellationToken cancellationToken)
        {
            var rendered = logEvents.Select(e => RenderLogEvent(Layout, e)).ToList();
            await Task.Delay(FailAfterMilliseconds, cancellationToken).ConfigureAwait(false);
            if (Down)
            {
                Interlocked.Increment(ref _failedBatches);
                throw new IOException(Name + " lost its connection");
            }
            foreach (var message in rendered)
                Written.Enqueue(message);
        }
    }

    /// <summary>A clock that moves only when told to.</summary>
    public sealed class ManualTimeProvider : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override DateTimeOffset GetUtcNow() => new DateTimeOffset(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
