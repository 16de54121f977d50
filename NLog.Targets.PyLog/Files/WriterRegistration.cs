using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// Who writes a file. Every target that opens <c>FileName</c> holds <c>FileName.lock</c> beside it
    /// for as long as it is open: exclusively without <c>ConcurrentWrites</c>, shared with it. A writer
    /// that does not fit (a second one without <c>ConcurrentWrites</c>, or a mix of both modes) is
    /// refused at initialization with a message naming the process that holds the file, instead of
    /// the two silently overwriting each other's lines and archives.
    /// </summary>
    /// <remarks>
    /// On Linux the lock is <c>flock</c> and the file lists the holders' process ids; the kernel drops
    /// the lock of a crashed holder, so a stale lock file never blocks a restart. Elsewhere it is a
    /// <see cref="FileShare.None"/> handle (Windows share modes, <c>flock</c> on other Unixes), and the
    /// holder cannot be named. The file itself stays: deleting a lock file races its next opener.
    /// </remarks>
    internal sealed class WriterRegistration : IDisposable
    {
        public const string Suffix = ".lock";

        /// <summary>How long a <c>ConcurrentWrites</c> writer waits out another writer's exclusive lock before it is refused.</summary>
        internal static readonly TimeSpan SharedLockPatience = TimeSpan.FromSeconds(2);

        private readonly IDisposable _handle;

        private WriterRegistration(IDisposable handle, string activePath, bool concurrent)
        {
            _handle = handle;
            if (concurrent)
            {
                RollLock = new RollLock(activePath);
                WorkerRollLock = new RollLock(activePath);     // flock locks are per open file: the archive worker needs its own
            }
        }

        /// <summary>With <c>ConcurrentWrites</c>: the roll lock of the logging thread.</summary>
        public RollLock? RollLock { get; }

        /// <summary>With <c>ConcurrentWrites</c>: the roll lock of the archive worker (retention).</summary>
        public RollLock? WorkerRollLock { get; }

        /// <summary>Registers this process as a writer of <paramref name="activePath"/>; null and a reason when it may not write it.</summary>
        public static WriterRegistration? TryAcquire(string activePath, bool concurrent, out string refusal)
        {
            string path = activePath + Suffix;
            refusal = string.Empty;
            if (!LinuxFile.IsSupported)
            {
                try
                {
                    return new WriterRegistration(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1), activePath, concurrent);
                }
                catch (IOException)
                {
                    refusal = "is already written by another process (it holds '" + path + "')";
                    return null;
                }
            }

            var handle = LinuxFile.OpenLockFile(path, append: true);
            try
            {
                if (TryRegister(handle, concurrent, path, out refusal))
                    return new WriterRegistration(handle, activePath, concurrent);
                handle.Dispose();
                return null;
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            RollLock?.Dispose();
            WorkerRollLock?.Dispose();
            _handle.Dispose();
        }

        private static bool TryRegister(SafeFileHandle handle, bool concurrent, string path, out string refusal)
        {
            refusal = string.Empty;
            if (concurrent)
                return TryRegisterShared(handle, path, out refusal);

            if (LinuxFile.TryLock(handle, LinuxFile.LockExclusive))
            {
                // The only writer: the list of holders starts afresh (crashed holders leave their ids behind).
                LinuxFile.Truncate(handle);
                AppendOwnId(handle, path);
                return true;
            }

            bool holdersShare = LinuxFile.TryLock(handle, LinuxFile.LockShared);
            string holders = Holders(handle);
            if (holdersShare)
                LinuxFile.Release(handle);
            refusal = holdersShare
                ? "is already written by " + holders + " with ConcurrentWrites=\"true\"; set it here too"
                : "is already written by " + holders + "; two processes may write one file only when each sets ConcurrentWrites=\"true\"";
            return false;
        }

        /// <summary>
        /// A <c>ConcurrentWrites</c> writer: the first one takes the lock exclusively to start the list of
        /// holders afresh, then turns it into a shared lock, which every later one takes beside it.
        /// </summary>
        /// <remarks>
        /// <c>flock</c> does not turn an exclusive lock into a shared one atomically (it is released
        /// first), and another writer starting at that moment finds the file locked exclusively,
        /// which would look like a writer without <c>ConcurrentWrites</c>. So the exclusive state is
        /// waited out for up to <see cref="SharedLockPatience"/>: a starting writer holds it for
        /// microseconds, a writer without <c>ConcurrentWrites</c> for as long as it runs.
        /// </remarks>
        private static bool TryRegisterShared(SafeFileHandle handle, string path, out string refusal)
        {
            long deadline = Stopwatch.GetTimestamp() + (long)(SharedLockPatience.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                if (LinuxFile.TryLock(handle, LinuxFile.LockExclusive))
                {
                    // The only writer: the list of holders starts afresh (crashed holders leave their ids behind).
                    LinuxFile.Truncate(handle);
                    if (LinuxFile.TryLock(handle, LinuxFile.LockShared))
                    {
                        AppendOwnId(handle, path);
                        refusal = string.Empty;
                        return true;
                    }
                    // Another writer took the lock in the gap of the conversion: try again.
                }
                else if (LinuxFile.TryLock(handle, LinuxFile.LockShared))
                {
                    AppendOwnId(handle, path);
                    refusal = string.Empty;
                    return true;
                }
                if (Stopwatch.GetTimestamp() > deadline)
                    break;
                Thread.Sleep(5);
            }
            refusal = "is already written by " + Holders(handle) + " without ConcurrentWrites; set ConcurrentWrites=\"true\" on every writer of the file";
            return false;
        }

        private static void AppendOwnId(SafeFileHandle handle, string path)
            => LinuxFile.WriteAll(handle, Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"), path);

        /// <summary>"process 1234", "processes 1234, 5678", or "this process (another target)": the live ids the lock file lists.</summary>
        private static string Holders(SafeFileHandle handle)
        {
            var buffer = new byte[4096];
            int length = RandomAccess.Read(handle, buffer, 0);
            var live = new List<string>();
            foreach (var line in Encoding.ASCII.GetString(buffer, 0, length).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || live.Contains(line))
                    continue;
                if (pid == Environment.ProcessId)
                    live.Add(line + " (this process: another target writes the same file)");
                else if (Directory.Exists("/proc/" + line))
                    live.Add(line);
            }
            return live.Count switch
            {
                0 => "another process",
                1 => "process " + live[0],
                _ => "processes " + string.Join(", ", live),
            };
        }
    }
}
