using System;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// The final outcome of one event at a target or wrapper of this package: delivered (network:
    /// acknowledged by the server; file: handed to the OS) or dropped with a reason. Reported once
    /// per event through <see cref="IDeliveryListener"/>; every wrapper (BackpressureWrapper's
    /// <c>sent</c>, FailoverGroup's switch, DiskBufferWrapper's deletion from disk) consumes this and
    /// nothing else, so <c>pylog.events.sent</c> means "delivered" everywhere.
    /// </summary>
    /// <remarks>
    /// A drop is <see cref="IsPermanent"/> when the destination refused the event for good
    /// (<see cref="DropReasons.Rejected"/>, <see cref="DropReasons.Invalid"/>): handing it over
    /// again cannot help. Every other drop (<see cref="DropReasons.QueueFull"/>,
    /// <see cref="DropReasons.RetriesExhausted"/>, <see cref="DropReasons.Shutdown"/>, a timeout,
    /// <see cref="DropReasons.WriteFailed"/>) is transient: a wrapper may hand the event over again.
    /// </remarks>
    internal readonly struct DeliveryOutcome
    {
        private DeliveryOutcome(string? reason, bool permanent, Exception? exception)
        {
            DropReason = reason;
            IsPermanent = permanent;
            Exception = exception;
        }

        /// <summary>The events reached their destination.</summary>
        public static DeliveryOutcome Delivered => default;

        /// <summary>The events were dropped; <paramref name="reason"/> is one of <see cref="DropReasons"/>.</summary>
        public static DeliveryOutcome Dropped(string reason, bool permanent, Exception? exception = null)
            => new DeliveryOutcome(reason ?? throw new ArgumentNullException(nameof(reason)), permanent, exception);

        /// <summary>A transient drop (see remarks of the type).</summary>
        public static DeliveryOutcome DroppedTransient(string reason, Exception? exception = null) => Dropped(reason, false, exception);

        /// <summary>A permanent drop: the destination refused the events for good.</summary>
        public static DeliveryOutcome DroppedPermanent(string reason, Exception? exception = null) => Dropped(reason, true, exception);

        /// <summary>True when the events were delivered.</summary>
        public bool IsDelivered => DropReason is null;

        /// <summary>Why the events were dropped (one of <see cref="DropReasons"/>); null when delivered.</summary>
        public string? DropReason { get; }

        /// <summary>True when retrying cannot help (the destination refused the events).</summary>
        public bool IsPermanent { get; }

        /// <summary>The failure behind a drop, when there was one.</summary>
        public Exception? Exception { get; }

        /// <inheritdoc/>
        public override string ToString() => IsDelivered ? "delivered" : (IsPermanent ? "dropped (permanent): " : "dropped (transient): ") + DropReason;
    }
}
