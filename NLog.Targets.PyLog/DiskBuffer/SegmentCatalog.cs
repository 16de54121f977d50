using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// The segment files of one buffer directory and the positions the writer and the replay pump
    /// share. A position packs a segment id and a byte offset into one <see cref="long"/>
    /// (<c>id &lt;&lt; 40 | offset</c>), so positions compare in log order.
    /// </summary>
    /// <remarks>
    /// Locking: <see cref="Sync"/> guards the list, the flags of its entries and the pair
    /// (<see cref="HandedThrough"/>, eviction) so that an event is never both evicted (counted as
    /// dropped) and handed over. The published length of the active segment is a volatile long
    /// written after the bytes reached the OS, so the pump never reads a record still being written.
    /// </remarks>
    internal sealed class SegmentCatalog
    {
        private const int OffsetBits = 40;
        private readonly List<SegmentInfo> _segments = new List<SegmentInfo>();
        private long _diskBytes;
        private long _bufferedEvents;
        private long _activeId;
        private long _activeLength;

        public SegmentCatalog(string directory)
        {
            Directory = directory;
        }

        public string Directory { get; }

        public object Sync { get; } = new object();

        /// <summary>Bytes of the segment files on disk.</summary>
        public long DiskBytes => Volatile.Read(ref _diskBytes);

        /// <summary>Events on disk that still wait for an outcome.</summary>
        public long BufferedEvents => Math.Max(0, Volatile.Read(ref _bufferedEvents));

        /// <summary>The position up to which the pump has handed events over (guarded by <see cref="Sync"/>).</summary>
        public long HandedThrough { get; set; }

        public static long Position(long segmentId, long offset) => (segmentId << OffsetBits) | offset;

        public static long SegmentOf(long position) => position >> OffsetBits;

        public static long OffsetOf(long position) => position & ((1L << OffsetBits) - 1);

        public string PathOf(long id) => Path.Combine(Directory, RecordFormat.SegmentFileName(id));

        public void AddDiskBytes(long bytes) => Interlocked.Add(ref _diskBytes, bytes);

        public void AddBufferedEvents(long count) => Interlocked.Add(ref _bufferedEvents, count);

        /// <summary>The segment being written and its length as far as whole records reached the OS.</summary>
        public void PublishActive(long id, long length)
        {
            Volatile.Write(ref _activeId, id);
            Volatile.Write(ref _activeLength, length);
        }

        public long ActiveId => Volatile.Read(ref _activeId);

        /// <summary>The position just past the last record that reached the OS.</summary>
        public long WrittenPosition
        {
            get
            {
                long id = Volatile.Read(ref _activeId);
                long length = Volatile.Read(ref _activeLength);
                // A racing roll can pair the new id with the old length; the id is what orders.
                return Position(id, Math.Min(length, (1L << OffsetBits) - 1));
            }
        }

        /// <summary>How far the pump may read in segment <paramref name="id"/>; long.MaxValue when it is sealed (read to its end).</summary>
        public long ReadableLength(long id)
        {
            long activeId = Volatile.Read(ref _activeId);
            if (id != activeId)
                return long.MaxValue;
            long length = Volatile.Read(ref _activeLength);
            // The writer may have rolled between the two reads: then the segment is sealed.
            return Volatile.Read(ref _activeId) == id ? length : long.MaxValue;
        }

        public void Add(SegmentInfo segment)
        {
            lock (Sync)
            {
                _segments.Add(segment);
                _segments.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            }
            AddDiskBytes(segment.Bytes);
        }

        /// <summary>The first live segment with an id at least <paramref name="id"/>, or null.</summary>
        public SegmentInfo? FirstFrom(long id)
        {
            lock (Sync)
            {
                foreach (var segment in _segments)
                {
                    if (segment.Id >= id && !segment.Evicted)
                        return segment;
                }
                return null;
            }
        }

        public bool IsEvicted(long id)
        {
            lock (Sync)
            {
                foreach (var segment in _segments)
                {
                    if (segment.Id == id)
                        return segment.Evicted;
                }
                return true;
            }
        }

        /// <summary>The oldest sealed segment (the writer's candidate for eviction), or null.</summary>
        public SegmentInfo? OldestSealed()
        {
            lock (Sync)
            {
                foreach (var segment in _segments)
                {
                    if (segment.Sealed && !segment.Evicted)
                        return segment;
                }
                return null;
            }
        }

        /// <summary>Takes the sealed segments whose every event has an outcome (they lie before <paramref name="checkpoint"/>) off the list.</summary>
        public List<SegmentInfo>? TakeFinished(long checkpoint)
        {
            long checkpointSegment = SegmentOf(checkpoint);
            long checkpointOffset = OffsetOf(checkpoint);
            List<SegmentInfo>? finished = null;
            lock (Sync)
            {
                for (int i = _segments.Count - 1; i >= 0; i--)
                {
                    var segment = _segments[i];
                    bool before = segment.Id < checkpointSegment || (segment.Id == checkpointSegment && checkpointOffset >= segment.Bytes);
                    if (before && (segment.Sealed || segment.Evicted))
                    {
                        (finished ??= new List<SegmentInfo>()).Add(segment);
                        _segments.RemoveAt(i);
                    }
                }
            }
            return finished;
        }

        /// <summary>Forgets a segment whose file is gone (evicted or deleted) and its bytes.</summary>
        public void Forget(SegmentInfo segment)
        {
            lock (Sync)
                _segments.Remove(segment);
        }

        /// <summary>
        /// The lowest id a new segment may not take: set at start-up to the segment the checkpoint points
        /// into. A clean shutdown deletes every segment and keeps only the checkpoint; numbering the next
        /// run's segments from 1 again would put them behind the checkpoint, where the replay skips them.
        /// </summary>
        public long IdFloor { get; set; }

        public long MaxId()
        {
            lock (Sync)
                return _segments.Count == 0 ? 0 : _segments[_segments.Count - 1].Id;
        }

        public SegmentInfo[] Snapshot()
        {
            lock (Sync)
                return _segments.ToArray();
        }
    }

    /// <summary>One segment file.</summary>
    internal sealed class SegmentInfo
    {
        public SegmentInfo(long id, string path, long bytes, bool sealedSegment)
        {
            Id = id;
            Path = path;
            Bytes = bytes;
            Sealed = sealedSegment;
        }

        public long Id { get; }

        public string Path { get; }

        /// <summary>Bytes in the file (grows while it is the active segment).</summary>
        public long Bytes;

        /// <summary>No more records will be appended.</summary>
        public bool Sealed;

        /// <summary>Deleted by <c>FullPolicy=DropOldest</c>; what it still held was counted as dropped.</summary>
        public bool Evicted;
    }
}
