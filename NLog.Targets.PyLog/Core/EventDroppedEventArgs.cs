using System;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>Raised when events are lost; the same loss is counted in <c>pylog.events.dropped</c>.</summary>
    public sealed class EventDroppedEventArgs : EventArgs
    {
        /// <summary>Creates the arguments.</summary>
        public EventDroppedEventArgs(string target, LogLevel level, string reason, int count, Exception? exception)
        {
            Target = target;
            Level = level;
            Reason = reason;
            Count = count;
            Exception = exception;
        }

        /// <summary>The name of the target that dropped the events.</summary>
        public string Target { get; }

        /// <summary>The level of the dropped events.</summary>
        public LogLevel Level { get; }

        /// <summary>Why they were dropped: one of <see cref="DropReasons"/>.</summary>
        public string Reason { get; }

        /// <summary>How many events of <see cref="Level"/> were dropped.</summary>
        public int Count { get; }

        /// <summary>The failure behind the loss, when there was one.</summary>
        public Exception? Exception { get; }
    }
}
