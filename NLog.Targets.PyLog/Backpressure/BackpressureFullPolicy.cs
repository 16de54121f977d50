namespace NLog.Targets.PyLog
{
    /// <summary>What <see cref="BackpressureTargetWrapper"/> does with a new event when its queue is full.</summary>
    /// <remarks>Whatever the policy, <c>Error</c> and <c>Fatal</c> events are never discarded.</remarks>
    public enum BackpressureFullPolicy
    {
        /// <summary>
        /// Drop the incoming event (counted with reason <c>queue_full</c>); <c>Error</c> and
        /// <c>Fatal</c> wait for room instead.
        /// </summary>
        Discard,

        /// <summary>
        /// Wait for room, up to <see cref="BackpressureTargetWrapper.BlockTimeoutMilliseconds"/>; then
        /// write the event synchronously to the wrapped target on the caller's thread. Nothing is lost.
        /// </summary>
        Block,

        /// <summary>
        /// Drop events at or below <see cref="BackpressureTargetWrapper.DiscardThreshold"/>; events
        /// above it behave as under <see cref="Block"/>. The default.
        /// </summary>
        DiscardLowLevel,
    }
}
