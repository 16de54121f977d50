using System.Collections.Generic;
using System.Threading;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>What the logging thread keeps of an event besides its record: the event itself and what its hand-over restores.</summary>
    internal readonly struct LiveEvent
    {
        public LiveEvent(LogEventInfo? logEvent, KeyValuePair<string, object?>[]? scope, LoggingThread? thread)
        {
            LogEvent = logEvent;
            Scope = scope;
            Thread = thread;
        }

        /// <summary>The original event; null when it must be read back from disk (it holds objects that may change after the call).</summary>
        public LogEventInfo? LogEvent { get; }

        public KeyValuePair<string, object?>[]? Scope { get; }

        public LoggingThread? Thread { get; }
    }

    /// <summary>A record that reached the OS, with its place in the files and its original event.</summary>
    internal readonly struct LiveRecord
    {
        public LiveRecord(long start, long end, long previousEnd, in LiveEvent live)
        {
            Start = start;
            End = end;
            PreviousEnd = previousEnd;
            Live = live;
        }

        public long Start { get; }

        public long End { get; }

        /// <summary>The end of the record the writer wrote before this one (in this or the previous segment); -1 when none this run.</summary>
        public long PreviousEnd { get; }

        public LiveEvent Live { get; }
    }

    /// <summary>
    /// The records written most recently, in file order, with their original events, so that the
    /// replay pump hands the in-memory event on instead of reading the file back and decoding it.
    /// The disk stays the truth: the writer adds a record only after it reached the OS, and the pump
    /// takes one only when it starts exactly where the pump's read position stands (a record it
    /// already read from disk is discarded; a gap — the window was full, a segment was skipped —
    /// sends the pump back to the file until it has caught up). Bounded by <see cref="Capacity"/>
    /// records: when the wrapped target falls behind, what does not fit is read from disk later.
    /// The writer keeps at most about <see cref="Capacity"/> originals in its pending buffer and here
    /// together: an original held past a young garbage collection is promoted, and at a million
    /// events a second tens of thousands of held events made collections cost more than decoding
    /// them again (1 thread: 1.0–1.1 M calls/s holding up to 65,536, 1.5–2.0 M holding up to 1,024).
    /// </summary>
    internal sealed class LiveWindow
    {
        public const int DefaultCapacity = 1024;

        private readonly object _sync = new object();
        private readonly LiveRecord[] _ring;
        private int _head, _count;

        public LiveWindow(int capacity = DefaultCapacity)
        {
            _ring = new LiveRecord[capacity];
        }

        public int Capacity => _ring.Length;

        /// <summary>Records held now (read without the lock: the writer's bound on held originals is approximate by design).</summary>
        public int Count => Volatile.Read(ref _count);

        /// <summary>Adds records in file order; returns how many fit (the rest are read from disk).</summary>
        public int Add(LiveRecord[] records, int count)
        {
            lock (_sync)
            {
                int room = _ring.Length - _count;
                int added = count < room ? count : room;
                int tail = (_head + _count) % _ring.Length;
                for (int i = 0; i < added; i++)
                {
                    _ring[tail] = records[i];
                    tail = tail + 1 == _ring.Length ? 0 : tail + 1;
                }
                _count += added;
                return added;
            }
        }

        /// <summary>
        /// Moves up to <paramref name="max"/> records that continue <paramref name="readPosition"/>
        /// without a gap into <paramref name="taken"/>, advancing <paramref name="readPosition"/> past
        /// each. Stops at a record without its event (to be read from disk) or at a gap.
        /// </summary>
        public int Take(ref long readPosition, int max, List<LiveRecord> taken)
        {
            int moved = 0;
            lock (_sync)
            {
                while (_count > 0 && moved < max)
                {
                    ref readonly var head = ref _ring[_head];
                    if (head.End <= readPosition)
                    {
                        // Already read from disk.
                        Drop();
                        continue;
                    }
                    if (!Continues(head, readPosition) || head.Live.LogEvent is null)
                        break;
                    taken.Add(head);
                    readPosition = head.End;
                    Drop();
                    moved++;
                }
            }
            return moved;
        }

        public void Clear()
        {
            lock (_sync)
            {
                System.Array.Clear(_ring);
                _head = 0;
                _count = 0;
            }
        }

        /// <summary>
        /// True when nothing lies on disk between <paramref name="readPosition"/> and the record: it
        /// starts there, or right after the record written before it, or it is the first record of the
        /// segment the pump just moved to.
        /// </summary>
        private static bool Continues(in LiveRecord record, long readPosition)
        {
            if (record.Start == readPosition || record.PreviousEnd == readPosition)
                return true;
            return SegmentCatalog.OffsetOf(readPosition) == 0
                && record.Start == SegmentCatalog.Position(SegmentCatalog.SegmentOf(readPosition), RecordFormat.SegmentHeaderBytes);
        }

        private void Drop()
        {
            _ring[_head] = default;
            _head = _head + 1 == _ring.Length ? 0 : _head + 1;
            _count--;
        }
    }
}
