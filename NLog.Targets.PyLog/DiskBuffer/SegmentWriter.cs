using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using NLog.Common;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>What the writer needs from its wrapper.</summary>
    internal interface IBufferOwner
    {
        /// <summary>A record that could not be buffered (the directory is not writable): hand its event straight to the wrapped target.</summary>
        void HandStraight(ReadOnlySpan<byte> payload);

        void RecordDropped(int levelOrdinal, string reason, long count);

        /// <summary>New records reached the OS.</summary>
        void RecordsWritten();

        /// <summary>The original events whose records reached the OS (or were handed on); only tracked when someone listens.</summary>
        void ReportBuffered(List<LogEventInfo> originals);

        /// <summary>Enough is pending for one large write: wake the background writer before its interval ends.</summary>
        void WakeWriter();
    }

    /// <summary>
    /// Appends records to the active segment. Logging threads copy a sealed-less record into an
    /// in-memory buffer under a short lock (<see cref="TryAppend"/>); <see cref="FlushToOs"/> —
    /// called by the background writer every <c>FlushIntervalMilliseconds</c> or as soon as
    /// <see cref="WakeBytes"/> are pending, at once for Error/Fatal and by <c>Flush()</c> — swaps the
    /// buffer, checksums the records and writes them with one <c>write</c> per segment piece, then
    /// gives the written records with their original events to the <see cref="LiveWindow"/>.
    /// Producers wait only when <see cref="MaxPendingBytes"/> are waiting for the disk.
    /// </summary>
    /// <remarks>
    /// A write that fails (ENOSPC, a read-only or vanished directory) truncates the segment back to
    /// its last whole record, switches to fallback — events go straight to the wrapped target and
    /// are counted — and every second tries to open a fresh segment; success resumes buffering.
    /// A vanished segment file is noticed on the next flush (the writes would otherwise go to an
    /// unlinked inode).
    /// <para>
    /// Power loss: an fsync of a new segment file does not make its name durable; the directory is
    /// fsynced too, at the first <see cref="Fsync"/> after a segment was created and when a segment is
    /// closed, so the <c>FsyncIntervalMilliseconds</c> promise covers the file's existence, not only
    /// its bytes. Deleting a delivered segment is not synced: a lost deletion replays it (at least once).
    /// </para>
    /// </remarks>
    internal sealed class SegmentWriter : IDisposable
    {
        public const int MaxPendingBytes = 8 * 1024 * 1024;

        /// <summary>Pending bytes that wake the writer early: large writes, and few enough records that the live window holds them.</summary>
        public const int WakeBytes = 128 * 1024;
        private const int InitialLiveEvents = 1024;
        private const int InitialBufferBytes = 64 * 1024;
        private const long RecoverIntervalMs = 1000;
        // Grown buffers are given back after this long without a flush that needed them, and at once
        // when they are larger than KeepBufferBytes (KeepLiveEvents) and a flush used less than a quarter of them (one
        // huge event must not pin a huge buffer for the life of the process).
        private const long ShrinkAfterMs = 5000;
        private const int KeepBufferBytes = 4 * 1024 * 1024;
        private const int KeepLiveEvents = 64 * 1024;

        private readonly object _appendLock = new object();
        private readonly object _ioLock = new object();
        private readonly SegmentCatalog _catalog;
        private readonly IBufferOwner _owner;
        private readonly long _segmentBytes;
        private readonly long _maxBytes;
        private readonly bool _dropOldest;
        private readonly LiveWindow? _window;
        private readonly Action<string> _syncDirectory;
        // A segment file was created since the directory was last fsynced.
        private bool _directoryUnsynced;
        private DirectoryLock? _lock;
        private byte[] _active = new byte[InitialBufferBytes];
        private byte[] _spare = new byte[InitialBufferBytes];
        private int _activeLength;
        private int _activeCount;
        // Records of the pending buffer that hold their original event (bounded with the window's count).
        private int _activeHeld;
        private LiveEvent[] _activeLive = new LiveEvent[InitialLiveEvents];
        private LiveEvent[] _spareLive = new LiveEvent[InitialLiveEvents];
        private LiveRecord[] _written = new LiveRecord[InitialLiveEvents];
        private bool _wakeRequested;
        // The end of the last record written this run (the live window's chain), -1 before the first.
        private long _lastEnd = -1;
        private List<LogEventInfo>? _activeOriginals;
        private List<LogEventInfo>? _spareOriginals;
        private int _waitingProducers;
        // Bytes swapped out of the pending buffer and not yet on disk: MaxBytes must count them too.
        private long _writingBytes;
        private FileStream? _file;
        private SegmentInfo? _segment;
        private long _unsyncedBytes;
        private int _fallback;
        private long _nextRecoverAttempt;
        private long _lastLargeFlush;
        private bool _disposed;

        /// <summary>Creates the writer; <paramref name="directoryLock"/> is null when the directory was not usable at start-up (it is taken once the directory is).</summary>
        public SegmentWriter(SegmentCatalog catalog, IBufferOwner owner, DirectoryLock? directoryLock, long segmentBytes, long maxBytes, bool dropOldest, LiveWindow? window = null, Action<string>? syncDirectory = null)
        {
            _window = window;
            _syncDirectory = syncDirectory ?? DirectorySync.Sync;
            _catalog = catalog;
            _owner = owner;
            _lock = directoryLock;
            _segmentBytes = segmentBytes;
            _maxBytes = maxBytes;
            _dropOldest = dropOldest;
        }

        /// <summary>True while the directory is not writable and events bypass the buffer.</summary>
        public bool InFallback => Volatile.Read(ref _fallback) != 0;

        /// <summary>True once <see cref="Dispose"/> ran: appends are refused.</summary>
        public bool IsClosed => Volatile.Read(ref _disposed);

        /// <summary>Bytes of memory the two pending buffers take (for tests).</summary>
        internal long BufferCapacityForTests
        {
            get
            {
                lock (_appendLock)
                    return (long)_active.Length + _spare.Length;
            }
        }

        /// <summary>Bytes accepted but not yet written (part of what <c>MaxBytes</c> bounds).</summary>
        public long PendingBytes => Volatile.Read(ref _activeLength);

        /// <summary>Opens the first segment of this run (a new file: an old tail may be torn).</summary>
        public void Open()
        {
            lock (_ioLock)
            {
                if (!TryOpenSegment(out var error))
                    EnterFallback(error!, "opening a segment");
            }
        }

        /// <summary>
        /// Copies a record (header with magic and length filled in, checksum left to the writer) into the
        /// pending buffer, with what the live window keeps of the event. Returns false under
        /// <c>FullPolicy=DropNewest</c> when it would exceed <c>MaxBytes</c>.
        /// </summary>
        public bool TryAppend(ReadOnlySpan<byte> record, in LiveEvent live, LogEventInfo? original)
        {
            bool wake = false;
            lock (_appendLock)
            {
                if (_disposed)
                    return false;
                if (!_dropOldest)
                {
                    long unwritten = Volatile.Read(ref _writingBytes) + _activeLength + record.Length;
                    // Room for the header of every segment the unwritten bytes may still open.
                    long headers = (unwritten / (_segmentBytes - RecordFormat.SegmentHeaderBytes) + 1) * RecordFormat.SegmentHeaderBytes;
                    if (_catalog.DiskBytes + unwritten + headers > _maxBytes)
                        return false;
                }
                while (_activeLength + record.Length > _active.Length)
                {
                    if (_active.Length < MaxPendingBytes || _activeLength == 0)
                    {
                        Array.Resize(ref _active, Math.Max(_active.Length * 2, _activeLength + record.Length));
                        break;
                    }
                    // The disk is behind by MaxPendingBytes: wait for the writer rather than lose the event.
                    _waitingProducers++;
                    try
                    {
                        Monitor.Wait(_appendLock, 50);
                    }
                    finally
                    {
                        _waitingProducers--;
                    }
                    if (_disposed)
                        return false;
                }
                record.CopyTo(_active.AsSpan(_activeLength));
                _activeLength += record.Length;
                if (_activeCount == _activeLive.Length)
                    Array.Resize(ref _activeLive, _activeLive.Length * 2);
                // Past the window's capacity an original is not held (it is read back from disk): held
                // longer than a young collection, originals are what makes the garbage collector work.
                bool hold = live.LogEvent != null && _window != null && _activeHeld + _window.Count < _window.Capacity;
                _activeLive[_activeCount++] = hold ? live : default;
                if (hold)
                    _activeHeld++;
                if (original != null)
                    (_activeOriginals ??= new List<LogEventInfo>()).Add(original);
                if (_activeLength >= WakeBytes && !_wakeRequested)
                {
                    _wakeRequested = true;
                    wake = true;
                }
            }
            if (wake)
                _owner.WakeWriter();
            return true;
        }

        /// <summary>Writes every pending record to the OS. Safe from any thread; serialised by the I/O lock.</summary>
        public void FlushToOs()
        {
            lock (_ioLock)
            {
                byte[] chunk;
                int length, count;
                List<LogEventInfo>? originals;
                LiveEvent[] live;
                lock (_appendLock)
                {
                    chunk = _active;
                    length = _activeLength;
                    count = _activeCount;
                    originals = _activeOriginals;
                    live = _activeLive;
                    _active = _spare;
                    _activeLength = 0;
                    _activeCount = 0;
                    _activeHeld = 0;
                    _activeOriginals = _spareOriginals;
                    _activeLive = _spareLive;
                    _wakeRequested = false;
                    Volatile.Write(ref _writingBytes, length);
                    if (_waitingProducers > 0)
                        Monitor.PulseAll(_appendLock);
                }

                CheckStillThere();
                if (length > 0)
                {
                    SealRecords(chunk, length);
                    WriteChunk(chunk, length, live);
                    Volatile.Write(ref _writingBytes, 0);
                    _owner.RecordsWritten();
                }
                else if (InFallback)
                {
                    TryRecover();
                }

                if (originals != null && originals.Count > 0)
                {
                    _owner.ReportBuffered(originals);
                    originals.Clear();
                }
                _spareOriginals = originals;
                Array.Clear(live, 0, count);
                // Keep grown buffers while they are in use: one small flush between two bursts must not
                // make the next burst allocate them again (large-object-heap garbage, full collections).
                // A writer that stays quiet returns to the small ones.
                long now = Environment.TickCount64;
                if (length >= InitialBufferBytes)
                    _lastLargeFlush = now;
                bool idle = now - _lastLargeFlush >= ShrinkAfterMs;
                bool oversized = chunk.Length > KeepBufferBytes && length < chunk.Length / 4;
                _spare = (idle || oversized) && chunk.Length > InitialBufferBytes ? new byte[InitialBufferBytes] : chunk;
                bool liveOversized = live.Length > KeepLiveEvents && count < live.Length / 4;
                _spareLive = (idle || liveOversized) && live.Length > InitialLiveEvents ? new LiveEvent[InitialLiveEvents] : live;
            }
        }

        /// <summary>Asks the OS to put what it holds on the device (fsync), when something was written since the last time.</summary>
        public void Fsync()
        {
            lock (_ioLock)
            {
                if (_file is null || _unsyncedBytes == 0)
                {
                    SyncDirectoryIfNeeded();
                    return;
                }
                try
                {
                    _file.Flush(flushToDisk: true);
                    _unsyncedBytes = 0;
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    EnterFallback(ex, "fsync");
                    return;
                }
                SyncDirectoryIfNeeded();
            }
        }

        /// <summary>Makes the names of the segments created since the last time durable (one directory fsync).</summary>
        private void SyncDirectoryIfNeeded()
        {
            if (!_directoryUnsynced)
                return;
            try
            {
                _syncDirectory(_catalog.Directory);
                _directoryUnsynced = false;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // Kept for the next interval; the directory may be gone (the writer notices that on its own).
                InternalLogger.Debug(ex, "DiskBufferWrapper: fsync of the directory '{0}' failed.", _catalog.Directory);
            }
        }

        public void Dispose()
        {
            lock (_ioLock)
            {
                lock (_appendLock)
                {
                    _disposed = true;
                    Monitor.PulseAll(_appendLock);
                }
                // What was appended before the flag went up still reaches the file.
                FlushToOs();
                CloseSegment();
                _lock?.Dispose();
                _lock = null;
            }
        }

        private static void SealRecords(byte[] chunk, int length)
        {
            int position = 0;
            while (position < length)
            {
                int payload = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(position + 8));
                int size = RecordFormat.RecordHeaderBytes + payload;
                RecordFormat.Seal(chunk.AsSpan(position, size));
                position += size;
            }
        }

        private static int RecordSize(byte[] chunk, int position)
            => RecordFormat.RecordHeaderBytes + BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(position + 8));

        private void WriteChunk(byte[] chunk, int length, LiveEvent[] live)
        {
            int position = 0;
            int index = 0;
            while (position < length)
            {
                if (InFallback && !TryRecover())
                {
                    HandStraight(chunk, position, length);
                    return;
                }

                var file = _file!;
                var segment = _segment!;
                // As many whole records as fit in this segment (at least one: a huge record gets a segment of its own).
                int end = position;
                while (end < length)
                {
                    int size = RecordSize(chunk, end);
                    if (end > position && segment.Bytes + (end - position) + size > _segmentBytes)
                        break;
                    if (end == position && segment.Bytes > RecordFormat.SegmentHeaderBytes && segment.Bytes + size > _segmentBytes)
                        break;
                    end += size;
                }
                if (end == position)
                {
                    Roll();
                    continue;
                }

                int piece = end - position;
                if (_dropOldest)
                    EvictFor(piece);

                long before = segment.Bytes;
                try
                {
                    file.Write(chunk, position, piece);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    int kept = KeepWholeRecords(file, chunk, position, end, before);
                    AccountWritten(chunk, position, kept, segment);
                    PublishLive(chunk, position, kept, segment.Id, before, live, index);
                    EnterFallback(ex, "writing a segment");
                    HandStraight(chunk, position + kept, length);
                    return;
                }
                AccountWritten(chunk, position, piece, segment);
                index = PublishLive(chunk, position, piece, segment.Id, before, live, index);
                position = end;
                if (segment.Bytes >= _segmentBytes)
                    Roll();
            }
        }

        private void AccountWritten(byte[] chunk, int start, int bytes, SegmentInfo segment)
        {
            if (bytes <= 0)
                return;
            int records = 0;
            for (int p = start; p < start + bytes; p += RecordSize(chunk, p))
                records++;
            lock (_catalog.Sync)
                segment.Bytes += bytes;
            // Disk first, then the in-flight count: a racing MaxBytes check may count them twice, never zero times.
            _catalog.AddDiskBytes(bytes);
            Interlocked.Add(ref _writingBytes, -bytes);
            _catalog.AddBufferedEvents(records);
            _unsyncedBytes += bytes;
            _catalog.PublishActive(segment.Id, segment.Bytes);
        }

        /// <summary>
        /// Gives the records of a written piece (at <paramref name="fileOffset"/> of segment
        /// <paramref name="segmentId"/>) to the live window; returns the index of the next record's event.
        /// </summary>
        private int PublishLive(byte[] chunk, int start, int bytes, long segmentId, long fileOffset, LiveEvent[] live, int index)
        {
            int records = 0;
            for (int p = start; p < start + bytes; p += RecordSize(chunk, p))
            {
                long recordStart = SegmentCatalog.Position(segmentId, fileOffset + (p - start));
                long recordEnd = recordStart + RecordSize(chunk, p);
                // Only records with their original go to the window; the others are read from disk
                // (the next record's PreviousEnd lets the window continue after such one).
                if (live[index].LogEvent != null)
                {
                    if (records == _written.Length)
                        Array.Resize(ref _written, _written.Length * 2);
                    _written[records++] = new LiveRecord(recordStart, recordEnd, _lastEnd, in live[index]);
                }
                index++;
                _lastEnd = recordEnd;
            }
            if (records > 0 && _window != null)
            {
                _window.Add(_written, records);
                Array.Clear(_written, 0, records);
            }
            return index;
        }

        /// <summary>After a failed write: how many bytes of whole records did land? Truncates a torn record away.</summary>
        private int KeepWholeRecords(FileStream file, byte[] chunk, int start, int end, long before)
        {
            long onDisk;
            try
            {
                onDisk = file.Length;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ObjectDisposedException)
            {
                return 0;
            }
            long landed = Math.Max(0, onDisk - before);
            int kept = 0;
            while (start + kept < end)
            {
                int size = RecordSize(chunk, start + kept);
                if (kept + size > landed)
                    break;
                kept += size;
            }
            try
            {
                if (onDisk != before + kept)
                    file.SetLength(before + kept);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // The reader will skip the torn tail as corrupt.
                InternalLogger.Debug(ex, "DiskBufferWrapper: could not cut the torn tail of '{0}'.", file.Name);
            }
            return kept;
        }

        private void HandStraight(byte[] chunk, int start, int end)
        {
            for (int p = start; p < end;)
            {
                int size = RecordSize(chunk, p);
                _owner.HandStraight(chunk.AsSpan(p + RecordFormat.RecordHeaderBytes, size - RecordFormat.RecordHeaderBytes));
                p += size;
            }
        }

        /// <summary>Makes room for <paramref name="bytes"/> under <c>MaxBytes</c> by deleting the oldest sealed segments.</summary>
        private void EvictFor(long bytes)
        {
            while (_catalog.DiskBytes + bytes > _maxBytes)
            {
                var oldest = _catalog.OldestSealed();
                if (oldest is null)
                    return;
                long from;
                lock (_catalog.Sync)
                {
                    oldest.Evicted = true;
                    from = _catalog.HandedThrough;
                }
                CountEvicted(oldest, from);
                try
                {
                    File.Delete(oldest.Path);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    InternalLogger.Warn(ex, "DiskBufferWrapper: could not delete the evicted segment '{0}'.", oldest.Path);
                }
                _catalog.Forget(oldest);
                _catalog.AddDiskBytes(-oldest.Bytes);
            }
        }

        /// <summary>Counts, by level, the records of an evicted segment the pump had not handed over yet.</summary>
        private void CountEvicted(SegmentInfo segment, long handedThrough)
        {
            var counts = new long[6];
            long total = 0;
            try
            {
                foreach (var record in SegmentReader.Scan(segment.Path))
                {
                    if (SegmentCatalog.Position(segment.Id, record.Offset) < handedThrough)
                        continue;
                    counts[Math.Min(5, record.LevelOrdinal)]++;
                    total++;
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Warn(ex, "DiskBufferWrapper: could not count the events of the evicted segment '{0}'.", segment.Path);
            }
            for (int level = 0; level < counts.Length; level++)
                _owner.RecordDropped(level, Core.DropReasons.BufferFull, counts[level]);
            _catalog.AddBufferedEvents(-total);
        }

        private void Roll()
        {
            CloseSegment();
            if (!TryOpenSegment(out var error))
                EnterFallback(error!, "opening a segment");
        }

        private bool TryOpenSegment(out Exception? error)
        {
            error = null;
            if (_dropOldest)
                EvictFor(RecordFormat.SegmentHeaderBytes);
            long id = Math.Max(Math.Max(_catalog.MaxId(), _catalog.ActiveId), _catalog.IdFloor) + 1;
            string path = _catalog.PathOf(id);
            FileStream? file = null;
            try
            {
                System.IO.Directory.CreateDirectory(_catalog.Directory);
                if (_lock is null)
                    _lock = DirectoryLock.Acquire(_catalog.Directory);
                else
                    _lock.Restore();
                // bufferSize 0: every Write is one write(2) into the page cache, nothing lingers in the process.
                file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, 0);
                Span<byte> header = stackalloc byte[RecordFormat.SegmentHeaderBytes];
                RecordFormat.WriteSegmentHeader(header, DateTime.UtcNow.Ticks);
                file.Write(header);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is DirectoryLockedException)
            {
                error = ex;
                if (file != null)
                {
                    file.Dispose();
                    TryDelete(path);
                }
                return false;
            }
            var segment = new SegmentInfo(id, path, RecordFormat.SegmentHeaderBytes, sealedSegment: false);
            _catalog.Add(segment);
            _file = file;
            _segment = segment;
            _unsyncedBytes += RecordFormat.SegmentHeaderBytes;
            _directoryUnsynced = true;
            _catalog.PublishActive(id, segment.Bytes);
            return true;
        }

        private void CloseSegment()
        {
            var file = _file;
            var segment = _segment;
            _file = null;
            _segment = null;
            if (segment != null)
            {
                lock (_catalog.Sync)
                    segment.Sealed = true;
            }
            if (file is null)
                return;
            try
            {
                if (_unsyncedBytes > 0)
                    file.Flush(flushToDisk: true);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Debug(ex, "DiskBufferWrapper: fsync of '{0}' failed at close.", file.Name);
            }
            _unsyncedBytes = 0;
            try
            {
                file.Dispose();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Debug(ex, "DiskBufferWrapper: closing '{0}' failed.", file.Name);
            }
            // A sealed segment is on the device only once its name is too.
            SyncDirectoryIfNeeded();
        }

        /// <summary>Writes to a deleted file would vanish: notice it and start a new segment (the directory is created again).</summary>
        private void CheckStillThere()
        {
            var segment = _segment;
            if (segment is null || File.Exists(segment.Path))
                return;
            InternalLogger.Warn("DiskBufferWrapper: the segment '{0}' disappeared (directory deleted?); buffering continues in a new segment.", segment.Path);
            CloseSegment();
            _catalog.Forget(segment);
            _catalog.AddDiskBytes(-segment.Bytes);
            if (!TryOpenSegment(out var error))
                EnterFallback(error!, "opening a segment");
        }

        private void EnterFallback(Exception error, string what)
        {
            CloseSegment();
            _nextRecoverAttempt = Environment.TickCount64 + RecoverIntervalMs;
            if (Interlocked.Exchange(ref _fallback, 1) == 0)
                InternalLogger.Warn(error, "DiskBufferWrapper: {0} in '{1}' failed; events go straight to the wrapped target (counted in pylog.events.sync_fallback) until the directory is writable again.", what, _catalog.Directory);
        }

        private bool TryRecover()
        {
            if (Environment.TickCount64 < _nextRecoverAttempt)
                return false;
            _nextRecoverAttempt = Environment.TickCount64 + RecoverIntervalMs;
            if (!TryOpenSegment(out _))
                return false;
            Volatile.Write(ref _fallback, 0);
            InternalLogger.Info("DiskBufferWrapper: '{0}' is writable again; buffering resumed.", _catalog.Directory);
            return true;
        }

        private static void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Debug(ex, "DiskBufferWrapper: could not delete '{0}'.", path);
            }
        }
    }
}
