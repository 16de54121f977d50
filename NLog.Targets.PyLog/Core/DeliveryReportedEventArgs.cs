using System;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Raised once per batch when a network target has finished with it: delivered, or given up on.
    /// The seeds' <c>on_delivery</c> callback.
    /// </summary>
    public sealed class DeliveryReportedEventArgs : EventArgs
    {
        /// <summary>Creates the arguments.</summary>
        public DeliveryReportedEventArgs(string target, int delivered, int failed, int attempts, TimeSpan elapsed, Exception? exception)
        {
            Target = target;
            Delivered = delivered;
            Failed = failed;
            Attempts = attempts;
            Elapsed = elapsed;
            Exception = exception;
        }

        /// <summary>The name of the reporting target.</summary>
        public string Target { get; }

        /// <summary>Events of the batch that reached the destination.</summary>
        public int Delivered { get; }

        /// <summary>Events of the batch that did not (counted in <c>pylog.events.dropped</c> unless a failover group took them over).</summary>
        public int Failed { get; }

        /// <summary>Send attempts made for the batch (1 when the first one succeeded).</summary>
        public int Attempts { get; }

        /// <summary>Time from the first attempt to the outcome, retries and backoff included.</summary>
        public TimeSpan Elapsed { get; }

        /// <summary>The last failure, or null when every event was delivered.</summary>
        public Exception? Exception { get; }
    }

    /// <summary>How a transport classifies a failed send.</summary>
    public enum FailureKind
    {
        /// <summary>Transient (network, timeout, quota, 5xx): the batch is retried with backoff.</summary>
        Retriable,

        /// <summary>Permanent (rejected request, authentication): the batch is dropped and counted as <c>rejected</c>.</summary>
        Fatal,
    }
}
