using System;
using System.Collections.Generic;
using System.IO;
using NLog.Common;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// Deletes the oldest archives beyond <c>MaxArchiveFiles</c>, older than <c>MaxArchiveDays</c>,
    /// or beyond <c>MaxTotalArchiveBytes</c>. Only names the pattern recognises are considered, so
    /// foreign files in the folder, the active file and temporary files are never touched.
    /// </summary>
    internal sealed class ArchiveRetention
    {
        private readonly ArchiveFilePattern _pattern;
        private readonly int _maxFiles;
        private readonly int _maxDays;
        private readonly long _maxBytes;
        private readonly TimeProvider _clock;
        private readonly object _owner;

        public ArchiveRetention(ArchiveFilePattern pattern, int maxFiles, int maxDays, long maxBytes, TimeProvider clock, object owner)
        {
            _pattern = pattern;
            _maxFiles = maxFiles;
            _maxDays = maxDays;
            _maxBytes = maxBytes;
            _clock = clock;
            _owner = owner;
        }

        public bool IsEnabled => _maxFiles > 0 || _maxDays > 0 || _maxBytes > 0;

        /// <summary>Applies every configured rule; returns how many archives were deleted.</summary>
        public int Apply()
        {
            if (!IsEnabled)
                return 0;

            var archives = ListArchives();
            archives.Sort(NewestFirst);

            DateTime nowUtc = _clock.GetUtcNow().UtcDateTime;
            DateTime nowLocal = TimeZoneInfo.ConvertTimeFromUtc(nowUtc, _clock.LocalTimeZone);
            int kept = 0;
            long keptBytes = 0;
            bool olderGo = false;   // once a rule rejects an archive, every older one goes too
            int deleted = 0;
            foreach (var archive in archives)
            {
                if (!olderGo)
                {
                    olderGo = (_maxFiles > 0 && kept >= _maxFiles)
                        || (_maxDays > 0 && IsTooOld(archive, nowUtc, nowLocal))
                        || (_maxBytes > 0 && keptBytes + archive.Length > _maxBytes);
                }

                if (!olderGo)
                {
                    kept++;
                    keptBytes += archive.Length;
                    continue;
                }

                try
                {
                    File.Delete(archive.Path);
                    deleted++;
                    InternalLogger.Debug("{0}: Retention deleted archive '{1}'", _owner, archive.Path);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    InternalLogger.Warn(ex, "{0}: Retention could not delete archive '{1}'", _owner, archive.Path);
                }
            }
            return deleted;
        }

        /// <summary>Every completed archive in the folder, by period and index.</summary>
        public List<ArchiveEntry> ListArchives()
        {
            var result = new List<ArchiveEntry>();
            if (!Directory.Exists(_pattern.Directory))
                return result;

            foreach (var file in new DirectoryInfo(_pattern.Directory).EnumerateFiles())
            {
                if (_pattern.TryMatch(file.Name, out var periodStart, out int index))
                    result.Add(new ArchiveEntry(file.FullName, periodStart, index, file.Length, file.LastWriteTimeUtc));
            }
            return result;
        }

        private bool IsTooOld(ArchiveEntry archive, DateTime nowUtc, DateTime nowLocal)
        {
            var limit = TimeSpan.FromDays(_maxDays);
            if (_pattern.HasDate)
                return nowLocal - _pattern.NextPeriodStart(archive.PeriodStart) > limit;   // the newest line it can hold
            return nowUtc - archive.LastWriteUtc > limit;
        }

        private static int NewestFirst(ArchiveEntry x, ArchiveEntry y)
        {
            int byPeriod = y.PeriodStart.CompareTo(x.PeriodStart);
            if (byPeriod != 0)
                return byPeriod;
            int byIndex = y.Index.CompareTo(x.Index);
            return byIndex != 0 ? byIndex : y.LastWriteUtc.CompareTo(x.LastWriteUtc);
        }
    }

    internal readonly struct ArchiveEntry
    {
        public ArchiveEntry(string path, DateTime periodStart, int index, long length, DateTime lastWriteUtc)
        {
            Path = path;
            PeriodStart = periodStart;
            Index = index;
            Length = length;
            LastWriteUtc = lastWriteUtc;
        }

        public string Path { get; }

        public DateTime PeriodStart { get; }

        public int Index { get; }

        public long Length { get; }

        public DateTime LastWriteUtc { get; }
    }
}
