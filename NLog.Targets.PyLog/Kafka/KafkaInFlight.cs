using System;
using System.Threading;
using System.Threading.Tasks;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>
    /// What a Kafka target has handed to librdkafka and not yet had a delivery report for, bounded
    /// in messages and bytes, and whether librdkafka last said that every broker is down.
    /// </summary>
    /// <remarks>
    /// The bound is librdkafka's own queue (<c>queue.buffering.max.messages</c>,
    /// <c>queue.buffering.max.kbytes</c>): the writer waits here before it sends a batch that would
    /// not fit, so new events wait in NLog's queue (bounded by <c>QueueLimit</c>) instead of
    /// librdkafka refusing them. Messages produced again by a retry are not held back here; they
    /// meet librdkafka's own limit, where the producing loop waits for room.
    /// </remarks>
    internal sealed class KafkaInFlight
    {
        private readonly long _maxMessages;
        private readonly long _maxBytes;
        private long _messages;
        private long _bytes;
        private int _allBrokersDown;
        // The writer waiting for room (only the writer waits: it dispatches batches one at a time).
        private TaskCompletionSource<bool>? _waiter;
        private int _pendingEvents;
        private long _pendingBytes;

        public KafkaInFlight(long maxMessages, long maxBytes)
        {
            _maxMessages = Math.Max(1, maxMessages);
            _maxBytes = Math.Max(1, maxBytes);
        }

        public long Messages => Interlocked.Read(ref _messages);

        public long Bytes => Interlocked.Read(ref _bytes);

        /// <summary>True from librdkafka's "all brokers down" until the next successful delivery.</summary>
        public bool AllBrokersDown => Volatile.Read(ref _allBrokersDown) != 0;

        public void Produced(int bytes)
        {
            Interlocked.Increment(ref _messages);
            Interlocked.Add(ref _bytes, bytes);
        }

        public void Reported(int bytes, bool delivered)
        {
            Interlocked.Decrement(ref _messages);
            Interlocked.Add(ref _bytes, -bytes);
            if (delivered && Volatile.Read(ref _allBrokersDown) != 0)
                Volatile.Write(ref _allBrokersDown, 0);
            var waiter = Volatile.Read(ref _waiter);
            if (waiter != null && HasRoom(_pendingEvents, _pendingBytes))
                waiter.TrySetResult(true);
        }

        /// <summary>Returns true when this call turned the state to "all brokers down".</summary>
        public bool OnAllBrokersDown() => Interlocked.Exchange(ref _allBrokersDown, 1) == 0;

        /// <summary>Completes once <paramref name="events"/> more messages of <paramref name="bytes"/> fit (always, when nothing is in flight).</summary>
        public ValueTask WaitForRoomAsync(int events, long bytes, CancellationToken cancellationToken)
        {
            return HasRoom(events, bytes) ? default : WaitAsync(events, bytes, cancellationToken);
        }

        private bool HasRoom(int events, long bytes)
        {
            long messages = Messages;
            return messages == 0 || (messages + events <= _maxMessages && Bytes + bytes <= _maxBytes);
        }

        private async ValueTask WaitAsync(int events, long bytes, CancellationToken cancellationToken)
        {
            // Room appears as delivery reports arrive (librdkafka's poll thread), which complete the
            // waiter; the waiter is published before the check, so a report in between is not missed.
            while (true)
            {
                var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                _pendingEvents = events;
                _pendingBytes = bytes;
                // A full fence (not a release store): the counters read next must not be read before
                // the waiter is visible to the reporting thread, or both sides miss each other.
                Interlocked.Exchange(ref _waiter, waiter);
                if (HasRoom(events, bytes))
                    break;
                await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            Volatile.Write(ref _waiter, null);
        }
    }
}
