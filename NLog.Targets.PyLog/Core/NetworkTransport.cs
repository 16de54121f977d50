using System;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// What a network target plugs into <see cref="PyLogNetworkTarget"/>: the protocol and the
    /// client of one service (Kafka, Redis, SLS), behind the base's batching, retry, accounting
    /// and shutdown. Created by <see cref="PyLogNetworkTarget.CreateTransport"/> once the
    /// target's options are valid; closed once, when the target closes or fails to initialize.
    /// </summary>
    /// <remarks>The item type stays internal: see <see cref="BatchTransport{TItem}"/>.</remarks>
    internal abstract class NetworkTransport
    {
        /// <summary>Most events one request may carry; batches are split to respect it.</summary>
        public virtual int MaxRequestEvents => int.MaxValue;

        /// <summary>Most payload bytes one request may carry; batches are split to respect it, and a larger single event is dropped as <c>invalid</c>.</summary>
        public virtual long MaxRequestBytes => long.MaxValue;

        /// <summary>
        /// Whether a failed send is worth retrying. Decides only: it neither logs nor changes state
        /// (a transport that wants to say more about a fatal error does so in <see cref="OnFatal"/>).
        /// </summary>
        public virtual FailureKind Classify(Exception exception) => FailureKind.Retriable;

        /// <summary>Called once per batch dropped after a <see cref="FailureKind.Fatal"/> verdict.</summary>
        public virtual void OnFatal(Exception exception)
        {
        }

        /// <summary>
        /// True while the transport knows its server cannot be reached although no send has failed
        /// yet (its client holds the messages and waits, as librdkafka does with every broker down).
        /// Read like a failed attempt: a flush with unbounded retries answers at once.
        /// </summary>
        public virtual bool IsUnreachable => false;

        /// <summary>Set by the pipeline: the transport calls it when <see cref="IsUnreachable"/> turns true.</summary>
        internal Action? BecameUnreachable { get; set; }

        /// <summary>
        /// Completes when the transport has room for a batch of <paramref name="events"/> events and
        /// <paramref name="bytes"/> bytes more on top of what is in flight. Awaited by the writer
        /// before a batch takes a send slot, so a transport that bounds its in-flight messages (not
        /// batches) holds the writer, and new events wait in NLog's queue. Default: always room.
        /// </summary>
        public virtual System.Threading.Tasks.ValueTask WaitForRoomAsync(int events, long bytes, System.Threading.CancellationToken cancellationToken) => default;

        /// <summary>Releases the client within <paramref name="timeout"/>; never throws.</summary>
        public virtual void Close(TimeSpan timeout)
        {
        }

        /// <summary>Builds the pipeline that feeds this transport.</summary>
        internal abstract IBatchPipeline CreatePipeline(PyLogNetworkTarget owner);
    }
}
