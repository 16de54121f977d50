using System;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// Raised by <see cref="FailoverTarget.Switched"/> when the group starts writing to another
    /// child: after a failure, or back to the primary once it has recovered. The seeds'
    /// <c>on_switch</c> callback.
    /// </summary>
    public sealed class FailoverSwitchedEventArgs : EventArgs
    {
        /// <summary>Creates the arguments.</summary>
        public FailoverSwitchedEventArgs(Target from, Target to, Exception? exception, bool isRecovery)
        {
            From = from;
            To = to;
            Exception = exception;
            IsRecovery = isRecovery;
        }

        /// <summary>The child that received writes until now.</summary>
        public Target From { get; }

        /// <summary>The child that receives writes from now on.</summary>
        public Target To { get; }

        /// <summary>The failure of <see cref="From"/> that caused the switch; null on recovery.</summary>
        public Exception? Exception { get; }

        /// <summary>True when <see cref="To"/> is the primary and it answered a probe successfully.</summary>
        public bool IsRecovery { get; }
    }
}
