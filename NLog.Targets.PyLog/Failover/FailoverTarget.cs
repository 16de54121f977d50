using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using NLog.Common;
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
    /// package's targets and wrappers (Kafka, Redis, AliyunSls, BackpressureWrapper, ...) report
    /// each event's final outcome instead: delivered, dropped for good (passed on as it is), or
    /// dropped for now (<c>queue_full</c>, <c>retries_exhausted</c>, <c>shutdown</c>), which sends
    /// the event to the next child. A network child retries as its own <c>RetryCount</c> says;
    /// left at <c>-1</c> (until delivered) it gives events up only when its queue overflows or it
    /// closes, so give network children a <c>RetryCount</c> (e.g. <c>2</c>) inside a group.
    /// A <c>queue_full</c> drop re-sends to the next child without switching (a burst is not an outage).
    /// </para>
    /// </remarks>
    [Target("FailoverGroup", IsCompound = true)]
    public sealed class FailoverTarget : CompoundTargetBase, IDeliveryReporter
    {
        private static readonly AsyncContinuation s_ignoreContinuation = _ => { };

        private Target[] _children = Array.Empty<Target>();
        private string[] _childNames = Array.Empty<string>();
        private bool[] _reports = Array.Empty<bool>();
        private ChildOutcomeListener?[] _listeners = Array.Empty<ChildOutcomeListener?>();
        private readonly DeliveryListeners _outcomeListeners;
        private readonly LossLedger _losses;
        // Attempts of events handed over after a child gave them up (absent: first attempt).
        private readonly ConcurrentDictionary<LogEventInfo, int> _handedOver = new ConcurrentDictionary<LogEventInfo, int>(ReferenceEqualityComparer.Instance);
        private int _current;
        private long _retryPrimaryAt;
        private int _probing;
        private int _allFailedLogged;

        /// <summary>Creates an empty group; add children to <see cref="CompoundTargetBase.Targets"/>.</summary>
        public FailoverTarget()
            : base()
        {
            _outcomeListeners = new DeliveryListeners(this);
            _losses = new LossLedger(this);
        }

        /// <summary>Creates a group with children in priority order.</summary>
        /// <param name="name">The name of the group.</param>
        /// <param name="targets">The children, the primary first.</param>
        public FailoverTarget(string name, params Target[] targets)
            : base(targets)
        {
            _outcomeListeners = new DeliveryListeners(this);
            _losses = new LossLedger(this);
            Name = name;
        }

        /// <summary>How long after leaving the primary (and after each failed probe) the primary is tried again.</summary>
        /// <remarks>Default: <c>30</c> seconds. <c>0</c> probes on every write while not on the primary.</remarks>
        public int RetryPrimaryAfterSeconds { get; set; } = 30;

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
        public event EventHandler<EventDroppedEventArgs>? EventDropped
        {
            add => _losses.EventDropped += value;
            remove => _losses.EventDropped -= value;
        }

        /// <summary>The clock of the primary probe; tests substitute it.</summary>
        internal TimeProvider TimeProvider { get; set; } = TimeProvider.System;

        /// <inheritdoc/>
        protected override void InitializeTarget()
        {
            if (Targets.Count == 0)
                throw ConfigurationErrors.Invalid(this, nameof(Targets), 0, "is empty; nest at least one <target> inside the group, the primary first");
            for (int i = 0; i < Targets.Count; i++)
            {
                if (Targets[i] is null)
                    throw ConfigurationErrors.Invalid(this, $"Targets[{i}]", "null", "must be a target");
            }
            ConfigurationErrors.RequireNotNegative(this, RetryPrimaryAfterSeconds, nameof(RetryPrimaryAfterSeconds));

            base.InitializeTarget();

            DetachChildren();
            int count = Targets.Count;
            var children = new Target[count];
            var names = new string[count];
            var listeners = new ChildOutcomeListener?[count];
            var reports = new bool[count];
            for (int i = 0; i < count; i++)
            {
                children[i] = Targets[i];
                names[i] = string.IsNullOrEmpty(children[i].Name) ? children[i].GetType().Name + "#" + i : children[i].Name;
                if (children[i] is IDeliveryReporter reporter)
                {
                    listeners[i] = new ChildOutcomeListener(this, i, reporter);
                    reporter.AddDeliveryListener(listeners[i]!);
                    reports[i] = true;
                }
                if (i + 1 < count && FindNetworkTarget(children[i]) is { RetryCount: < 0 } network)
                    InternalLogger.Info("{0}: child '{1}' retries until delivered (RetryCount -1): it hands events to the next child only when its queue overflows or it closes; set its RetryCount to fail over sooner", this, network);
            }

            _childNames = names;
            _reports = reports;
            _listeners = listeners;
            _handedOver.Clear();
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
            var write = new FailoverWrite(this, logEvent.LogEvent, logEvent.Continuation, child, 1, probe, _reports[child]);
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
                routed[i] = new FailoverWrite(this, logEvent.LogEvent, logEvent.Continuation, child, 1, probe, _reports[child]).ToAsyncLogEvent();
            }
            _children[child].WriteAsyncLogEvents(routed);
        }

        /// <summary>A child that does not report outcomes completed the event without an error.</summary>
        internal void OnChildSucceeded(int child, bool probe, LogEventInfo logEvent)
        {
            if (Volatile.Read(ref _allFailedLogged) != 0)
                Volatile.Write(ref _allFailedLogged, 0);
            if (probe && child == 0)
                Recover();
            Delivered(new[] { logEvent });
        }

        /// <summary>A child completed the event with an error (a child that reports outcomes: it refused it).</summary>
        internal void OnChildFailed(int child, int attempt, LogEventInfo logEvent, AsyncContinuation continuation, Exception exception)
        {
            int next = Advance(child, exception);
            if (next < 0 || attempt >= 2 * _children.Length)
            {
                AllFailed(new[] { logEvent }, DeliveryOutcome.DroppedTransient(DropReasons.WriteFailed, exception));
                continuation(exception);
                return;
            }

            var write = new FailoverWrite(this, logEvent, continuation, next, attempt + 1, probe: false, _reports[next]);
            Resend(child, next, new[] { write.ToAsyncLogEvent() });
        }

        /// <summary>The outcome of events at a child that reports outcomes.</summary>
        internal void OnChildOutcome(int child, IReadOnlyList<LogEventInfo> events, DeliveryOutcome outcome)
        {
            if (outcome.IsDelivered)
            {
                if (child == 0 && Volatile.Read(ref _current) != 0 && Volatile.Read(ref _probing) != 0)
                    Recover();
                Delivered(events);
                return;
            }
            if (outcome.IsPermanent)
            {
                // Refused for good: another child would refuse it too. Lost for the group all the same.
                AllFailed(events, outcome);
                return;
            }

            var exception = outcome.Exception ?? new NLogRuntimeException($"'{_childNames[child]}' gave the events up ({outcome.DropReason})");
            // A full queue is a burst, not an outage: hand over without switching.
            int next = outcome.DropReason == DropReasons.QueueFull
                ? (child + 1 < _children.Length ? Math.Max(child + 1, Volatile.Read(ref _current)) : -1)
                : Advance(child, exception);
            if (next < 0 || next == child || !IsInitialized)
            {
                // Nothing after it, or the group is closed (its children too: a closed target drops silently).
                AllFailed(events, DeliveryOutcome.DroppedTransient(outcome.DropReason!, exception));
                return;
            }

            var resent = new List<AsyncLogEventInfo>(events.Count);
            List<LogEventInfo>? exhausted = null;
            for (int i = 0; i < events.Count; i++)
            {
                var logEvent = events[i];
                int attempt = _handedOver.AddOrUpdate(logEvent, 2, static (_, n) => n + 1);
                if (attempt > 2 * _children.Length)
                {
                    (exhausted ??= new List<LogEventInfo>()).Add(logEvent);
                    continue;
                }
                resent.Add(new FailoverWrite(this, logEvent, s_ignoreContinuation, next, attempt, probe: false, _reports[next]).ToAsyncLogEvent());
            }
            if (exhausted != null)
                AllFailed(exhausted, DeliveryOutcome.DroppedTransient(outcome.DropReason!, exception));
            if (resent.Count > 0)
                Resend(child, next, resent.ToArray());
        }

        void IDeliveryReporter.AddDeliveryListener(IDeliveryListener listener) => _outcomeListeners.Add(listener);

        void IDeliveryReporter.RemoveDeliveryListener(IDeliveryListener listener) => _outcomeListeners.Remove(listener);

        private void Delivered(IReadOnlyList<LogEventInfo> events)
        {
            Forget(events);
            _outcomeListeners.Report(events, DeliveryOutcome.Delivered);
        }

        private void Forget(IReadOnlyList<LogEventInfo> events)
        {
            if (_handedOver.IsEmpty)
                return;
            for (int i = 0; i < events.Count; i++)
                _handedOver.TryRemove(events[i], out _);
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
            PyLogMetrics.FailoverSwitch(_losses.TargetName, _childNames[from], _childNames[to]);
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

        /// <summary>Events the group could not get delivered: counted (<c>all_failed</c>, and dropped as <c>write_failed</c>) and reported with <paramref name="outcome"/>.</summary>
        private void AllFailed(IReadOnlyList<LogEventInfo> events, DeliveryOutcome outcome)
        {
            Forget(events);
            PyLogMetrics.FailoverAllFailed(_losses.TargetName, events.Count);
            _losses.Dropped(events, DropReasons.WriteFailed, outcome.Exception);
            if (Interlocked.Exchange(ref _allFailedLogged, 1) == 0)
                InternalLogger.Warn(outcome.Exception, "{0}: every child failed; events are dropped (counted in pylog.failover.all_failed) until one works again", this);
            _outcomeListeners.Report(events, outcome);
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
            var listeners = _listeners;
            for (int i = 0; i < listeners.Length; i++)
                listeners[i]?.Reporter.RemoveDeliveryListener(listeners[i]!);
            _listeners = Array.Empty<ChildOutcomeListener?>();
        }

        private static PyLogNetworkTarget? FindNetworkTarget(Target? target)
        {
            for (int depth = 0; target != null && depth < 16; depth++)
            {
                if (target is PyLogNetworkTarget network)
                    return network;
                target = (target as WrapperTargetBase)?.WrappedTarget;
            }
            return null;
        }
    }
}
