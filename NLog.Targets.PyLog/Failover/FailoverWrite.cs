using System;
using System.Threading;
using NLog.Common;

namespace NLog.Targets.PyLog.Failover
{
    /// <summary>
    /// One attempt to write one event to one child of a <see cref="FailoverTarget"/>. Its
    /// continuation reports to the group, which either completes the caller's continuation or
    /// hands the event to the next child in a new attempt. For a child that reports delivery
    /// outcomes itself, the continuation only says the child accepted the event (or refused it
    /// with an exception); the outcome reaches the group through its listener.
    /// </summary>
    /// <remarks>
    /// One instance (and its delegate) per event and attempt: the price of knowing, per event,
    /// which child failed it. Only the first completion of an attempt counts, so a child that
    /// reports twice cannot make the event reach a second child twice.
    /// </remarks>
    internal sealed class FailoverWrite
    {
        private readonly FailoverTarget _group;
        private readonly LogEventInfo _logEvent;
        private readonly AsyncContinuation _continuation;
        private readonly int _child;
        private readonly int _attempt;
        private readonly bool _probe;
        private readonly bool _childReports;
        private int _completed;

        public FailoverWrite(FailoverTarget group, LogEventInfo logEvent, AsyncContinuation continuation, int child, int attempt, bool probe, bool childReports)
        {
            _childReports = childReports;
            _group = group;
            _logEvent = logEvent;
            _continuation = continuation;
            _child = child;
            _attempt = attempt;
            _probe = probe;
        }

        public AsyncLogEventInfo ToAsyncLogEvent() => new AsyncLogEventInfo(_logEvent, OnCompleted);

        private void OnCompleted(Exception? exception)
        {
            if (Interlocked.Exchange(ref _completed, 1) != 0)
                return;

            if (exception is null)
            {
                // A child that reports outcomes has only accepted the event: its outcome comes later.
                if (!_childReports)
                    _group.OnChildSucceeded(_child, _probe, _logEvent);
                _continuation(null);
            }
            else
            {
                _group.OnChildFailed(_child, _attempt, _logEvent, _continuation, exception);
            }
        }
    }
}
