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
    /// <para>The ring is held in segments of <see cref="SegmentSize"/> slots, each allocated by the
    /// first producer that claims a slot in it, so a huge capacity (up to <c>int.MaxValue</c>) costs
    /// only the segments the queue has ever filled (plus one reference per segment), never the
    /// whole ring up front. A segment is first reached on the ring's first lap (positions are claimed
    /// in order), so initializing its sequences to their first-lap positions is correct; racing
    /// producers publish it with one compare-and-swap and the loser drops its copy. The consumer
    /// never allocates: a missing segment holds nothing published yet.</para>
    /// </remarks>
    internal sealed class BoundedEventQueue
    {
        /// <summary>Slots per segment (24 bytes each: about 384 KiB per segment).</summary>
        internal const int SegmentSize = 1 << SegmentShift;

        private const int SegmentShift = 14;
        private const int SegmentMask = SegmentSize - 1;

        private readonly Slot[]?[] _segments;
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
            _segments = new Slot[]?[(int)(((long)capacity + SegmentMask) >> SegmentShift)];
            AllocateSegment(0);
        }

        public int Capacity => _capacity;

        /// <summary>How many slots are allocated now (grows with the deepest fill the queue has seen).</summary>
        internal long AllocatedSlots
        {
            get
            {
                long slots = 0;
                foreach (Slot[]? segment in _segments)
                    slots += segment?.Length ?? 0;
                return slots;
            }
        }

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
                Slot[]? segment = PeekSegment(position, out int offset);
                return segment != null && Volatile.Read(ref segment[offset].Sequence) == position + 1;
            }
        }

        /// <summary>Adds the event unless the queue is full. Never blocks.</summary>
        public bool TryEnqueue(AsyncLogEventInfo logEvent)
        {
            long position = Volatile.Read(ref _enqueuePosition.Value);
            while (true)
            {
                Slot[] segment = Segment(position, out int offset);
                ref Slot slot = ref segment[offset];
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
            long position = _dequeuePosition.Value;
            int taken = 0;
            while (taken < max)
            {
                Slot[]? segment = PeekSegment(position, out int offset);
                if (segment is null)
                    break;
                ref Slot slot = ref segment[offset];
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

        /// <summary>The segment holding <paramref name="position"/>'s slot, allocated if this is its first use (producers only).</summary>
        private Slot[] Segment(long position, out int offset)
        {
            int index = IndexOf(position);
            offset = index & SegmentMask;
            return Volatile.Read(ref _segments[index >> SegmentShift]) ?? AllocateSegment(index >> SegmentShift);
        }

        /// <summary>The segment holding <paramref name="position"/>'s slot, or null when none was allocated yet (consumer).</summary>
        private Slot[]? PeekSegment(long position, out int offset)
        {
            int index = IndexOf(position);
            offset = index & SegmentMask;
            return Volatile.Read(ref _segments[index >> SegmentShift]);
        }

        private Slot[] AllocateSegment(int number)
        {
            long first = (long)number << SegmentShift;
            var segment = new Slot[(int)System.Math.Min(SegmentSize, _capacity - first)];
            for (int i = 0; i < segment.Length; i++)
                segment[i].Sequence = first + i;
            // The CAS is a full fence: whoever reads the segment sees its initialized sequences.
            return Interlocked.CompareExchange(ref _segments[number], segment, null) ?? segment;
        }

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
