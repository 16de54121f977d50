using System;
using System.Collections.Generic;
using System.Threading;
using NLog.Common;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// The background reader: reads records in log order from the segments, hands them to the
    /// wrapped target in batches, and keeps each one in a window until the wrapped target reports its
    /// outcome. At most <c>window</c> events are outstanding at once, so a replay never overflows the
    /// wrapped target's own queue. The checkpoint (everything before it has an outcome) moves past an
    /// event only when it was delivered or dropped for good; a transient drop marks it for another
    /// hand-over after a back-off, ahead of any event not handed over yet.
    /// </summary>
    /// <remarks>
    /// Events are matched to outcomes by reference (the <see cref="LogEventInfo"/> the pump created),
    /// from <see cref="IDeliveryListener.OnOutcome"/> when the wrapped target is an
    /// <see cref="IDeliveryReporter"/>, from the NLog continuation otherwise (null = delivered,
    /// exception = transient <c>write_failed</c>). The first of the two to arrive for a hand-over wins.
    /// </remarks>
    internal sealed class ReplayPump : IDeliveryListener
    {
        private const int Pending = 0, Done = 1, Failed = 2;
        private const int IdleWaitMilliseconds = 200;

        private readonly DiskBufferTargetWrapper _owner;
        private readonly SegmentCatalog _catalog;
        private readonly Checkpoint _checkpoint;
        private readonly LiveWindow _live;
        private readonly List<LiveRecord> _liveTaken = new List<LiveRecord>();
        private readonly Entry?[] _ring;
        private readonly int _batchSize;
        private readonly long _previousRunEnd;
        private readonly int _retryDelayMs, _maxRetryDelayMs;
        private readonly object _sync = new object();
        private readonly Dictionary<LogEventInfo, Entry> _byEvent = new Dictionary<LogEventInfo, Entry>(ReferenceEqualityComparer.Instance);
        private readonly List<FlushRequest> _flushes = new List<FlushRequest>();
        private readonly ManualResetEventSlim _wake = new ManualResetEventSlim(false);
        private readonly List<Entry> _batch = new List<Entry>();
        // The original events the batch being read took from the live window (see TakeLive).
        private readonly HashSet<LogEventInfo> _batchLiveEvents = new HashSet<LogEventInfo>(ReferenceEqualityComparer.Instance);
        // Entries (each with its continuation delegate) reused once settled; only the pump thread touches it.
        private readonly Stack<Entry> _pool = new Stack<Entry>();
        private readonly List<AsyncLogEventInfo> _submit = new List<AsyncLogEventInfo>();
        private readonly Thread _thread;
        private SegmentReader? _reader;
        private int _readerCorrupt;
        private long _readPosition;
        private long _storedCheckpoint = -1;
        private int _head, _count, _failed;
        private long _retryAt;
        private int _retryDelay;
        private bool _deliveredSinceRetry;
        private int _stopping;

        public ReplayPump(DiskBufferTargetWrapper owner, SegmentCatalog catalog, Checkpoint checkpoint, LiveWindow live, long startPosition, long previousRunEnd, int window, int batchSize, int retryDelayMs, int maxRetryDelayMs)
        {
            _owner = owner;
            _catalog = catalog;
            _checkpoint = checkpoint;
            _live = live;
            _readPosition = startPosition;
            _previousRunEnd = previousRunEnd;
            _ring = new Entry?[window];
            _batchSize = Math.Min(batchSize, window);
            _retryDelayMs = retryDelayMs;
            _maxRetryDelayMs = maxRetryDelayMs;
            _retryDelay = retryDelayMs;
            _thread = new Thread(Run) { IsBackground = true, Name = "DiskBufferWrapper " + owner.Name };
        }

        /// <summary>Events taken from the live window (not read back from disk) so far.</summary>
        internal long FromWindow;

        /// <summary>Events read back from the segment files so far.</summary>
        internal long FromDisk;

        /// <summary>Events handed over and still waiting for their outcome.</summary>
        public int Outstanding
        {
            get
            {
                lock (_sync)
                    return _count;
            }
        }

        public void Start() => _thread.Start();

        public void Wake() => _wake.Set();

        /// <summary>Completes <paramref name="continuation"/> once every event before <paramref name="mark"/> was handed over and has an outcome, and the wrapped target flushed.</summary>
        public void Flush(long mark, AsyncContinuation continuation)
        {
            lock (_flushes)
                _flushes.Add(new FlushRequest(mark, continuation));
            _wake.Set();
        }

        /// <summary>Stops handing over; waits up to <paramref name="timeoutMilliseconds"/> for the thread. What is left stays on disk.</summary>
        public void Stop(int timeoutMilliseconds)
        {
            Volatile.Write(ref _stopping, 1);
            _wake.Set();
            if (!_thread.Join(timeoutMilliseconds))
                InternalLogger.Warn("{0}: the replay thread did not stop within {1} ms; the buffer stays on disk.", _owner, timeoutMilliseconds);
        }

        public void OnOutcome(IReadOnlyList<LogEventInfo> events, DeliveryOutcome outcome)
        {
            bool any = false;
            lock (_sync)
            {
                for (int i = 0; i < events.Count; i++)
                {
                    if (_byEvent.Remove(events[i], out var entry))
                    {
                        Complete(entry, outcome.IsDelivered || outcome.IsPermanent);
                        any = true;
                    }
                }
            }
            if (any)
                _wake.Set();
        }

        private void OnContinuation(Entry entry, Exception? error)
        {
            // A reporting target's continuation says only "accepted"; its outcome comes through OnOutcome.
            if (error is null && _owner.WrappedReports)
            {
                entry.Answered();
                return;
            }
            bool completed;
            lock (_sync)
            {
                completed = _byEvent.Remove(entry.Event);
                if (completed)
                    Complete(entry, error is null);
            }
            // The last touch of the entry: from here on the pump may reuse it.
            entry.Answered();
            if (completed)
                _wake.Set();
        }

        private void Complete(Entry entry, bool finished)
        {
            entry.HadOutcome = true;
            if (finished)
            {
                entry.State = Done;
                _deliveredSinceRetry = true;
            }
            else
            {
                entry.State = Failed;
                _failed++;
            }
        }

        private void Run()
        {
            CountBacklog();
            while (true)
            {
                try
                {
                    _wake.Reset();
                    bool stopping = Volatile.Read(ref _stopping) != 0;
                    bool progressed = AdvanceCheckpoint();
                    CompleteFlushes(stopping);
                    if (stopping)
                        break;

                    int failed;
                    lock (_sync)
                        failed = _failed;
                    int wait = IdleWaitMilliseconds;
                    if (failed > 0)
                    {
                        long now = Environment.TickCount64;
                        if (_retryAt == 0)
                            _retryAt = now + _retryDelay;
                        if (now >= _retryAt)
                        {
                            ResendFailed();
                            progressed = true;
                        }
                        else
                        {
                            wait = (int)Math.Min(wait, _retryAt - now);
                        }
                    }
                    else if (ReadAndHandOver())
                    {
                        progressed = true;
                    }

                    if (!progressed)
                        _wake.Wait(Math.Max(1, wait));
                }
                catch (Exception ex)
                {
                    // Never let the pump die: whatever the wrapped target did, the buffer stays on disk.
                    InternalLogger.Error(ex, "{0}: unexpected error in the replay thread; it keeps running.", _owner);
                    _wake.Wait(IdleWaitMilliseconds);
                }
            }
            // The writer sealed its segment before the pump was stopped: a fully delivered one goes now.
            AdvanceCheckpoint(final: true);
            _reader?.Dispose();
            _reader = null;
        }

        /// <summary>Counts the events a previous run left (for <c>pylog.buffer.events</c>).</summary>
        private void CountBacklog()
        {
            long count = 0;
            foreach (var segment in _catalog.Snapshot())
            {
                if (segment.Id >= SegmentCatalog.SegmentOf(_previousRunEnd))
                    break;
                try
                {
                    foreach (var record in SegmentReader.Scan(segment.Path))
                    {
                        if (SegmentCatalog.Position(segment.Id, record.Offset) >= _readPosition)
                            count++;
                    }
                }
                catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException)
                {
                    InternalLogger.Debug(ex, "{0}: could not count the events in '{1}'.", _owner, segment.Path);
                }
            }
            _catalog.AddBufferedEvents(count);
        }

        /// <summary>Moves the checkpoint over events with an outcome, stores it, deletes finished segments.</summary>
        private bool AdvanceCheckpoint(bool final = false)
        {
            long checkpoint;
            int done = 0;
            lock (_sync)
            {
                while (_count > 0 && _ring[_head]!.State == Done)
                {
                    var entry = _ring[_head]!;
                    // Reused only when no continuation is still due (a reporting target may call it after the outcome).
                    if (Volatile.Read(ref entry.Unanswered) == 0)
                        _pool.Push(entry.Cleared());
                    _ring[_head] = null;
                    _head = (_head + 1) % _ring.Length;
                    _count--;
                    done++;
                }
                checkpoint = _count > 0 ? _ring[_head]!.Position : _readPosition;
            }
            if (done > 0)
                _catalog.AddBufferedEvents(-done);
            if (checkpoint != _storedCheckpoint)
            {
                _checkpoint.Store(checkpoint);
                _storedCheckpoint = checkpoint;
            }
            else if (!final)
            {
                return done > 0;
            }

            var finished = _catalog.TakeFinished(checkpoint);
            if (finished != null)
            {
                foreach (var segment in finished)
                {
                    if (!segment.Evicted)
                    {
                        try
                        {
                            System.IO.File.Delete(segment.Path);
                        }
                        catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException)
                        {
                            InternalLogger.Warn(ex, "{0}: could not delete the delivered segment '{1}'.", _owner, segment.Path);
                        }
                        _catalog.AddDiskBytes(-segment.Bytes);
                    }
                }
            }
            return true;
        }

        private void CompleteFlushes(bool all)
        {
            List<AsyncContinuation>? due = null;
            lock (_flushes)
            {
                if (_flushes.Count == 0)
                    return;
                long unsettled = all ? long.MaxValue : FirstWithoutOutcome();
                for (int i = _flushes.Count - 1; i >= 0; i--)
                {
                    var request = _flushes[i];
                    if (all || (_readPosition >= request.Mark && unsettled >= request.Mark))
                    {
                        (due ??= new List<AsyncContinuation>()).Add(request.Continuation);
                        _flushes.RemoveAt(i);
                    }
                }
            }
            if (due is null)
                return;
            var wrapped = _owner.WrappedTarget;
            foreach (var continuation in due)
            {
                if (wrapped is null || all)
                    continuation(null);
                else
                    wrapped.Flush(continuation);
            }
        }

        /// <summary>The position of the first outstanding event that has had no outcome yet (long.MaxValue when none).</summary>
        private long FirstWithoutOutcome()
        {
            lock (_sync)
            {
                for (int i = 0; i < _count; i++)
                {
                    var entry = _ring[(_head + i) % _ring.Length]!;
                    if (!entry.HadOutcome)
                        return entry.Position;
                }
                return long.MaxValue;
            }
        }

        private void ResendFailed()
        {
            _batch.Clear();
            lock (_sync)
            {
                for (int i = 0; i < _count; i++)
                {
                    var entry = _ring[(_head + i) % _ring.Length]!;
                    if (entry.State != Failed)
                        continue;
                    entry.State = Pending;
                    entry.Replay = true;
                    _byEvent[entry.Event] = entry;
                    _batch.Add(entry);
                }
                _failed = 0;
                _retryDelay = _deliveredSinceRetry ? _retryDelayMs : Math.Min(_maxRetryDelayMs, _retryDelay * 2);
                _deliveredSinceRetry = false;
            }
            _retryAt = 0;
            HandOver(_batch);
        }

        private bool ReadAndHandOver()
        {
            int room;
            lock (_sync)
                room = _ring.Length - _count;
            if (room <= 0)
                return false;
            _batch.Clear();
            _batchLiveEvents.Clear();
            ReadBatch(Math.Min(room, _batchSize));
            if (_batch.Count == 0)
                return false;

            // Publish what is handed over under the catalog lock: an eviction counts only what lies beyond.
            lock (_catalog.Sync)
            {
                int kept = 0;
                long segmentId = -1;
                bool evicted = false;
                for (int i = 0; i < _batch.Count; i++)
                {
                    // A batch spans one or two segments: ask once per segment, not per event.
                    long id = SegmentCatalog.SegmentOf(_batch[i].Position);
                    if (id != segmentId)
                    {
                        segmentId = id;
                        evicted = _catalog.IsEvicted(id);
                    }
                    if (evicted)
                        continue;
                    _batch[kept++] = _batch[i];
                }
                _batch.RemoveRange(kept, _batch.Count - kept);
                _catalog.HandedThrough = _readPosition;
            }
            if (_batch.Count == 0)
                return true;

            lock (_sync)
            {
                foreach (var entry in _batch)
                {
                    _ring[(_head + _count) % _ring.Length] = entry;
                    _count++;
                    _byEvent[entry.Event] = entry;
                }
            }
            HandOver(_batch);
            return true;
        }

        /// <summary>Takes what continues the read position from the live window, else reads the file.</summary>
        private void ReadBatch(int max)
        {
            bool opened = false;
            while (_batch.Count < max)
            {
                if (TakeLive(max - _batch.Count))
                {
                    opened = false;
                    continue;
                }
                if (_reader != null && SegmentCatalog.Position(_reader.Id, _reader.Offset) != _readPosition)
                {
                    // The live window carried the read position past the reader: continue where it stands.
                    if (_reader.Id == SegmentCatalog.SegmentOf(_readPosition) && SegmentCatalog.OffsetOf(_readPosition) >= RecordFormat.SegmentHeaderBytes)
                    {
                        _reader.MoveTo(SegmentCatalog.OffsetOf(_readPosition));
                    }
                    else
                    {
                        _reader.Dispose();
                        _reader = null;
                    }
                }
                if (_reader is null)
                {
                    if (opened || !OpenNextSegment())
                        return;
                    // Opening moved the read position to the first record: the window may continue from there.
                    opened = true;
                    continue;
                }
                opened = false;
                var reader = _reader!;
                long readable = _catalog.ReadableLength(reader.Id);
                var result = reader.TryRead(readable, out long offset, out var payload);
                ReportCorrupt(reader);
                if (result == ReadResult.End)
                {
                    _readPosition = SegmentCatalog.Position(reader.Id, reader.Offset);
                    if (readable != long.MaxValue)
                        return; // the active segment: wait for the writer
                    CloseReader(reader.Id + 1);
                    continue;
                }

                ReplayedEvent replayedEvent;
                try
                {
                    replayedEvent = EventSerializer.Read(payload.Span);
                }
                catch (Exception ex) when (ex is FormatException || ex is ArgumentException || ex is OverflowException)
                {
                    reader.CountUndecodable();
                    ReportCorrupt(reader);
                    InternalLogger.Debug(ex, "{0}: skipped an undecodable record in segment {1}.", _owner, reader.Id);
                    // Past it for good: left behind, the read position would send the reader back to it.
                    _readPosition = SegmentCatalog.Position(reader.Id, reader.Offset);
                    // It was counted in pylog.buffer.events (its checksum is right) and will never be handed over.
                    _catalog.AddBufferedEvents(-1);
                    continue;
                }
                long position = SegmentCatalog.Position(reader.Id, offset);
                _readPosition = SegmentCatalog.Position(reader.Id, reader.Offset);
                _batch.Add(Rent(position, replayedEvent.LogEvent, replayedEvent.Scope, replayedEvent.Thread, replay: position < _previousRunEnd));
                FromDisk++;
            }
        }

        private bool TakeLive(int max)
        {
            _liveTaken.Clear();
            if (_live.Take(ref _readPosition, max, _liveTaken) == 0)
                return false;
            // Outcomes find their entry by the event instance: the same LogEventInfo logged twice must
            // not be in flight twice. From the first such record on, the file is read instead (a
            // fresh instance per record); the window is only a shortcut, the disk has them all.
            int usable = 0;
            lock (_sync)
            {
                while (usable < _liveTaken.Count)
                {
                    var logEvent = _liveTaken[usable].Live.LogEvent!;
                    if (_byEvent.ContainsKey(logEvent) || !_batchLiveEvents.Add(logEvent))
                        break;
                    usable++;
                }
            }
            if (usable < _liveTaken.Count)
                _readPosition = _liveTaken[usable].Start;
            for (int i = 0; i < usable; i++)
            {
                var record = _liveTaken[i];
                _batch.Add(Rent(record.Start, record.Live.LogEvent!, record.Live.Scope, record.Live.Thread, replay: false));
            }
            FromWindow += usable;
            _liveTaken.Clear();
            return usable > 0;
        }

        private Entry Rent(long position, LogEventInfo logEvent, KeyValuePair<string, object?>[]? scope, LoggingThread? thread, bool replay)
        {
            var entry = _pool.Count > 0 ? _pool.Pop() : new Entry(this);
            entry.Position = position;
            entry.Event = logEvent;
            entry.Scope = scope;
            entry.Thread = thread;
            entry.Replay = replay;
            return entry;
        }

        private void ReportCorrupt(SegmentReader reader)
        {
            int delta = reader.CorruptStretches - _readerCorrupt;
            if (delta <= 0)
                return;
            _readerCorrupt = reader.CorruptStretches;
            // The level of a damaged record is unknown: counted under Off.
            _owner.RecordDropped(LogLevel.Off, DropReasons.Corrupt, delta);
        }

        private bool OpenNextSegment()
        {
            while (true)
            {
                long wanted = SegmentCatalog.SegmentOf(_readPosition);
                var segment = _catalog.FirstFrom(wanted);
                if (segment is null)
                    return false;
                long start = segment.Id == wanted ? SegmentCatalog.OffsetOf(_readPosition) : 0;
                var reader = SegmentReader.Open(segment.Id, segment.Path, start);
                if (reader is null)
                {
                    InternalLogger.Warn("{0}: segment '{1}' vanished before it was replayed.", _owner, segment.Path);
                    _catalog.Forget(segment);
                    _catalog.AddDiskBytes(-segment.Bytes);
                    _readPosition = SegmentCatalog.Position(segment.Id + 1, 0);
                    continue;
                }
                _reader = reader;
                _readerCorrupt = 0;
                ReportCorrupt(reader);
                _readPosition = SegmentCatalog.Position(segment.Id, reader.Offset);
                return true;
            }
        }

        private void CloseReader(long nextSegment)
        {
            _reader?.Dispose();
            _reader = null;
            _readPosition = SegmentCatalog.Position(nextSegment, 0);
        }

        /// <summary>
        /// Hands events over, restoring around each what NLog reads from the logging thread at render
        /// time: its scope properties, its name (for <c>${threadname}</c>; none for an unnamed thread)
        /// and its managed id (Plumelog's <c>threadName</c> of an unnamed thread, see <see cref="Core.OriginThread"/>).
        /// The one place <c>pylog.events.replayed</c> is counted: once per hand-over of an event of an
        /// earlier run or of an event handed over again after a transient drop.
        /// </summary>
        private void HandOver(List<Entry> entries)
        {
            var wrapped = _owner.WrappedTarget;
            if (wrapped is null)
                return;
            int replayed = 0;
            foreach (var entry in entries)
            {
                if (entry.Replay)
                    replayed++;
            }
            if (replayed > 0)
                _owner.CountReplayed(replayed);
            var thread = Thread.CurrentThread;
            string? currentName = thread.Name;
            string? currentId = null;
            _submit.Clear();
            try
            {
                foreach (var entry in entries)
                {
                    var origin = entry.Thread;
                    if (origin != null)
                    {
                        // Renaming costs a system call: only when the name changes (all unnamed threads share "none").
                        if (!string.Equals(origin.Name, currentName, StringComparison.Ordinal))
                        {
                            Submit(wrapped);
                            thread.Name = origin.Name;
                            currentName = origin.Name;
                        }
                        if (!string.Equals(origin.ManagedId, currentId, StringComparison.Ordinal))
                        {
                            Submit(wrapped);
                            Core.OriginThread.ManagedId = origin.ManagedId;
                            currentId = origin.ManagedId;
                        }
                    }
                    Interlocked.Increment(ref entry.Unanswered);
                    if (entry.Scope is null)
                    {
                        _submit.Add(new AsyncLogEventInfo(entry.Event, entry.Continuation));
                        continue;
                    }
                    Submit(wrapped);
                    using (ScopeContext.PushProperties(entry.Scope))
                    {
                        _submit.Add(new AsyncLogEventInfo(entry.Event, entry.Continuation));
                        Submit(wrapped);
                    }
                }
                Submit(wrapped);
            }
            finally
            {
                Core.OriginThread.ManagedId = null;
            }
        }

        private void Submit(Target wrapped)
        {
            if (_submit.Count == 0)
                return;
            try
            {
                wrapped.WriteAsyncLogEvents(_submit);
            }
            catch (Exception ex)
            {
                for (int i = 0; i < _submit.Count; i++)
                    _submit[i].Continuation(ex);
            }
            _submit.Clear();
        }

        /// <summary>One event in the window of hand-overs; reused (with its continuation) once settled.</summary>
        internal sealed class Entry
        {
            public Entry(ReplayPump pump)
            {
                Continuation = error => pump.OnContinuation(this, error);
                Event = null!;
            }

            public long Position;

            public LogEventInfo Event;

            public KeyValuePair<string, object?>[]? Scope;

            public LoggingThread? Thread;

            public AsyncContinuation Continuation { get; }

            public int State;

            public bool HadOutcome;

            /// <summary>Hand-overs whose continuation has not been called yet.</summary>
            public int Unanswered;

            public void Answered() => Interlocked.Decrement(ref Unanswered);

            public Entry Cleared()
            {
                Event = null!;
                Scope = null;
                Thread = null;
                State = Pending;
                HadOutcome = false;
                Replay = false;
                return this;
            }

            /// <summary>This hand-over is a replay (an earlier run's event, or one handed over again after a transient drop).</summary>
            public bool Replay;
        }

        private readonly struct FlushRequest
        {
            public FlushRequest(long mark, AsyncContinuation continuation)
            {
                Mark = mark;
                Continuation = continuation;
            }

            public long Mark { get; }

            public AsyncContinuation Continuation { get; }
        }
    }
}
