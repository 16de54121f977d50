using System;
using System.Collections.Generic;
using System.Threading;
using NLog.Common;
using NLog.Config;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Failover;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// Writes to the first of its children that works, in priority order; returns to the primary
    /// (the first child) once a probe made every <see cref="RetryPrimaryAfterSeconds"/> succeeds.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Children are nested <c>&lt;target&gt;</c> elements, as in NLog's <c>FallbackGroup</c>.
    /// Every write goes to the current child. When it fails, the group switches to the next
    /// child (once, however many events fail concurrently) and re-sends the failed events there;
    /// an event reaches a later child only after an earlier one reported it failed, so it is
    /// never written twice. When the last child fails too, the event is counted in
    /// <c>pylog.failover.all_failed</c> and in <c>pylog.events.dropped</c> (reason
    /// <c>write_failed</c>) and the write completes with the error; the application goes on.
    /// </para>
    /// <para>
    /// While not on the primary, the first write after <see cref="RetryPrimaryAfterSeconds"/>
    /// is sent to the primary as a probe (one probe per interval). If the probe succeeds the group
    /// switches back; if it fails the probed events go to the current child and the next probe
    /// waits another interval. Only the primary is probed.
    /// </para>
    /// <para>
    /// How failures are seen: for an ordinary target, through each event's continuation (for an
    /// NLog <see cref="AsyncTaskTarget"/> this comes after its own <c>RetryCount</c>). This
    /// package's network targets (Kafka, Redis, AliyunSls, also under wrappers) complete the
    /// continuation when an event joins a batch, so the group subscribes to their failed batches
    /// and delivery reports instead, and caps their retries: a network child left at its default
    /// <c>RetryCount="-1"</c> (retry until delivered) gets <see cref="ChildRetryCount"/>, so a dead
    /// server is detected after a few backoff steps (about 0.3 s with the default delays) rather
    /// than never.
    /// </para>
    /// </remarks>
    [Target("FailoverGroup", IsCompound = true)]
    public sealed class FailoverTarget : CompoundTargetBase
    {
        private static readonly AsyncContinuation s_ignoreContinuation = _ => { };

        private Target[] _children = Array.Empty<Target>();
        private string[] _childNames = Array.Empty<string>();
        private bool[] _networkBacked = Array.Empty<bool>();
        private NetworkChildLink?[] _links = Array.Empty<NetworkChildLink?>();
        private string _metricName = nameof(FailoverTarget);
        private int _current;
        private long _retryPrimaryAt;
        private int _probing;
        private int _allFailedLogged;

        /// <summary>Creates an empty group; add children to <see cref="CompoundTargetBase.Targets"/>.</summary>
        public FailoverTarget()
            : base()
        {
        }

        /// <summary>Creates a group with children in priority order.</summary>
        /// <param name="name">The name of the group.</param>
        /// <param name="targets">The children, the primary first.</param>
        public FailoverTarget(string name, params Target[] targets)
            : base(targets)
        {
            Name = name;
        }

        /// <summary>How long after leaving the primary (and after each failed probe) the primary is tried again.</summary>
        /// <remarks>Default: <c>30</c> seconds. <c>0</c> probes on every write while not on the primary.</remarks>
        public int RetryPrimaryAfterSeconds { get; set; } = 30;

        /// <summary>
        /// The <c>RetryCount</c> given to a network child (Kafka, Redis, AliyunSls) that is left at
        /// its default of <c>-1</c> (retry until delivered), so that its failures reach the group.
        /// <c>-1</c> leaves such children retrying forever (the group then fails over only on
        /// permanent errors). A child with an explicit <c>RetryCount</c> of 0 or more is not changed.
        /// </summary>
        /// <remarks>Default: <c>2</c> (three attempts, about 0.3 s with the default backoff).</remarks>
        public int ChildRetryCount { get; set; } = 2;

        /// <summary>The child that receives writes now (null before initialization).</summary>
        public Target? CurrentTarget
        {
            get
            {
                var children = _children;
                return children.Length == 0 ? null : children[Volatile.Read(ref _current)];
            }
        }

        /// <summary>
        /// Raised when the group switches to another child, after a failure or back to the
        /// recovered primary (the seeds' <c>on_switch</c>). Raised on the thread that saw the
        /// failure or success (a logging thread or a child's writer): keep handlers short.
        /// </summary>
        public event EventHandler<FailoverSwitchedEventArgs>? Switched;

        /// <summary>Raised when events are lost because every child failed them (also counted in <c>pylog.events.dropped</c>).</summary>
        public event EventHandler<EventDroppedEventArgs>? EventDropped;

        /// <summary>The clock of the primary probe; tests substitute it.</summary>
        internal TimeProvider TimeProvider { get; set; } = TimeProvider.System;

        /// <inheritdoc/>
        protected override void InitializeTarget()
        {
            base.InitializeTarget();

            if (Targets.Count == 0)
                throw new NLogConfigurationException($"FailoverGroup '{Name}': Targets is empty; nest at least one <target> inside the group, the primary first.");
            for (int i = 0; i < Targets.Count; i++)
            {
                if (Targets[i] is null)
                    throw new NLogConfigurationException($"FailoverGroup '{Name}': Targets[{i}] is null.");
            }
            if (RetryPrimaryAfterSeconds < 0)
                throw new NLogConfigurationException($"FailoverGroup '{Name}': RetryPrimaryAfterSeconds must be 0 or more (was '{RetryPrimaryAfterSeconds}').");
            if (ChildRetryCount < -1)
                throw new NLogConfigurationException($"FailoverGroup '{Name}': ChildRetryCount must be -1 (leave network children retrying forever) or more (was '{ChildRetryCount}').");

            DetachChildren();
            int count = Targets.Count;
            var children = new Target[count];
            var names = new string[count];
            var links = new NetworkChildLink?[count];
            var networkBacked = new bool[count];
            for (int i = 0; i < count; i++)
            {
                children[i] = Targets[i];
                names[i] = string.IsNullOrEmpty(children[i].Name) ? children[i].GetType().Name + "#" + i : children[i].Name;
                links[i] = NetworkChildLink.TryAttach(this, i, children[i], ChildRetryCount);
                networkBacked[i] = links[i] != null;
            }

            _metricName = string.IsNullOrEmpty(Name) ? nameof(FailoverTarget) : Name;
            _childNames = names;
            _networkBacked = networkBacked;
            _links = links;
            Volatile.Write(ref _current, 0);
            Volatile.Write(ref _probing, 0);
            Volatile.Write(ref _allFailedLogged, 0);
            _children = children;
        }

        /// <inheritdoc/>
        protected override void CloseTarget()
        {
            DetachChildren();
            base.CloseTarget();
        }

        /// <summary>Flushes the children one after the other, the primary first, so events re-sent during the flush are flushed too.</summary>
        protected override void FlushAsync(AsyncContinuation asyncContinuation)
        {
            SequentialFlush.Run(_children, asyncContinuation);
        }

        /// <inheritdoc/>
        protected override void Write(AsyncLogEventInfo logEvent)
        {
            WriteAsyncThreadSafe(logEvent);
        }

        /// <inheritdoc/>
        protected override void Write(IList<AsyncLogEventInfo> logEvents)
        {
            WriteAsyncThreadSafe(logEvents);
        }

        /// <summary>Routes the event to the current child without taking the group's lock (children take their own).</summary>
        protected override void WriteAsyncThreadSafe(AsyncLogEventInfo logEvent)
        {
            int child = SelectChild(out bool probe);
            PrecalculateForOtherChildren(child, logEvent.LogEvent);
            var write = new FailoverWrite(this, logEvent.LogEvent, logEvent.Continuation, child, 1, probe);
            _children[child].WriteAsyncLogEvent(write.ToAsyncLogEvent());
        }

        /// <summary>Routes the whole batch to the current child; each event fails over on its own.</summary>
        protected override void WriteAsyncThreadSafe(IList<AsyncLogEventInfo> logEvents)
        {
            if (logEvents.Count == 1)
            {
                WriteAsyncThreadSafe(logEvents[0]);
                return;
            }

            // A new array rather than rewriting the caller's list, which it may own and reuse.
            int child = SelectChild(out bool probe);
            var routed = new AsyncLogEventInfo[logEvents.Count];
            for (int i = 0; i < routed.Length; i++)
            {
                var logEvent = logEvents[i];
                PrecalculateForOtherChildren(child, logEvent.LogEvent);
                routed[i] = new FailoverWrite(this, logEvent.LogEvent, logEvent.Continuation, child, 1, probe).ToAsyncLogEvent();
            }
            _children[child].WriteAsyncLogEvents(routed);
        }

        internal void OnChildSucceeded(int child, bool probe)
        {
            if (Volatile.Read(ref _allFailedLogged) != 0)
                Volatile.Write(ref _allFailedLogged, 0);
            // A network child "succeeds" here when the event joins a batch; its delivery report decides.
            if (probe && child == 0 && !_networkBacked[0])
                Recover();
        }

        internal void OnNetworkChildDelivered(int child)
        {
            if (child == 0 && Volatile.Read(ref _probing) != 0)
                Recover();
        }

        internal void OnChildFailed(int child, int attempt, LogEventInfo logEvent, AsyncContinuation continuation, Exception exception)
        {
            int next = Advance(child, exception);
            if (next < 0 || attempt >= 2 * _children.Length)
            {
                CountAllFailed(logEvent.Level, 1, exception);
                continuation(exception);
                return;
            }

            var write = new FailoverWrite(this, logEvent, continuation, next, attempt + 1, probe: false);
            Resend(child, next, new[] { write.ToAsyncLogEvent() });
        }

        internal bool OnNetworkChildFailed(int child, IReadOnlyList<LogEventInfo> events, Exception exception)
        {
            if (!IsInitialized)
                return false;   // the group is closed: let the child count its own loss

            int next = Advance(child, exception);
            if (next < 0)
            {
                CountAllFailed(events, exception);
                return true;
            }

            var resent = new AsyncLogEventInfo[events.Count];
            for (int i = 0; i < resent.Length; i++)
                resent[i] = new FailoverWrite(this, events[i], s_ignoreContinuation, next, 2, probe: false).ToAsyncLogEvent();
            Resend(child, next, resent);
            return true;
        }

        /// <summary>
        /// A network child's queue is full (its server is slow or down and its retries are still
        /// running): the event it discards goes to the next child instead of being lost. No
        /// switch: a burst is not a failure, and the child's own failures decide that.
        /// </summary>
        internal bool OnNetworkChildOverflow(int child, LogEventInfo logEvent)
        {
            int next = child + 1;
            if (!IsInitialized || next >= _children.Length)
                return false;   // nothing after it (or the group is closed): the child counts its own loss

            var write = new FailoverWrite(this, logEvent, s_ignoreContinuation, next, 2, probe: false);
            _children[next].WriteAsyncLogEvent(write.ToAsyncLogEvent());
            return true;
        }

        private int SelectChild(out bool probe)
        {
            probe = false;
            int current = Volatile.Read(ref _current);
            if (current == 0)
                return 0;

            long now = TimeProvider.GetTimestamp();
            long due = Volatile.Read(ref _retryPrimaryAt);
            if (now < due)
                return current;
            // One probe per interval: whoever moves the deadline sends it.
            if (Interlocked.CompareExchange(ref _retryPrimaryAt, now + RetryInterval(), due) != due)
                return current;

            Volatile.Write(ref _probing, 1);
            InternalLogger.Debug("{0}: probing the primary '{1}'", this, _childNames[0]);
            probe = true;
            return 0;
        }

        /// <summary>Switches away from a failed child if it is the current one; returns the child that should get its events, or -1.</summary>
        private int Advance(int failed, Exception exception)
        {
            int current = Volatile.Read(ref _current);
            if (current == failed)
            {
                if (failed + 1 < _children.Length)
                    SwitchAfterFailure(failed, failed + 1, exception);
            }
            else if (failed == 0 && Interlocked.Exchange(ref _probing, 0) != 0)
            {
                InternalLogger.Info("{0}: the primary '{1}' is still failing ({2}); staying on '{3}', next probe in {4} s", this, _childNames[0], exception.Message, _childNames[current], RetryPrimaryAfterSeconds);
            }

            current = Volatile.Read(ref _current);
            int next = current != failed ? current : failed + 1;
            return next < _children.Length ? next : -1;
        }

        private void SwitchAfterFailure(int from, int to, Exception exception)
        {
            if (from == 0)
                Volatile.Write(ref _retryPrimaryAt, TimeProvider.GetTimestamp() + RetryInterval());
            if (Interlocked.CompareExchange(ref _current, to, from) != from)
                return;   // another thread switched first

            Volatile.Write(ref _allFailedLogged, 0);
            InternalLogger.Warn(exception, "{0}: '{1}' failed; writing to '{2}' from now on (the primary is probed again after {3} s)", this, _childNames[from], _childNames[to], RetryPrimaryAfterSeconds);
            OnSwitched(from, to, exception, isRecovery: false);
        }

        private void Recover()
        {
            while (true)
            {
                int from = Volatile.Read(ref _current);
                if (from == 0)
                    return;
                if (Interlocked.CompareExchange(ref _current, 0, from) == from)
                {
                    Volatile.Write(ref _probing, 0);
                    Volatile.Write(ref _allFailedLogged, 0);
                    InternalLogger.Info("{0}: the primary '{1}' has recovered; writing to it again instead of '{2}'", this, _childNames[0], _childNames[from]);
                    OnSwitched(from, 0, null, isRecovery: true);
                    return;
                }
            }
        }

        private void OnSwitched(int from, int to, Exception? exception, bool isRecovery)
        {
            PyLogMetrics.FailoverSwitch(_metricName, _childNames[from], _childNames[to]);
            var handler = Switched;
            if (handler is null)
                return;
            try
            {
                handler(this, new FailoverSwitchedEventArgs(_children[from], _children[to], exception, isRecovery));
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: a Switched handler threw", this);
            }
        }

        private void Resend(int failed, int next, AsyncLogEventInfo[] events)
        {
            var target = _children[next];
            if (next > failed)
            {
                target.WriteAsyncLogEvents(events);
                return;
            }

            // A synchronous child reports failure while holding its own lock; writing to an
            // earlier child from there could deadlock against a thread failing the other way.
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Target.WriteAsyncLogEvents(state.Events), (Target: target, Events: events), preferLocal: false);
        }

        private void CountAllFailed(IReadOnlyList<LogEventInfo> events, Exception exception)
        {
            Span<int> perLevel = stackalloc int[6];
            for (int i = 0; i < events.Count; i++)
            {
                int ordinal = events[i].Level.Ordinal;
                if ((uint)ordinal < (uint)perLevel.Length)
                    perLevel[ordinal]++;
            }
            for (int ordinal = 0; ordinal < perLevel.Length; ordinal++)
            {
                if (perLevel[ordinal] > 0)
                    CountAllFailed(LogLevel.FromOrdinal(ordinal), perLevel[ordinal], exception);
            }
        }

        private void CountAllFailed(LogLevel level, int count, Exception exception)
        {
            PyLogMetrics.FailoverAllFailed(_metricName, count);
            PyLogMetrics.EventsDropped(_metricName, level, DropReasons.WriteFailed, count);
            if (Interlocked.Exchange(ref _allFailedLogged, 1) == 0)
                InternalLogger.Warn(exception, "{0}: every child failed; events are dropped (counted in pylog.failover.all_failed) until one works again", this);

            var handler = EventDropped;
            if (handler is null)
                return;
            try
            {
                handler(this, new EventDroppedEventArgs(_metricName, level, DropReasons.WriteFailed, count, exception));
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: an EventDropped handler threw", this);
            }
        }

        private void PrecalculateForOtherChildren(int child, LogEventInfo logEvent)
        {
            // Events may be re-sent later from another thread: capture thread-bound layouts now.
            var children = _children;
            for (int i = 0; i < children.Length; i++)
            {
                if (i != child)
                    children[i].PrecalculateVolatileLayouts(logEvent);
            }
        }

        private long RetryInterval() => RetryPrimaryAfterSeconds * TimeProvider.TimestampFrequency;

        private void DetachChildren()
        {
            var links = _links;
            for (int i = 0; i < links.Length; i++)
                links[i]?.Detach();
            _links = Array.Empty<NetworkChildLink?>();
        }
    }
}
