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

        /// <summary>Releases the client within <paramref name="timeout"/>; never throws.</summary>
        public virtual void Close(TimeSpan timeout)
        {
        }

        /// <summary>Builds the pipeline that feeds this transport.</summary>
        internal abstract IBatchPipeline CreatePipeline(PyLogNetworkTarget owner);
    }
}
