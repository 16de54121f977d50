using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using NLog.Common;

namespace NLog.Targets.PyLog.Backpressure
{
    /// <summary>
    /// A bounded multi-producer / single-consumer ring of <see cref="AsyncLogEventInfo"/> with an
    /// exact capacity. Producers claim a slot with one compare-and-swap (no lock, no allocation);
    /// the one consumer takes whole batches. Producers that must wait for room park on a monitor
    /// that the consumer pulses once per batch it removes, never once per event.
    /// </summary>
    /// <remarks>
    /// The slot protocol is D. Vyukov's bounded queue: a slot whose <see cref="Slot.Sequence"/>
    /// equals the claiming position is free; <c>position + 1</c> means published; the consumer
    /// hands it back by writing <c>position + capacity</c>. Positions are 64-bit and never wrap.
    /// </remarks>
    internal sealed class BoundedEventQueue
    {
        private readonly Slot[] _slots;
        private readonly int _capacity;
        private readonly int _wakeProducersAtFree;
        private readonly object _roomLock = new object();
        private PaddedLong _enqueuePosition;
        private PaddedLong _dequeuePosition;
        private int _waitingProducers;

        public BoundedEventQueue(int capacity)
        {
            _capacity = capacity;
            _wakeProducersAtFree = System.Math.Max(1, capacity / 4);
            _slots = new Slot[capacity];
            for (int i = 0; i < capacity; i++)
                _slots[i].Sequence = i;
        }

        public int Capacity => _capacity;

        /// <summary>Events published and not yet taken (approximate while producers race).</summary>
        public long Count
        {
            get
            {
                long count = Volatile.Read(ref _enqueuePosition.Value) - Volatile.Read(ref _dequeuePosition.Value);
                return count < 0 ? 0 : count > _capacity ? _capacity : count;
            }
        }

        /// <summary>How many events have ever been claimed; a flush waits until the consumer passes this mark.</summary>
        public long EnqueuedMark => Volatile.Read(ref _enqueuePosition.Value);

        /// <summary>How many events the consumer has taken so far.</summary>
        public long DequeuedMark => Volatile.Read(ref _dequeuePosition.Value);

        /// <summary>True when the next event in order is published and can be taken now.</summary>
        public bool HasReadyEvent
        {
            get
            {
                long position = Volatile.Read(ref _dequeuePosition.Value);
                return Volatile.Read(ref _slots[IndexOf(position)].Sequence) == position + 1;
            }
        }

        /// <summary>Adds the event unless the queue is full. Never blocks.</summary>
        public bool TryEnqueue(AsyncLogEventInfo logEvent)
        {
            var slots = _slots;
            long position = Volatile.Read(ref _enqueuePosition.Value);
            while (true)
            {
                ref Slot slot = ref slots[IndexOf(position)];
                long diff = Volatile.Read(ref slot.Sequence) - position;
                if (diff == 0)
                {
                    long seen = Interlocked.CompareExchange(ref _enqueuePosition.Value, position + 1, position);
                    if (seen == position)
                    {
                        slot.Item = logEvent;
                        // A full fence, not a release: the caller next reads whether the consumer
                        // sleeps, and that read must not move before this publish.
                        Interlocked.Exchange(ref slot.Sequence, position + 1);
                        return true;
                    }
                    position = seen;
                }
                else if (diff < 0)
                {
                    return false;
                }
                else
                {
                    position = Volatile.Read(ref _enqueuePosition.Value);
                }
            }
        }

        /// <summary>
        /// Adds the event, waiting up to <paramref name="millisecondsTimeout"/> for room.
        /// Returns false when the queue stayed full (or <paramref name="giveUp"/> turned true).
        /// </summary>
        public bool TryEnqueue(AsyncLogEventInfo logEvent, int millisecondsTimeout, ref int giveUp)
        {
            if (TryEnqueue(logEvent))
                return true;
            if (millisecondsTimeout <= 0)
                return false;

            long deadline = System.Environment.TickCount64 + millisecondsTimeout;
            Interlocked.Increment(ref _waitingProducers);
            try
            {
                lock (_roomLock)
                {
                    while (true)
                    {
                        if (TryEnqueue(logEvent))
                            return true;
                        long remaining = deadline - System.Environment.TickCount64;
                        if (remaining <= 0 || Volatile.Read(ref giveUp) != 0)
                            return false;
                        // Bounded slices: a missed pulse costs at most one slice, never the whole timeout.
                        Monitor.Wait(_roomLock, (int)System.Math.Min(remaining, 100));
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waitingProducers);
            }
        }

        /// <summary>Consumer only: moves up to <paramref name="max"/> published events into <paramref name="batch"/>.</summary>
        public int DequeueBatch(List<AsyncLogEventInfo> batch, int max)
        {
            var slots = _slots;
            long position = _dequeuePosition.Value;
            int taken = 0;
            while (taken < max)
            {
                ref Slot slot = ref slots[IndexOf(position)];
                if (Volatile.Read(ref slot.Sequence) != position + 1)
                    break;
                batch.Add(slot.Item);
                slot.Item = default;
                Volatile.Write(ref slot.Sequence, position + _capacity);
                position++;
                taken++;
            }

            if (taken > 0)
            {
                Volatile.Write(ref _dequeuePosition.Value, position);
                long free = _capacity - (Volatile.Read(ref _enqueuePosition.Value) - position);
                if (free >= _wakeProducersAtFree)
                    WakeWaitingProducers();
            }
            return taken;
        }

        /// <summary>Releases every producer parked in <see cref="TryEnqueue(AsyncLogEventInfo, int, ref int)"/> so it re-checks.</summary>
        public void WakeWaitingProducers()
        {
            // Pairs with the Interlocked.Increment of a producer about to park: either it sees the
            // room freed above, or this read sees it waiting.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _waitingProducers) != 0)
            {
                lock (_roomLock)
                    Monitor.PulseAll(_roomLock);
            }
        }

        private int IndexOf(long position) => (int)((ulong)position % (uint)_capacity);

        private struct Slot
        {
            public long Sequence;
            public AsyncLogEventInfo Item;
        }

        /// <summary>Keeps the producers' and the consumer's cursors on separate cache lines.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 128)]
        private struct PaddedLong
        {
            [FieldOffset(64)]
            public long Value;
        }
    }
}
