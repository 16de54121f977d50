using System;
using System.Collections.Generic;
using NLog.Common;

namespace NLog.Targets.PyLog.Failover
{
    /// <summary>
    /// Flushes children one after the other in priority order, so events a child fails while it
    /// is flushed are handed to a later child before that child is flushed in turn.
    /// </summary>
    internal sealed class SequentialFlush
    {
        private readonly IReadOnlyList<Target> _targets;
        private readonly AsyncContinuation _done;
        private Exception? _firstError;
        private int _next;

        private SequentialFlush(IReadOnlyList<Target> targets, AsyncContinuation done)
        {
            _targets = targets;
            _done = done;
        }

        public static void Run(IReadOnlyList<Target> targets, AsyncContinuation done)
        {
            new SequentialFlush(targets, done).Next();
        }

        private void OnFlushed(Exception? exception)
        {
            _firstError ??= exception;
            Next();
        }

        private void Next()
        {
            if (_next >= _targets.Count)
            {
                _done(_firstError);
                return;
            }
            _targets[_next++].Flush(OnFlushed);
        }
    }
}
