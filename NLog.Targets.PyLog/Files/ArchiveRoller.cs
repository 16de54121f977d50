using System;
using System.IO;
using NLog.Common;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// Decides archive names and moves the active file into them: the current period, the next
    /// <c>%i</c> within it, when the period ends, and what an earlier run left behind.
    /// The caller closes the active file before <see cref="TryArchive"/> and reopens it after.
    /// </summary>
    /// <remarks>
    /// With <c>ConcurrentWrites</c> other processes roll the same file, so the next <c>%i</c> is read
    /// from the folder at every roll (under the roll lock, so two rolls never pick one name), and an
    /// archive is claimed for compression before the lock is released.
    /// </remarks>
    internal sealed class ArchiveRoller
    {
        private readonly ArchiveFilePattern _pattern;
        private readonly ArchiveWorker _worker;
        private readonly TimeProvider _clock;
        private readonly TimeZoneInfo _zone;
        private readonly string _activePath;
        private readonly RollLock? _rollLock;     // ConcurrentWrites: held exclusively by the caller around Recover and TryArchive
        private readonly object _owner;
        private int _nextIndex = 1;

        public ArchiveRoller(ArchiveFilePattern pattern, ArchiveWorker worker, TimeProvider clock, string activePath, RollLock? rollLock, object owner)
        {
            _rollLock = rollLock;
            _pattern = pattern;
            _worker = worker;
            _clock = clock;
            _zone = clock.LocalTimeZone;
            _activePath = activePath;
            _owner = owner;
        }

        /// <summary>The start (local time) of the period the active file belongs to.</summary>
        public DateTime CurrentPeriod { get; private set; } = DateTime.MinValue;

        /// <summary>UTC ticks at which the current period ends; <see cref="long.MaxValue"/> without <c>%d</c>.</summary>
        public long NextRollUtcTicks { get; private set; } = long.MaxValue;

        /// <summary>
        /// Start-up: finishes compressions an earlier run left undone, archives an active file left
        /// from an older period under that period's name, and finds the next free <c>%i</c>.
        /// </summary>
        public void Recover()
        {
            StartPeriod(_clock.GetUtcNow().UtcTicks);
            ResumeCompressions();

            if (_pattern.HasDate && File.Exists(_activePath))
            {
                var file = new FileInfo(_activePath);
                if (file.Length > 0)
                {
                    DateTime writtenPeriod = _pattern.PeriodStart(ToLocal(file.LastWriteTimeUtc.Ticks));
                    if (writtenPeriod < CurrentPeriod)
                    {
                        var current = CurrentPeriod;
                        CurrentPeriod = writtenPeriod;
                        _nextIndex = FindNextIndex(writtenPeriod);
                        TryArchive();
                        CurrentPeriod = current;
                    }
                }
            }

            _nextIndex = FindNextIndex(CurrentPeriod);
        }

        /// <summary>True when <paramref name="utcTicks"/> falls in the current period.</summary>
        public bool IsCurrentPeriod(long utcTicks) => !_pattern.HasDate || _pattern.PeriodStart(ToLocal(utcTicks)) == CurrentPeriod;

        /// <summary>Moves to the period holding <paramref name="utcTicks"/>; <c>%i</c> starts again at 1.</summary>
        public void StartPeriod(long utcTicks)
        {
            if (!_pattern.HasDate)
                return;
            DateTime period = _pattern.PeriodStart(ToLocal(utcTicks));
            if (period != CurrentPeriod)
                _nextIndex = 1;
            CurrentPeriod = period;
            NextRollUtcTicks = ToUtcTicks(_pattern.NextPeriodStart(period), utcTicks);
        }

        /// <summary>
        /// Renames the (closed) active file to the next archive name of the current period and
        /// queues its compression and retention. False when it stays in place (logged).
        /// </summary>
        public bool TryArchive()
        {
            if (_rollLock != null)
                _nextIndex = Math.Max(_nextIndex, FindNextIndex(CurrentPeriod));
            string finalPath = _pattern.Format(CurrentPeriod, _nextIndex);
            string movedPath = _pattern.IsGzip ? ArchiveFilePattern.UncompressedName(finalPath) : finalPath;
            while (File.Exists(finalPath) || File.Exists(movedPath))
            {
                if (!_pattern.HasIndex)
                {
                    InternalLogger.Warn("{0}: Archive '{1}' exists already (clock set back?); the active file is not archived this time", _owner, finalPath);
                    return false;
                }
                _nextIndex++;
                finalPath = _pattern.Format(CurrentPeriod, _nextIndex);
                movedPath = _pattern.IsGzip ? ArchiveFilePattern.UncompressedName(finalPath) : finalPath;
            }

            FileStream? claim;
            try
            {
                Directory.CreateDirectory(_pattern.Directory);
                _rollLock?.AdvanceGeneration();     // before the move: a roller dying in between only makes the others reopen
                File.Move(_activePath, movedPath);
                ArchiveTestHooks.AfterRename?.Invoke(movedPath);
                claim = _pattern.IsGzip ? ArchiveClaim.TryOpen(movedPath) : null;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Warn(ex, "{0}: Could not move '{1}' to archive '{2}'; writing on to the active file", _owner, _activePath, movedPath);
                return false;
            }

            _nextIndex++;
            if (claim != null)
                _worker.EnqueueCompression(movedPath, finalPath, claim);
            else
                _worker.EnqueueRetention();
            return true;
        }

        /// <summary>
        /// Finishes what a crash interrupted: every uncompressed archive that no live process has
        /// claimed is compressed (its half-written <c>.gz.tmp</c> deleted first), or deleted when its
        /// <c>.gz</c> is complete already.
        /// </summary>
        private void ResumeCompressions()
        {
            if (!_pattern.IsGzip || !Directory.Exists(_pattern.Directory))
                return;
            foreach (var file in new DirectoryInfo(_pattern.Directory).EnumerateFiles())
            {
                if (!_pattern.TryMatchUncompressed(file.Name, out _, out _))
                    continue;
                var claim = ArchiveClaim.TryOpen(file.FullName);
                if (claim is null)
                    continue;   // another process compresses it
                string finalPath = file.FullName + ".gz";
                TryDelete(finalPath + ArchiveWorker.TempSuffix);
                if (File.Exists(finalPath))
                {
                    TryDelete(file.FullName);   // compressed and renamed, but the source survived a crash
                    claim.Dispose();
                }
                else
                {
                    _worker.EnqueueCompression(file.FullName, finalPath, claim);
                }
            }
            foreach (var file in new DirectoryInfo(_pattern.Directory).EnumerateFiles())
            {
                string name = file.Name;
                if (name.EndsWith(ArchiveWorker.TempSuffix, StringComparison.Ordinal)
                    && _pattern.TryMatch(name.Substring(0, name.Length - ArchiveWorker.TempSuffix.Length), out _, out _)
                    && !File.Exists(ArchiveFilePattern.UncompressedName(file.FullName.Substring(0, file.FullName.Length - ArchiveWorker.TempSuffix.Length))))
                {
                    TryDelete(file.FullName);   // its source is gone: nobody can be writing it
                }
            }
        }

        private int FindNextIndex(DateTime period)
        {
            int max = 0;
            if (!_pattern.HasIndex || !Directory.Exists(_pattern.Directory))
                return 1;
            foreach (var file in new DirectoryInfo(_pattern.Directory).EnumerateFiles())
            {
                if ((_pattern.TryMatch(file.Name, out var filePeriod, out int index) || _pattern.TryMatchUncompressed(file.Name, out filePeriod, out index))
                    && filePeriod == period && index > max)
                {
                    max = index;
                }
            }
            return max + 1;
        }

        private DateTime ToLocal(long utcTicks) => TimeZoneInfo.ConvertTimeFromUtc(new DateTime(utcTicks, DateTimeKind.Utc), _zone);

        private long ToUtcTicks(DateTime local, long fallbackUtcTicks)
        {
            if (local == DateTime.MaxValue)
                return long.MaxValue;
            try
            {
                return TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), _zone).Ticks;
            }
            catch (ArgumentException)
            {
                // The boundary falls in a daylight-saving gap: roll a minute later than the last known instant.
                return fallbackUtcTicks + TimeSpan.TicksPerMinute;
            }
        }

        private void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Warn(ex, "{0}: Could not delete '{1}'", _owner, path);
            }
        }
    }
}
