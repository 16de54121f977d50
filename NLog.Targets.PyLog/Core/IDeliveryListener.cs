using System.Collections.Generic;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>Receives the final outcome of the events written to an <see cref="IDeliveryReporter"/> it listens to.</summary>
    internal interface IDeliveryListener
    {
        /// <summary>
        /// Called exactly once for every event written to the reporter (events of one call share
        /// one outcome). May be called on any thread and concurrently; must neither throw nor block.
        /// The list is only valid during the call.
        /// </summary>
        void OnOutcome(IReadOnlyList<LogEventInfo> events, DeliveryOutcome outcome);
    }
}
