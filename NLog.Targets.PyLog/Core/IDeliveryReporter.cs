namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Implemented by every target and wrapper of this package: it reports each event written to it
    /// exactly once, with its final <see cref="DeliveryOutcome"/>, to its listeners (the wrapper in
    /// front of it). NLog's own continuation of an event says only that the target accepted it;
    /// the outcome is the delivery.
    /// </summary>
    /// <remarks>
    /// A wrapper whose wrapped target is not an <see cref="IDeliveryReporter"/> (one of NLog's own
    /// targets) takes the NLog continuation as the outcome: no exception means delivered, an
    /// exception a transient <see cref="DropReasons.WriteFailed"/>.
    /// </remarks>
    internal interface IDeliveryReporter
    {
        /// <summary>Adds a listener; events written after this call are reported to it.</summary>
        void AddDeliveryListener(IDeliveryListener listener);

        /// <summary>Removes a listener added before.</summary>
        void RemoveDeliveryListener(IDeliveryListener listener);
    }
}
