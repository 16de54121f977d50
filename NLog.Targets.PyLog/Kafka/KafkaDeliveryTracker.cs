using System.Threading;
using System.Threading.Tasks;
using Confluent.Kafka;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>
    /// One send attempt of a batch: counts the delivery reports still due and settles each
    /// message of the batch as its report arrives (on Confluent.Kafka's poll thread).
    /// </summary>
    internal sealed class KafkaDeliveryTracker
    {
        private readonly NetworkBatch<KafkaMessage> _batch;
        private readonly TaskCompletionSource<bool> _done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        // Starts at 1: the producing loop holds a share until it has produced everything.
        private int _outstanding = 1;
        private int _retriableCount;
        private Error? _retriableError;
        private readonly object _settleLock = new object();
        private bool _abandoned;

        public KafkaDeliveryTracker(NetworkBatch<KafkaMessage> batch, KafkaInFlight inFlight)
        {
            _batch = batch;
            InFlight = inFlight;
        }

        /// <summary>The transport's count of messages awaiting their report.</summary>
        public KafkaInFlight InFlight { get; }

        /// <summary>Completes when every produced message of the attempt has its report.</summary>
        public Task Completion => _done.Task;

        public int RetriableCount => Volatile.Read(ref _retriableCount);

        public Error? RetriableError => Volatile.Read(ref _retriableError);

        /// <summary>Called before a message is handed to the producer.</summary>
        public void Expect() => Interlocked.Increment(ref _outstanding);

        /// <summary>Takes back one <see cref="Expect"/> (the message was not produced), or the loop's own share.</summary>
        public void Release()
        {
            if (Interlocked.Decrement(ref _outstanding) == 0)
                _done.TrySetResult(true);
        }

        /// <summary>
        /// The target stopped waiting (closing): late reports must not settle anything any more,
        /// since the batch object is reset and reused once the base has accounted for it.
        /// </summary>
        public void Abandon()
        {
            lock (_settleLock)
                _abandoned = true;
        }

        public void OnDeliveryReport(int index, Error error)
        {
            // Uncontended in steady state (reports come from Confluent.Kafka's poll thread).
            lock (_settleLock)
            {
                if (!_abandoned)
                    Settle(index, error);
            }
            Release();
        }

        private void Settle(int index, Error error)
        {
            {
                if (!error.IsError)
                {
                    _batch.MarkDelivered(index);
                }
                else if (KafkaErrors.IsRetriable(error))
                {
                    // Left unsettled: the base retries it with backoff.
                    Interlocked.Increment(ref _retriableCount);
                    Interlocked.CompareExchange(ref _retriableError, error, null);
                }
                else
                {
                    _batch.Reject(index, DropReasons.Rejected, new KafkaDeliveryException(error, 1, "Kafka rejected the message"));
                }
            }
        }
    }
}
