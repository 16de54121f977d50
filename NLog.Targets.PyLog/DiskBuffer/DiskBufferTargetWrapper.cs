using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using NLog.Common;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.DiskBuffer;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// A write-ahead buffer on local disk in front of any target: every event is appended to a
    /// segment file in <see cref="Directory"/> and handed to the wrapped target by a background
    /// reader; it leaves the disk only when the wrapped target reports it delivered or refused for
    /// good. What was logged therefore survives an outage longer than memory can hold, and a crash or
    /// restart of the application: the next process started with the same directory delivers it.
    /// </summary>
    /// <remarks>
    /// <para>
    /// <b>Durability.</b> An event whose logging call returned more than
    /// <see cref="FlushIntervalMilliseconds"/> ago (at once for <c>Error</c> and <c>Fatal</c>, and
    /// anything before a completed <c>LogManager.Flush()</c>) is in the operating system and survives
    /// <c>kill -9</c>. Surviving a power loss needs it on the device: that happens every
    /// <see cref="FsyncIntervalMilliseconds"/>. Delivery is at least once: events handed over but not
    /// yet acknowledged when the process died are handed over again.
    /// </para>
    /// <para>
    /// <b>Order.</b> Events are handed over in logging order, earlier runs first. An event handed over
    /// again after a transient drop arrives after the events that were in flight with it.
    /// </para>
    /// <para>
    /// The logging call serializes the event into a per-thread buffer and copies it into the pending
    /// buffer under a short lock; a background writer puts it in the file. Once the record is in the
    /// file, the replay thread hands the original event on (kept in a bounded in-memory window), so
    /// the file is read back only for what the window no longer holds: a backlog of an earlier run, a
    /// long outage, an event holding objects that may change after the call.
    /// </para>
    /// </remarks>
    [Target("DiskBufferWrapper", IsWrapper = true)]
    public sealed class DiskBufferTargetWrapper : WrapperTargetBase, IDeliveryReporter
    {
        private static readonly string s_idPrefix = Guid.NewGuid().ToString("N").Substring(0, 16);
        private static long s_idCounter;

        [ThreadStatic]
        private static PayloadWriter? t_payload;

        private readonly ManualResetEventSlim _writerWake = new ManualResetEventSlim(false);
        private readonly LossLedger _ledger;
        private readonly DeliveryListeners _listeners;
        private SegmentCatalog? _catalog;
        private SegmentWriter? _writer;
        private Checkpoint? _checkpoint;
        private ReplayPump? _pump;
        private LiveWindow? _live;
        private Thread? _writerThread;
        private IDisposable? _gauges;
        private IDeliveryReporter? _reporter;
        private int _stopping;
        private string _eventIdProperty = string.Empty;

        /// <summary>Creates the wrapper; set <see cref="WrapperTargetBase.WrappedTarget"/> and <see cref="Directory"/> before use.</summary>
        public DiskBufferTargetWrapper()
        {
            _ledger = new LossLedger(this);
            _listeners = new DeliveryListeners(this);
        }

        /// <summary>Creates the wrapper around <paramref name="wrappedTarget"/>, buffering in <paramref name="directory"/>.</summary>
        public DiskBufferTargetWrapper(string name, Target wrappedTarget, string directory)
            : this()
        {
            Name = name;
            WrappedTarget = wrappedTarget;
            Directory = directory;
        }

        /// <summary>The folder of the segment files; one wrapper (in one process) owns it at a time.</summary>
        /// <remarks>Required. Rendered once, at initialization (e.g. <c>${basedir}/buffer</c>).</remarks>
        public Layout? Directory { get; set; }

        /// <summary>The most bytes the segment files may take.</summary>
        /// <remarks>Default: <c>1073741824</c> (1 GiB). Must be at least twice <see cref="SegmentBytes"/>.</remarks>
        public long MaxBytes { get; set; } = 1L << 30;

        /// <summary>The size at which a segment file is closed and a new one started; a segment is deleted once all its events have an outcome.</summary>
        /// <remarks>Default: <c>16777216</c> (16 MiB). At least 4096.</remarks>
        public long SegmentBytes { get; set; } = 16L << 20;

        /// <summary>Appended events reach the operating system within this interval (and so survive a crash of the process).</summary>
        /// <remarks>Default: <c>100</c>. <c>Error</c> and <c>Fatal</c> events are written at once. Between 1 and 60000.</remarks>
        public int FlushIntervalMilliseconds { get; set; } = 100;

        /// <summary>How often what was written is forced onto the device (fsync), so it survives a power loss; <c>0</c> never (only at segment end and close).</summary>
        /// <remarks>Default: <c>1000</c>. Must not be negative.</remarks>
        public int FsyncIntervalMilliseconds { get; set; } = 1000;

        /// <summary>What happens to a new event when the files hold <see cref="MaxBytes"/>.</summary>
        /// <remarks>Default: <see cref="DiskBufferFullPolicy.DropNewest"/>. Drops are counted with reason <c>buffer_full</c>.</remarks>
        public DiskBufferFullPolicy FullPolicy { get; set; } = DiskBufferFullPolicy.DropNewest;

        /// <summary>The most events handed to the wrapped target in one call.</summary>
        /// <remarks>Default: <c>200</c>. Must be greater than 0.</remarks>
        public int BatchSize { get; set; } = 200;

        /// <summary>
        /// The most events handed over and still waiting for their outcome. <c>0</c> picks the wrapped
        /// target's own queue limit (<c>QueueLimit</c> of an <c>AsyncTaskTarget</c> such as Redis,
        /// Kafka and AliyunSls, of a BackpressureWrapper or an AsyncWrapper), else 4 × <see cref="BatchSize"/>,
        /// so that a replay never overflows the wrapped target's queue.
        /// </summary>
        /// <remarks>Default: <c>0</c> (automatic). Must not be negative.</remarks>
        public int MaxInFlight { get; set; }

        /// <summary>When set, each event gets a stable unique id in this property when it is logged, kept across replays (for downstream de-duplication).</summary>
        /// <remarks>Default: empty (no id).</remarks>
        public string EventIdProperty { get; set; } = string.Empty;

        /// <summary>The first wait before events that were dropped transiently are handed over again; doubles up to <see cref="MaxRetryDelayMilliseconds"/> while nothing is delivered.</summary>
        /// <remarks>Default: <c>1000</c>. Must be greater than 0.</remarks>
        public int RetryDelayMilliseconds { get; set; } = 1000;

        /// <summary>The longest wait between two hand-overs of transiently dropped events.</summary>
        /// <remarks>Default: <c>30000</c>. At least <see cref="RetryDelayMilliseconds"/>.</remarks>
        public int MaxRetryDelayMilliseconds { get; set; } = 30000;

        /// <summary>How long closing waits for the replay thread to stop; what is not delivered stays on disk.</summary>
        /// <remarks>Default: <c>5000</c>. Must not be negative.</remarks>
        public int ShutdownTimeoutMilliseconds { get; set; } = 5000;

        /// <summary>Raised when the buffer drops events (reasons <c>buffer_full</c>, <c>corrupt</c>), aggregated per level and reason with a count; the same losses are counted in <c>pylog.events.dropped</c>.</summary>
        /// <remarks>Raised on the thread that dropped: the logging thread (<c>DropNewest</c>), the writer (<c>DropOldest</c>) or the replay thread (<c>corrupt</c>).</remarks>
        public event EventHandler<EventDroppedEventArgs>? EventDropped
        {
            add => _ledger.EventDropped += value;
            remove => _ledger.EventDropped -= value;
        }

        /// <summary>The directory in use (absolute), once initialized.</summary>
        public string? BufferDirectory => _catalog?.Directory;

        /// <summary>Bytes of the segment files now (the value of <c>pylog.buffer.bytes</c>).</summary>
        public long BufferedBytes => _catalog?.DiskBytes ?? 0;

        /// <summary>Events on disk still waiting for their outcome (the value of <c>pylog.buffer.events</c>).</summary>
        public long BufferedEvents => _catalog?.BufferedEvents ?? 0;

        /// <summary>True while the directory is not writable and events go straight to the wrapped target.</summary>
        public bool IsBypassingBuffer => _writer?.InFallback ?? false;

        /// <summary>Bytes accepted and not yet written to the file.</summary>
        internal long PendingForTests => _writer?.PendingBytes ?? 0;

        /// <summary>Memory of the pending buffers (two of them, swapped by the writer).</summary>
        internal long PendingBufferCapacityForTests => _writer?.BufferCapacityForTests ?? 0;

        /// <summary>How many original events the wrapper holds for the replay thread to take from memory instead of the files (pending and written together, approximately).</summary>
        internal int LiveWindowCapacity { get; set; } = LiveWindow.DefaultCapacity;

        /// <summary>The directory fsync after a segment was created (a seam for tests; the real call by default).</summary>
        internal Action<string> SyncDirectory { get; set; } = DirectorySync.Sync;

        /// <summary>Events handed over from the in-memory window and read back from disk, so far (for tests and the benchmark).</summary>
        internal (long FromWindow, long FromDisk) HandOverSources => _pump is { } pump ? (Volatile.Read(ref pump.FromWindow), Volatile.Read(ref pump.FromDisk)) : (0, 0);

        /// <summary>True when the wrapped target reports outcomes itself (its continuation then says only "accepted").</summary>
        internal bool WrappedReports => _reporter != null;

        /// <summary>Events between the logging call and an outcome, by stage (for the benchmark's probe).</summary>
        internal (long PendingBytes, int InWindow, int Outstanding) InFlight => (_writer?.PendingBytes ?? 0, _live?.Count ?? 0, _pump?.Outstanding ?? 0);

        /// <inheritdoc/>
        protected override void InitializeTarget()
        {
            Validate();
            base.InitializeTarget();

            string directory = RenderDirectory();
            DirectoryLock? directoryLock = null;
            try
            {
                System.IO.Directory.CreateDirectory(directory);
                directoryLock = DirectoryLock.Acquire(directory);
            }
            catch (DirectoryLockedException ex)
            {
                throw new NLogConfigurationException($"DiskBufferWrapper '{Name}': Directory '{directory}' is in use by process {ex.HolderPid.ToString(CultureInfo.InvariantCulture)}; give each process its own directory.", ex);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // A full, read-only or missing disk must not stop the application: bypass until it is usable.
                InternalLogger.Warn(ex, "{0}: Directory '{1}' is not usable at start-up; events go straight to the wrapped target until it is.", this, directory);
            }

            _stopping = 0;
            _eventIdProperty = EventIdProperty ?? string.Empty;
            var catalog = new SegmentCatalog(directory);
            if (directoryLock != null)
                LoadSegments(catalog);
            _catalog = catalog;
            _checkpoint = new Checkpoint(directory);
            long start = _checkpoint.Load();
            // New segments go after the checkpoint, even when every segment it passed was deleted.
            catalog.IdFloor = SegmentCatalog.SegmentOf(start);
            long previousRunEnd = SegmentCatalog.Position(Math.Max(catalog.MaxId(), catalog.IdFloor) + 1, 0);

            var live = _live = new LiveWindow(LiveWindowCapacity);
            _writer = new SegmentWriter(catalog, new WriterCallbacks(this), directoryLock, SegmentBytes, MaxBytes, FullPolicy == DiskBufferFullPolicy.DropOldest, live, SyncDirectory);
            _writer.Open();

            _reporter = WrappedTarget as IDeliveryReporter;
            int window = MaxInFlight > 0 ? MaxInFlight : AutomaticWindow(WrappedTarget!, BatchSize);
            _pump = new ReplayPump(this, catalog, _checkpoint, live, start, previousRunEnd, window, BatchSize, RetryDelayMilliseconds, MaxRetryDelayMilliseconds);
            _reporter?.AddDeliveryListener(_pump);
            _gauges = PyLogMetrics.RegisterBuffer(Name ?? string.Empty, () => catalog.DiskBytes, () => catalog.BufferedEvents);

            _writerWake.Reset();
            _writerThread = new Thread(RunWriter) { IsBackground = true, Name = "DiskBufferWrapper writer " + Name };
            _writerThread.Start();
            _pump.Start();
        }

        /// <inheritdoc/>
        protected override void CloseTarget()
        {
            Volatile.Write(ref _stopping, 1);
            _writerWake.Set();
            _writerThread?.Join(ShutdownTimeoutMilliseconds);
            _writerThread = null;
            var writer = _writer;
            // Events logged from now on go straight to the wrapped target (as before initialization).
            _writer = null;
            writer?.FlushToOs();
            writer?.Dispose();
            _pump?.Stop(ShutdownTimeoutMilliseconds);
            if (_pump != null)
                _reporter?.RemoveDeliveryListener(_pump);
            _checkpoint?.Dispose();
            _gauges?.Dispose();
            _gauges = null;
            _pump = null;
            _live = null;
            base.CloseTarget();
        }

        /// <summary>
        /// Pushes every pending event to the OS, then completes once every event logged before this
        /// call was handed to the wrapped target and has an outcome (a transient drop stays on disk),
        /// and the wrapped target flushed.
        /// </summary>
        protected override void FlushAsync(AsyncContinuation asyncContinuation)
        {
            var writer = _writer;
            var pump = _pump;
            var catalog = _catalog;
            if (writer is null || pump is null || catalog is null)
            {
                base.FlushAsync(asyncContinuation);
                return;
            }
            writer.FlushToOs();
            pump.Flush(catalog.WrittenPosition, asyncContinuation);
        }

        /// <summary>Buffers the event; never takes the target's lock.</summary>
        protected override void WriteAsyncThreadSafe(AsyncLogEventInfo logEvent)
        {
            try
            {
                Write(logEvent);
            }
            catch (Exception ex)
            {
                // The logger's continuation applies NLog's ThrowExceptions policy.
                logEvent.Continuation(ex);
            }
        }

        /// <summary>Buffers the events; never takes the target's lock.</summary>
        protected override void WriteAsyncThreadSafe(IList<AsyncLogEventInfo> logEvents)
        {
            for (int i = 0; i < logEvents.Count; i++)
                WriteAsyncThreadSafe(logEvents[i]);
        }

        /// <inheritdoc/>
        protected override void Write(AsyncLogEventInfo logEvent)
        {
            var writer = _writer;
            if (writer is null || writer.InFallback)
            {
                HandStraight(logEvent);
                return;
            }

            var info = logEvent.LogEvent;
            if (_eventIdProperty.Length != 0 && !info.Properties.ContainsKey(_eventIdProperty))
                info.Properties[_eventIdProperty] = NextEventId();

            var payload = t_payload ??= new PayloadWriter();
            payload.Reset();
            payload.Skip(RecordFormat.RecordHeaderBytes);
            var live = EventSerializer.Write(payload, info);
            var record = payload.Written;
            // Magic and length now; the checksum is the writer's job (off the logging thread).
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record, RecordFormat.RecordMagic);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(record.Slice(8), record.Length - RecordFormat.RecordHeaderBytes);

            if (!writer.TryAppend(record, in live, _listeners.Any ? info : null))
            {
                if (writer.IsClosed)
                {
                    // Lost the race with close: the file is shut, hand the event on instead.
                    HandStraight(logEvent);
                    return;
                }
                RecordDropped(info.Level, DropReasons.BufferFull, 1);
                _listeners.Report(info, DeliveryOutcome.DroppedTransient(DropReasons.BufferFull));
                logEvent.Continuation(null);
                return;
            }
            if (info.Level.Ordinal >= LogLevel.Error.Ordinal)
                writer.FlushToOs();
            logEvent.Continuation(null);
        }

        void IDeliveryReporter.AddDeliveryListener(IDeliveryListener listener) => _listeners.Add(listener);

        void IDeliveryReporter.RemoveDeliveryListener(IDeliveryListener listener) => _listeners.Remove(listener);

        /// <summary>Counts a loss of the buffer itself (<c>buffer_full</c>, <c>corrupt</c>), and warns about it at most every 10 s.</summary>
        internal void RecordDropped(LogLevel level, string reason, int count)
        {
            if (count <= 0)
                return;
            _ledger.Dropped(level, reason, count, null);
            if (_ledger.LossWarnings.TryEnter(out int suppressed))
            {
                InternalLogger.Warn(reason == DropReasons.Corrupt
                    ? "{0}: skipped {1} damaged stretch(es) of the buffer files (reason corrupt); the rest is replayed. Further losses are counted in pylog.events.dropped ({2} similar warnings suppressed)."
                    : "{0}: the buffer holds MaxBytes; dropped {1} events (reason buffer_full). Further losses are counted in pylog.events.dropped ({2} similar warnings suppressed).",
                    this, count, suppressed);
            }
        }

        internal void CountReplayed(int count) => PyLogMetrics.EventsReplayed(Name ?? string.Empty, count);

        private void Validate()
        {
            if (WrappedTarget is null)
                throw ConfigurationErrors.Invalid(this, nameof(WrappedTarget), string.Empty, "is required: put the target to protect inside the wrapper element");
            if (Directory is null)
                throw ConfigurationErrors.Invalid(this, nameof(Directory), string.Empty, "is required");
            Check(SegmentBytes >= 4096, nameof(SegmentBytes), "must be at least 4096", SegmentBytes);
            Check(MaxBytes >= 2 * SegmentBytes, nameof(MaxBytes), "must be at least twice SegmentBytes (" + SegmentBytes.ToString(CultureInfo.InvariantCulture) + ")", MaxBytes);
            Check(FlushIntervalMilliseconds >= 1 && FlushIntervalMilliseconds <= 60000, nameof(FlushIntervalMilliseconds), "must be between 1 and 60000", FlushIntervalMilliseconds);
            ConfigurationErrors.RequireNotNegative(this, FsyncIntervalMilliseconds, nameof(FsyncIntervalMilliseconds));
            ConfigurationErrors.RequirePositive(this, BatchSize, nameof(BatchSize));
            ConfigurationErrors.RequireNotNegative(this, MaxInFlight, nameof(MaxInFlight));
            ConfigurationErrors.RequirePositive(this, RetryDelayMilliseconds, nameof(RetryDelayMilliseconds));
            Check(MaxRetryDelayMilliseconds >= RetryDelayMilliseconds, nameof(MaxRetryDelayMilliseconds), "must be at least RetryDelayMilliseconds", MaxRetryDelayMilliseconds);
            ConfigurationErrors.RequireNotNegative(this, ShutdownTimeoutMilliseconds, nameof(ShutdownTimeoutMilliseconds));
            Check(Enum.IsDefined(FullPolicy), nameof(FullPolicy), "must be DropNewest or DropOldest", FullPolicy);
        }

        private void Check(bool valid, string property, string rule, object value)
        {
            if (!valid)
                throw ConfigurationErrors.Invalid(this, property, Convert.ToString(value, CultureInfo.InvariantCulture), rule);
        }

        private string RenderDirectory()
        {
            string rendered = Directory!.Render(LogEventInfo.CreateNullEvent()).Trim();
            if (rendered.Length == 0)
                throw ConfigurationErrors.Invalid(this, nameof(Directory), Directory, "is required (it renders empty)");
            try
            {
                return Path.GetFullPath(rendered);
            }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is PathTooLongException)
            {
                throw ConfigurationErrors.Invalid(this, nameof(Directory), rendered, "is not a valid path", ex);
            }
        }

        /// <summary>Registers the segments an earlier run left (all sealed: a new run never appends to them).</summary>
        private static void LoadSegments(SegmentCatalog catalog)
        {
            foreach (string path in System.IO.Directory.EnumerateFiles(catalog.Directory))
            {
                string name = Path.GetFileName(path);
                if (!RecordFormat.TryParseSegmentFileName(name, out long id))
                {
                    if (name != DirectoryLock.FileName && name != Checkpoint.FileName)
                        InternalLogger.Debug("DiskBufferWrapper: ignoring the foreign file '{0}' in the buffer directory.", path);
                    continue;
                }
                long length;
                try
                {
                    length = new FileInfo(path).Length;
                }
                catch (IOException)
                {
                    continue;
                }
                catalog.Add(new SegmentInfo(id, path, length, sealedSegment: true));
            }
        }

        private static int AutomaticWindow(Target wrapped, int batchSize)
        {
            int limit = wrapped switch
            {
                AsyncTaskTarget task => task.QueueLimit,
                BackpressureTargetWrapper backpressure => backpressure.QueueLimit,
                AsyncTargetWrapper async => async.QueueLimit,
                _ => 4 * batchSize,
            };
            return Math.Max(1, limit);
        }

        private static string NextEventId()
        {
            long id = Interlocked.Increment(ref s_idCounter);
            return string.Create(33, id, static (span, value) =>
            {
                s_idPrefix.AsSpan().CopyTo(span);
                span[16] = '-';
                value.TryFormat(span.Slice(17), out _, "x16", CultureInfo.InvariantCulture);
            });
        }

        private void RunWriter()
        {
            long nextFsync = Environment.TickCount64 + FsyncIntervalMilliseconds;
            while (Volatile.Read(ref _stopping) == 0)
            {
                _writerWake.Wait(FlushIntervalMilliseconds);
                // Set again by a producer once WakeBytes are pending after this flush's swap.
                if (Volatile.Read(ref _stopping) == 0)
                    _writerWake.Reset();
                try
                {
                    _writer?.FlushToOs();
                    if (FsyncIntervalMilliseconds > 0 && Environment.TickCount64 >= nextFsync)
                    {
                        _writer?.Fsync();
                        nextFsync = Environment.TickCount64 + FsyncIntervalMilliseconds;
                    }
                }
                catch (Exception ex)
                {
                    InternalLogger.Error(ex, "{0}: unexpected error in the background writer; it keeps running.", this);
                }
            }
        }

        /// <summary>The buffer is not writable: the event goes straight to the wrapped target (counted in <c>pylog.events.sync_fallback</c>).</summary>
        private void HandStraight(AsyncLogEventInfo logEvent)
        {
            var wrapped = WrappedTarget;
            if (wrapped is null)
            {
                logEvent.Continuation(null);
                return;
            }
            PyLogMetrics.SyncFallback(Name ?? string.Empty);
            wrapped.WriteAsyncLogEvent(logEvent);
        }

        private void HandStraight(ReadOnlySpan<byte> payload)
        {
            var wrapped = WrappedTarget;
            if (wrapped is null)
                return;
            ReplayedEvent replayed;
            try
            {
                replayed = EventSerializer.Read(payload);
            }
            catch (FormatException ex)
            {
                InternalLogger.Error(ex, "{0}: could not decode an event it had just serialized.", this);
                return;
            }
            PyLogMetrics.SyncFallback(Name ?? string.Empty);
            wrapped.WriteAsyncLogEvent(new AsyncLogEventInfo(replayed.LogEvent, static _ => { }));
        }

        /// <summary>The writer's view of the wrapper, kept off the public surface.</summary>
        private sealed class WriterCallbacks : IBufferOwner
        {
            private readonly DiskBufferTargetWrapper _owner;

            public WriterCallbacks(DiskBufferTargetWrapper owner) => _owner = owner;

            public void HandStraight(ReadOnlySpan<byte> payload) => _owner.HandStraight(payload);

            public void RecordDropped(int levelOrdinal, string reason, long count) => _owner.RecordDropped(LogLevel.FromOrdinal(levelOrdinal), reason, (int)Math.Min(count, int.MaxValue));

            public void RecordsWritten() => _owner._pump?.Wake();

            public void ReportBuffered(List<LogEventInfo> originals) => _owner._listeners.Report(originals, DeliveryOutcome.Delivered);

            public void WakeWriter() => _owner._writerWake.Set();
        }
    }
}
