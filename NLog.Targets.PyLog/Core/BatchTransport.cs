using System.Threading;
using System.Threading.Tasks;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>A <see cref="NetworkTransport"/> that renders each event into a <typeparamref name="TItem"/> and sends them in batches.</summary>
    /// <typeparam name="TItem">The transport's rendered form of one event.</typeparam>
    internal abstract class BatchTransport<TItem> : NetworkTransport
    {
        /// <summary>
        /// Renders one event. Called on the writer, never concurrently with itself; it may run
        /// while batches are being sent (<see cref="SendAsync"/> must not share its buffers).
        /// Throwing drops that event (reason <c>invalid</c>, permanent).
        /// </summary>
        /// <param name="logEvent">The event.</param>
        /// <param name="sizeBytes">The item's payload size, counted toward <c>MaxBatchBytes</c>.</param>
        /// <param name="key">The item's routing key (one request per distinct key), or null.</param>
        public abstract TItem Render(LogEventInfo logEvent, out int sizeBytes, out string? key);

        /// <summary>
        /// Sends the unsettled items of <paramref name="batch"/>; throws on failure (the exception
        /// goes through <see cref="NetworkTransport.Classify"/>). A retry passes the same batch
        /// again. Up to <c>MaxBatchesInFlight</c> calls run at once, on different batches.
        /// </summary>
        public abstract Task SendAsync(NetworkBatch<TItem> batch, CancellationToken cancellationToken);

        internal sealed override IBatchPipeline CreatePipeline(PyLogNetworkTarget owner) => new BatchPipeline<TItem>(owner, this);
    }
}
