using System;
using System.Buffers.Binary;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// With <c>ConcurrentWrites</c>: the lock file <c>FileName.roll.lock</c> that the processes writing
    /// one file share. Every buffered write holds it shared (writers do not wait for each other: their
    /// <c>O_APPEND</c> writes cannot interleave); a roll, start-up recovery and retention hold it
    /// exclusively. Its first 8 bytes count the rolls: a writer that finds the count changed under its
    /// shared lock knows the file it holds open has been archived, and opens the active file again.
    /// </summary>
    /// <remarks>
    /// The count is advanced before the active file is renamed, so a roller that dies between the two
    /// only makes the others reopen the same file. <c>flock</c> locks belong to one open file
    /// description, so each thread that takes this lock has its own instance; a nested
    /// <see cref="EnterShared"/> inside a held lock (the footer written during a roll) takes nothing.
    /// </remarks>
    internal sealed class RollLock : IDisposable
    {
        public const string Suffix = ".roll.lock";

        private readonly SafeFileHandle _handle;
        private int _depth;
        private bool _exclusive;

        public RollLock(string activePath)
        {
            _handle = LinuxFile.OpenLockFile(activePath + Suffix, append: false);
        }

        public void EnterShared()
        {
            if (_depth++ > 0)
                return;
            try
            {
                LinuxFile.Lock(_handle, LinuxFile.LockShared);
            }
            catch
            {
                _depth = 0;
                throw;
            }
        }

        public void EnterExclusive()
        {
            if (_depth > 0)
                throw new InvalidOperationException("The roll lock is held already; a shared lock cannot become exclusive in place.");
            LinuxFile.Lock(_handle, LinuxFile.LockExclusive);
            _depth = 1;
            _exclusive = true;
        }

        public void Exit()
        {
            if (_depth == 0 || --_depth > 0)
                return;
            _exclusive = false;
            LinuxFile.Release(_handle);
        }

        /// <summary>How many times the active file has been archived (read under the lock).</summary>
        public long ReadGeneration()
        {
            Span<byte> bytes = stackalloc byte[8];
            return RandomAccess.Read(_handle, bytes, 0) == bytes.Length ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;
        }

        /// <summary>Tells every writer that the active file is about to be archived; needs the exclusive lock.</summary>
        public void AdvanceGeneration()
        {
            if (!_exclusive)
                throw new InvalidOperationException("The roll lock is not held exclusively.");
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, ReadGeneration() + 1);
            RandomAccess.Write(_handle, bytes, 0);
        }

        public void Dispose() => _handle.Dispose();
    }
}
