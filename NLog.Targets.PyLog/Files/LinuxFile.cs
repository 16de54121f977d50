using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// The Linux calls .NET does not expose: <c>open</c> with <c>O_APPEND</c>, <c>write</c> on such a
    /// handle, <c>flock</c> and <c>ftruncate</c>.
    /// </summary>
    /// <remarks>
    /// A <c>write</c> on an <c>O_APPEND</c> descriptor moves to the end of the file and writes in one
    /// step under the inode's lock, so buffers that several processes append to one local file never
    /// interleave or overwrite each other (.NET's <see cref="FileMode.Append"/> only seeks once, at
    /// open). <c>flock</c> locks belong to an open file description and the kernel drops them when
    /// the holder dies, also on <c>SIGKILL</c>. Handles opened here carry no lock of their own: .NET's
    /// <see cref="FileStream"/> takes a shared <c>flock</c> on every file it opens for writing, which
    /// would keep an exclusive lock on that file from ever being granted.
    /// </remarks>
    internal static class LinuxFile
    {
        public const int LockShared = 1;
        public const int LockExclusive = 2;
        private const int LockNonBlocking = 4;
        private const int Unlock = 8;

        private const int ReadOnly = 0x0;
        private const int WriteOnly = 0x1;
        private const int ReadWrite = 0x2;
        private const int Create = 0x40;
        private const int Append = 0x400;
        private const int CloseOnExec = 0x80000;
        private const int CreateMode = 438;     // 0666, less the umask

        private const int ENOENT = 2;
        private const int EINTR = 4;
        private const int EACCES = 13;
        private const int EWOULDBLOCK = 11;

        public static bool IsSupported => OperatingSystem.IsLinux();

        /// <summary>Opens (creating) <paramref name="path"/> for appending whole buffers.</summary>
        public static SafeFileHandle OpenAppend(string path) => OpenOrThrow(path, WriteOnly | Append | Create | CloseOnExec);

        /// <summary>Opens (creating) a lock file for reading and writing; with <paramref name="append"/>, writes go to its end.</summary>
        public static SafeFileHandle OpenLockFile(string path, bool append) => OpenOrThrow(path, ReadWrite | (append ? Append : 0) | Create | CloseOnExec);

        /// <summary>Opens <paramref name="path"/> for reading; null when it does not exist.</summary>
        public static SafeFileHandle? TryOpenRead(string path)
        {
            int fd;
            while ((fd = open(path, ReadOnly | CloseOnExec, 0)) < 0 && Marshal.GetLastPInvokeError() == EINTR)
            {
            }
            if (fd >= 0)
                return new SafeFileHandle((IntPtr)fd, ownsHandle: true);
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENOENT)
                return null;
            throw Error(errno, path);
        }

        /// <summary>Blocks until the lock (<see cref="LockShared"/> or <see cref="LockExclusive"/>) is held.</summary>
        public static void Lock(SafeFileHandle handle, int operation)
        {
            if (Flock(handle, operation) != 0)
                throw Error(Marshal.GetLastPInvokeError(), "flock");
        }

        /// <summary>Takes the lock if no other holder conflicts; false when one does.</summary>
        public static bool TryLock(SafeFileHandle handle, int operation)
        {
            if (Flock(handle, operation | LockNonBlocking) == 0)
                return true;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EWOULDBLOCK)
                return false;
            throw Error(errno, "flock");
        }

        public static void Release(SafeFileHandle handle)
        {
            if (Flock(handle, Unlock) != 0)
                throw Error(Marshal.GetLastPInvokeError(), "flock");
        }

        public static void Truncate(SafeFileHandle handle)
        {
            int result;
            while ((result = ftruncate(handle, 0)) < 0 && Marshal.GetLastPInvokeError() == EINTR)
            {
            }
            if (result != 0)
                throw Error(Marshal.GetLastPInvokeError(), "ftruncate");
        }

        /// <summary>Writes all of <paramref name="bytes"/>; on an <c>O_APPEND</c> handle, at the end of the file.</summary>
        public static void WriteAll(SafeFileHandle handle, ReadOnlySpan<byte> bytes, string path)
        {
            while (!bytes.IsEmpty)
            {
                nint written = write(handle, ref MemoryMarshal.GetReference(bytes), (nuint)bytes.Length);
                if (written < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                        continue;
                    throw Error(errno, path);
                }
                // A regular local file writes short only when the disk is full, and the next call then fails.
                bytes = bytes.Slice((int)written);
            }
        }

        /// <summary>
        /// <c>fsync</c> of a directory: the entries of files created in it (and renames, deletions)
        /// then survive a power loss; an fsync of the file itself does not cover its name.
        /// </summary>
        public static void SyncDirectory(string path)
        {
            using var handle = OpenOrThrow(path, ReadOnly | CloseOnExec);
            int result;
            while ((result = fsync(handle)) < 0 && Marshal.GetLastPInvokeError() == EINTR)
            {
            }
            if (result < 0)
                throw Error(Marshal.GetLastPInvokeError(), path);
        }

        private static SafeFileHandle OpenOrThrow(string path, int flags)
        {
            int fd;
            while ((fd = open(path, flags, CreateMode)) < 0 && Marshal.GetLastPInvokeError() == EINTR)
            {
            }
            if (fd < 0)
                throw Error(Marshal.GetLastPInvokeError(), path);
            return new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        }

        private static int Flock(SafeFileHandle handle, int operation)
        {
            int result;
            while ((result = flock(handle, operation)) < 0 && Marshal.GetLastPInvokeError() == EINTR)
            {
            }
            return result;
        }

        private static Exception Error(int errno, string what)
        {
            string message = what + ": " + Marshal.GetPInvokeErrorMessage(errno);
            return errno == EACCES ? new UnauthorizedAccessException(message) : new IOException(message, errno);
        }

        // Descriptors are C ints; a SafeFileHandle passes as a pointer-sized value, whose low 32 bits
        // are the int the callee reads on the 64-bit ABIs .NET runs on (x64, arm64).
        [DllImport("libc", SetLastError = true)]
        private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

        [DllImport("libc", SetLastError = true)]
        private static extern int flock(SafeFileHandle fd, int operation);

        [DllImport("libc", SetLastError = true)]
        private static extern int fsync(SafeFileHandle fd);

        [DllImport("libc", SetLastError = true)]
        private static extern int ftruncate(SafeFileHandle fd, nint length);

        [DllImport("libc", SetLastError = true)]
        private static extern nint write(SafeFileHandle fd, ref byte buffer, nuint count);
    }
}
