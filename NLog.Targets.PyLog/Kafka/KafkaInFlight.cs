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
            // Room appears as delivery reports arrive (librdkafka's poll thread); while a broker is
            // away that takes as long as the outage, so a short poll costs nothing that matters.
            int waits = 0;
            while (!HasRoom(events, bytes))
                await Task.Delay(Math.Min(1 << Math.Min(waits++, 6), 50), cancellationToken).ConfigureAwait(false);
        }
    }
}
