using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using NLog.Common;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// Makes one buffer directory belong to one wrapper: a file <c>buffer.lock</c> created with
    /// <see cref="FileMode.CreateNew"/> (atomic on every OS) holding the owner's pid and process start
    /// time. A lock whose process is gone (or whose pid was reused by a process started later) is
    /// stale and taken over. Within one process a set of held directories stops two wrappers sharing one.
    /// </summary>
    /// <remarks>
    /// Two processes taking over the same stale lock at the same instant can both succeed (the
    /// delete and the create are two steps); starting two instances at once on a directory left by
    /// a crash is the one case this does not cover.
    /// </remarks>
    internal sealed class DirectoryLock : IDisposable
    {
        public const string FileName = "buffer.lock";

        private static readonly HashSet<string> s_heldInProcess = new HashSet<string>(StringComparer.Ordinal);

        private readonly string _directory;
        private bool _released;

        private DirectoryLock(string directory, string path)
        {
            _directory = directory;
            Path = path;
        }

        public string Path { get; }

        /// <summary>Takes the lock or throws <see cref="DirectoryLockedException"/> naming the holder.</summary>
        public static DirectoryLock Acquire(string directory)
        {
            string path = System.IO.Path.Combine(directory, FileName);
            lock (s_heldInProcess)
            {
                if (s_heldInProcess.Contains(directory))
                    throw new DirectoryLockedException(directory, Environment.ProcessId);

                for (int attempt = 0; ; attempt++)
                {
                    if (TryCreate(path))
                    {
                        s_heldInProcess.Add(directory);
                        return new DirectoryLock(directory, path);
                    }
                    var holder = ReadHolder(path);
                    if (holder.Pid != 0 && IsAlive(holder.Pid, holder.StartTicks) && holder.Pid != Environment.ProcessId)
                        throw new DirectoryLockedException(directory, holder.Pid);
                    if (attempt >= 3)
                        throw new IOException($"Could not take over the stale lock file '{path}'.");
                    InternalLogger.Info("DiskBufferWrapper: taking over the stale lock of process {0} on '{1}'.", holder.Pid, directory);
                    try
                    {
                        File.Delete(path);
                    }
                    catch (FileNotFoundException)
                    {
                    }
                }
            }
        }

        /// <summary>Writes the lock file again after the directory was deleted or emptied behind our back.</summary>
        public void Restore()
        {
            if (!File.Exists(Path))
                TryCreate(Path);
        }

        public void Dispose()
        {
            lock (s_heldInProcess)
            {
                if (_released)
                    return;
                _released = true;
                s_heldInProcess.Remove(_directory);
            }
            try
            {
                var holder = ReadHolder(Path);
                if (holder.Pid == Environment.ProcessId)
                    File.Delete(Path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Debug(ex, "DiskBufferWrapper: could not remove the lock file '{0}'.", Path);
            }
        }

        private static bool TryCreate(string path)
        {
            try
            {
                using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                long startTicks = CurrentStartTicks();
                var text = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n{startTicks}\n");
                var bytes = System.Text.Encoding.ASCII.GetBytes(text);
                file.Write(bytes, 0, bytes.Length);
                file.Flush(flushToDisk: true);
                return true;
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
        }

        private static (int Pid, long StartTicks) ReadHolder(string path)
        {
            try
            {
                string[] lines = File.ReadAllText(path).Split('\n');
                int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid);
                long start = 0;
                if (lines.Length > 1)
                    long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out start);
                return (pid, start);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // Unreadable or half-written: treat as the lock of a process that died while writing it.
                return (0, 0);
            }
        }

        private static long CurrentStartTicks()
        {
            try
            {
                using var self = Process.GetCurrentProcess();
                return self.StartTime.ToUniversalTime().Ticks;
            }
            catch (Exception ex) when (ex is InvalidOperationException || ex is NotSupportedException || ex is System.ComponentModel.Win32Exception)
            {
                return 0;
            }
        }

        private static bool IsAlive(int pid, long startTicks)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                if (process.HasExited)
                    return false;
                if (startTicks == 0)
                    return true;
                // A reused pid belongs to a process that started later than the one that wrote the lock.
                long actual = process.StartTime.ToUniversalTime().Ticks;
                return Math.Abs(actual - startTicks) < TimeSpan.TicksPerSecond;
            }
            catch (ArgumentException)
            {
                return false;
            }
            catch (Exception ex) when (ex is InvalidOperationException || ex is NotSupportedException || ex is System.ComponentModel.Win32Exception)
            {
                // Cannot inspect it (another user's process): assume it is alive rather than steal its directory.
                return true;
            }
        }
    }

    /// <summary>The directory is held by another live process (or another wrapper of this one).</summary>
    internal sealed class DirectoryLockedException : Exception
    {
        public DirectoryLockedException(string directory, int holderPid)
            : base($"the directory '{directory}' is in use by process {holderPid.ToString(CultureInfo.InvariantCulture)}")
        {
            Directory = directory;
            HolderPid = holderPid;
        }

        public string Directory { get; }

        public int HolderPid { get; }
    }
}
