using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using NLog.Common;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Files;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// Writes lines to a file and archives it log4j2-style: <c>ArchiveFileName="logs/app-%d{yyyy-MM-dd-HH}-%i.log.gz"</c>
    /// rolls every hour and above <see cref="ArchiveAboveSize"/>, compresses off the logging thread,
    /// and enforces retention after every roll and at start-up.
    /// </summary>
    /// <remarks>
    /// Lines are rendered into one reused buffer and reach the OS when it holds <see cref="BufferSize"/>
    /// bytes, when an event at <see cref="FlushOnLevel"/> or above arrives, on flush, and at least
    /// every <see cref="FlushIntervalMilliseconds"/>. A failing disk or folder never throws into the
    /// application: the lines are counted in <c>pylog.events.dropped</c> (reason <c>write_failed</c>) and
    /// the file is opened again (its folder recreated) on the next write.
    /// </remarks>
    [Target("ArchiveFile")]
    public sealed class ArchiveFileTarget : TargetWithLayoutHeaderAndFooter
    {
        private const int ReopenDelayMilliseconds = 1000;
        private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(30);

        private readonly int[] _pendingByLevel = new int[LogLevel.Off.Ordinal + 1];
        private LineBuffer _pending = new LineBuffer(0);
        private LineRenderer? _renderer;
        private ActiveFile? _file;
        private WriterRegistration? _registration;
        private ArchiveRoller? _roller;
        private ArchiveWorker? _worker;
        private ArchiveFilePattern? _pattern;
        private Timer? _flushTimer;
        private Encoding _encoding = new UTF8Encoding(false);
        private byte[] _footer = Array.Empty<byte>();
        private long _headerLength;
        private int _flushOnOrdinal;
        private readonly LossLedger _losses;
        private bool _failing;
        private long _nextReopenTicks;
        private Exception? _lastFailure;

        /// <summary>Creates the target.</summary>
        public ArchiveFileTarget()
            : this(TimeProvider.System)
        {
        }

        internal ArchiveFileTarget(TimeProvider clock)
        {
            _losses = new LossLedger(this);
            Clock = clock;
        }

        /// <summary>The active file (rendered once at start-up; <c>${basedir}</c>, <c>${var:...}</c> and the like work, per-event values do not). Relative paths start at the application's base directory.</summary>
        /// <remarks>Default: none (required).</remarks>
        public Layout? FileName { get; set; }

        /// <summary>
        /// Archive name pattern, e.g. <c>logs/app-%d{yyyy-MM-dd-HH}-%i.log.gz</c>. <c>%d{…}</c> takes
        /// <c>yyyy MM dd HH mm ss</c> (every unit from the year down to the smallest, which sets the
        /// rolling period); <c>%i</c> is the index within one period; a name ending in <c>.gz</c> is
        /// gzip-compressed. Both tokens go in the file name, not the folder.
        /// </summary>
        /// <remarks>Default: none (the file is never archived).</remarks>
        public Layout? ArchiveFileName { get; set; }

        /// <summary>Roll when the active file would grow beyond this many bytes (needs <c>%i</c>); 0 disables.</summary>
        /// <remarks>Default: 0.</remarks>
        public long ArchiveAboveSize { get; set; }

        /// <summary>Keep at most this many archives; 0 keeps all.</summary>
        /// <remarks>Default: 0.</remarks>
        public int MaxArchiveFiles { get; set; }

        /// <summary>Delete archives whose newest possible line is older than this many days; 0 keeps all.</summary>
        /// <remarks>Default: 0.</remarks>
        public int MaxArchiveDays { get; set; }

        /// <summary>Delete the oldest archives while all archives together exceed this many bytes; 0 keeps all.</summary>
        /// <remarks>Default: 0.</remarks>
        public long MaxTotalArchiveBytes { get; set; }

        /// <summary>Bytes gathered in memory before they are written to the file in one call.</summary>
        /// <remarks>Default: 32768.</remarks>
        public int BufferSize { get; set; } = 32768;

        /// <summary>Longest time buffered lines wait before they reach the OS, also when no further event arrives; 0 disables the timer.</summary>
        /// <remarks>Default: 500.</remarks>
        public int FlushIntervalMilliseconds { get; set; } = 500;

        /// <summary>An event at this level or above is written to the OS at once, with everything before it. <c>Off</c> disables.</summary>
        /// <remarks>Default: <c>Error</c>.</remarks>
        public LogLevel FlushOnLevel { get; set; } = LogLevel.Error;

        /// <summary>File encoding.</summary>
        /// <remarks>Default: UTF-8 without BOM.</remarks>
        public Encoding Encoding { get; set; } = new UTF8Encoding(false);

        /// <summary>Line ending.</summary>
        /// <remarks>Default: <c>Default</c> (the platform's new line).</remarks>
        public LineEndingMode LineEnding { get; set; } = LineEndingMode.Default;

        /// <summary>Compression level of <c>.gz</c> archives.</summary>
        /// <remarks>Default: <c>Fastest</c>.</remarks>
        public CompressionLevel CompressionLevel { get; set; } = CompressionLevel.Fastest;

        /// <summary>
        /// Sync each compressed archive to disk (fsync) before it takes its final name, so that even a
        /// power loss never leaves a truncated <c>.gz</c>. Costs throughput while archives are compressed.
        /// </summary>
        /// <remarks>Default: <c>false</c> (a process crash still never leaves a partial archive).</remarks>
        public bool SyncArchivesToDisk { get; set; }

        /// <summary>
        /// Several processes write the same <see cref="FileName"/> (two instances of a service sharing a
        /// log folder): every line lands once and whole, exactly one process performs each roll and each
        /// compression, archive names never collide, and retention never runs in two processes at once.
        /// Every writer of the file must set it. Linux only; elsewhere it is refused at load.
        /// </summary>
        /// <remarks>
        /// Default: <c>false</c>: a second process (or target) opening a file that a live one writes is
        /// refused at initialization with an error naming it.
        /// </remarks>
        public bool ConcurrentWrites { get; set; }

        /// <summary>Raised (on the logging thread) when lines are lost because the file could not be written.</summary>
        public event EventHandler<EventDroppedEventArgs>? EventDropped
        {
            add => _losses.EventDropped += value;
            remove => _losses.EventDropped -= value;
        }

        /// <summary>The clock that decides periods; tests replace it.</summary>
        internal TimeProvider Clock { get; set; }

        /// <summary>The full path of the active file, once initialized.</summary>
        internal string? ActiveFilePath => _file?.Path;

        /// <inheritdoc/>
        protected override void InitializeTarget()
        {
            base.InitializeTarget();
            Utf8LayoutRenderer.ThrowIfInvalid(Layout);
            ReleaseLocks();     // a failed earlier initialization
            var nullEvent = LogEventInfo.CreateNullEvent();
            string fileName = FileName is null ? string.Empty : RenderLogEvent(FileName, nullEvent);
            if (string.IsNullOrWhiteSpace(fileName))
                throw new NLogConfigurationException("ArchiveFile: FileName is required.");
            if (BufferSize < 1)
                throw new NLogConfigurationException("ArchiveFile: BufferSize must be at least 1, was " + BufferSize + ".");
            if (FlushIntervalMilliseconds < 0)
                throw new NLogConfigurationException("ArchiveFile: FlushIntervalMilliseconds must not be negative, was " + FlushIntervalMilliseconds + ".");
            if (ArchiveAboveSize < 0 || MaxArchiveFiles < 0 || MaxArchiveDays < 0 || MaxTotalArchiveBytes < 0)
                throw new NLogConfigurationException("ArchiveFile: ArchiveAboveSize, MaxArchiveFiles, MaxArchiveDays and MaxTotalArchiveBytes must not be negative.");
            if (Encoding is null)
                throw new NLogConfigurationException("ArchiveFile: Encoding is required.");

            string activePath = FullPath(fileName);
            if (Directory.Exists(activePath))
                throw Invalid(nameof(FileName), "names a directory, not a file", activePath);
            if (ConcurrentWrites && !LinuxFile.IsSupported)
                throw Invalid(nameof(ConcurrentWrites), "is supported on Linux only, not on " + RuntimeInformation.OSDescription, "true");
            string archiveName = ArchiveFileName is null ? string.Empty : RenderLogEvent(ArchiveFileName, nullEvent);
            _pattern = null;
            if (archiveName.Length > 0)
                _pattern = ArchiveFilePattern.Parse(FullPath(archiveName), nameof(ArchiveFileName)).ValidateFor(activePath, ArchiveAboveSize);
            else if (ArchiveAboveSize > 0 || MaxArchiveFiles > 0 || MaxArchiveDays > 0 || MaxTotalArchiveBytes > 0)
                throw new NLogConfigurationException("ArchiveFile: ArchiveFileName is required when ArchiveAboveSize, MaxArchiveFiles, MaxArchiveDays or MaxTotalArchiveBytes is set.");

            _encoding = Encoding;
            _renderer = new LineRenderer(Layout, _encoding, LineEnding.NewLineCharacters);
            _footer = Footer is null ? Array.Empty<byte>() : _encoding.GetBytes(RenderLogEvent(Footer, nullEvent) + LineEnding.NewLineCharacters);
            _flushOnOrdinal = (FlushOnLevel ?? LogLevel.Off).Ordinal;
            _pending = new LineBuffer(BufferSize + 1024);
            Array.Clear(_pendingByLevel);
            _failing = false;

            Register(activePath, throwOnRefusal: true);
            var rollLock = _registration?.RollLock;
            _file = new ActiveFile(activePath, rollLock);
            _worker = null;
            _roller = null;
            rollLock?.EnterExclusive();    // start-up recovery and the first header run in one process at a time
            try
            {
                if (_pattern != null)
                {
                    var retention = new ArchiveRetention(_pattern, MaxArchiveFiles, MaxArchiveDays, MaxTotalArchiveBytes, Clock, this);
                    _worker = new ArchiveWorker(retention, CompressionLevel, SyncArchivesToDisk, _registration?.WorkerRollLock, this);
                    _roller = new ArchiveRoller(_pattern, _worker, Clock, activePath, rollLock, this);
                    try
                    {
                        _roller.Recover();
                    }
                    catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                    {
                        InternalLogger.Warn(ex, "{0}: Start-up recovery of '{1}' failed; logging continues", this, activePath);
                    }
                    _worker.EnqueueRetention();
                }
                OpenFile();
            }
            catch
            {
                rollLock?.Exit();
                ReleaseLocks();     // a target that failed to start holds no file
                throw;
            }
            rollLock?.Exit();
            if (FlushIntervalMilliseconds > 0)
                _flushTimer = new Timer(static state => ((ArchiveFileTarget)state!).OnFlushTimer(), this, FlushIntervalMilliseconds, FlushIntervalMilliseconds);
        }

        /// <inheritdoc/>
        protected override void Write(LogEventInfo logEvent)
        {
            RollIfPeriodEnded();
            Append(logEvent);
        }

        /// <inheritdoc/>
        protected override void Write(IList<AsyncLogEventInfo> logEvents)
        {
            RollIfPeriodEnded();
            for (int i = 0; i < logEvents.Count; i++)
            {
                var logEvent = logEvents[i];
                try
                {
                    Append(logEvent.LogEvent);
                }
                catch (Exception ex)
                {
                    logEvent.Continuation(ex);
                    continue;
                }
                logEvent.Continuation(null);
            }
        }

        /// <inheritdoc/>
        protected override void FlushAsync(AsyncContinuation asyncContinuation)
        {
            lock (SyncRoot)
            {
                WritePending();
            }
            if (_worker != null)
                _worker.EnqueueContinuation(asyncContinuation);
            else
                asyncContinuation(null);
        }

        /// <inheritdoc/>
        protected override void CloseTarget()
        {
            _flushTimer?.Dispose();
            _flushTimer = null;
            lock (SyncRoot)
            {
                WritePending();
                CloseFile(writeFooter: !ConcurrentWrites);  // with other writers the file is not finished
                _file = null;   // a timer tick that was already waiting for the lock now finds nothing to do
            }
            if (_worker != null && !_worker.WaitIdle(s_closeTimeout))
                InternalLogger.Warn("{0}: Archive compression still running after {1}; it resumes at the next start-up", this, s_closeTimeout);
            ReleaseLocks();
            base.CloseTarget();
        }

        private void Append(LogEventInfo logEvent)
        {
            var pending = _pending;
            int mark = pending.Count;
            try
            {
                _renderer!.Render(logEvent, pending);
            }
            catch (Exception ex)
            {
                pending.Truncate(mark);
                _losses.Dropped(logEvent.Level, DropReasons.Invalid, 1, ex);
                throw new NLogRuntimeException("ArchiveFile: the layout failed to render an event", ex);
            }

            if (ArchiveAboveSize > 0 && _file != null && _roller != null
                && _file.Length + pending.Count > ArchiveAboveSize && _file.Length + mark > _headerLength)
            {
                WritePending(mark);
                Roll();
            }

            int ordinal = logEvent.Level.Ordinal;
            _pendingByLevel[ordinal]++;
            if (ordinal >= _flushOnOrdinal || pending.Count >= BufferSize)
                WritePending();
        }

        private void RollIfPeriodEnded()
        {
            var roller = _roller;
            if (roller is null || roller.NextRollUtcTicks == long.MaxValue)
                return;
            long now = Clock.GetUtcNow().UtcTicks;
            if (now < roller.NextRollUtcTicks)
                return;

            // An empty period leaves no empty archive; a daylight-saving shift is no new period.
            if (!roller.IsCurrentPeriod(now) && _file != null && _file.Length + _pending.Count > _headerLength)
            {
                WritePending();
                Roll();     // named after the period its lines were written in
            }
            roller.StartPeriod(now);
        }

        private void Roll()
        {
            var file = _file!;
            if (!file.BeginRoll())
                return;     // another process has rolled it; the lines go to the new file
            try
            {
                CloseFile(writeFooter: true);
                _roller!.TryArchive();
                OpenFile();
            }
            finally
            {
                file.EndRoll();
            }
        }

        private void OnFlushTimer()
        {
            try
            {
                lock (SyncRoot)
                {
                    if (_file is null)
                        return;
                    RollIfPeriodEnded();
                    WritePending();
                }
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: Timed flush failed", this);
            }
        }

        private void WritePending() => WritePending(_pending.Count);

        /// <summary>Writes the first <paramref name="count"/> pending bytes to the OS; on failure counts their events as dropped.</summary>
        private void WritePending(int count)
        {
            if (count == 0 || _file is null)
                return;
            var file = _file;
            try
            {
                if (!file.IsOpen || (!file.IsShared && !file.StillExists()))
                {
                    if (!file.IsOpen && Environment.TickCount64 < _nextReopenTicks)
                    {
                        Drop(_lastFailure);     // reopening is tried once a second, not on every line
                        return;
                    }
                    OpenFile(throwOnFailure: true);
                }
                file.Write(new ReadOnlySpan<byte>(_pending.Array, 0, count));
                _losses.Sent(CountPending());
                if (_failing)
                {
                    _failing = false;
                    InternalLogger.Info("{0}: Writing to '{1}' works again", this, file.Path);
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                Drop(ex);
                SafeClose();
                _nextReopenTicks = Environment.TickCount64 + ReopenDelayMilliseconds;
            }
            finally
            {
                Array.Clear(_pendingByLevel);
                _pending.Consume(count);
            }
        }

        private void OpenFile(bool throwOnFailure = false)
        {
            var file = _file!;
            try
            {
                if (_registration is null)
                    Register(file.Path, throwOnRefusal: false);
                file.Open();
                if (file.Length == 0 && Header != null)
                {
                    file.Write(_encoding.GetBytes(RenderLogEvent(Header, LogEventInfo.CreateNullEvent()) + LineEnding.NewLineCharacters));
                    _headerLength = file.Length;
                }
                else
                {
                    _headerLength = 0;
                }
            }
            catch (Exception ex) when (!throwOnFailure && (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException))
            {
                SafeClose();
                _nextReopenTicks = Environment.TickCount64 + ReopenDelayMilliseconds;
                _lastFailure = ex;
                if (!_failing)
                {
                    _failing = true;
                    InternalLogger.Warn(ex, "{0}: Cannot open '{1}'; lines are dropped until it can be opened", this, file.Path);
                }
            }
        }

        private void CloseFile(bool writeFooter)
        {
            if (_file is null || !_file.IsOpen)
                return;
            try
            {
                if (writeFooter && _footer.Length > 0)
                    _file.Write(_footer);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Warn(ex, "{0}: Could not write the footer to '{1}'", this, _file.Path);
            }
            SafeClose();
        }

        private void SafeClose()
        {
            try
            {
                _file?.Close();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Debug(ex, "{0}: Closing the file failed", this);
            }
        }

        private void Drop(Exception? ex)
        {
            _lastFailure = ex;
            if (!_failing)
            {
                _failing = true;
                InternalLogger.Warn(ex, "{0}: Cannot write to '{1}'; lines are dropped until it works again", this, _file?.Path);
            }
            for (int ordinal = 0; ordinal < _pendingByLevel.Length; ordinal++)
                _losses.Dropped(LogLevel.FromOrdinal(ordinal), DropReasons.WriteFailed, _pendingByLevel[ordinal], ex);
        }

        private long CountPending()
        {
            long total = 0;
            for (int i = 0; i < _pendingByLevel.Length; i++)
                total += _pendingByLevel[i];
            return total;
        }

        /// <summary>
        /// Takes <c>FileName.lock</c> (and, with <see cref="ConcurrentWrites"/>, the roll locks). A writer
        /// that does not fit is refused: at initialization with the configuration error, later (the
        /// folder could not be created at start-up) with an <see cref="IOException"/> that drops the lines.
        /// </summary>
        private void Register(string activePath, bool throwOnRefusal)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(activePath)!);
                _registration = WriterRegistration.TryAcquire(activePath, ConcurrentWrites, out string refusal);
                if (_registration is null && throwOnRefusal)
                    throw Invalid(nameof(FileName), refusal, activePath);
                if (_registration is null)
                    throw new IOException("ArchiveFile '" + Name + "': '" + activePath + "' " + refusal);
            }
            catch (Exception ex) when (throwOnRefusal && !ConcurrentWrites && (ex is IOException || ex is UnauthorizedAccessException))
            {
                // Single-process: as for the file itself, logging starts and the lock is taken when the folder can be written.
                InternalLogger.Warn(ex, "{0}: Cannot create the lock file beside '{1}' yet", this, activePath);
            }
        }

        private void ReleaseLocks()
        {
            _registration?.Dispose();
            _registration = null;
        }

        private NLogConfigurationException Invalid(string property, string rule, string value)
            => new NLogConfigurationException("ArchiveFile '" + Name + "': " + property + " " + rule + " (was '" + value + "')");

        private static string FullPath(string path) => Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path));
    }
}
