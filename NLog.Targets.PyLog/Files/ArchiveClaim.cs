using System.IO;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// An uncompressed archive opened for compression. On Linux it is locked (<c>flock</c>, exclusive,
    /// non-blocking) so that of several processes exactly one compresses it, and the kernel frees it
    /// when that process dies mid-way, for the next start-up to finish.
    /// </summary>
    internal static class ArchiveClaim
    {
        /// <summary>The archive to read, or null when it is gone or another process compresses it.</summary>
        public static FileStream? TryOpen(string path)
        {
            if (!LinuxFile.IsSupported)
            {
                try
                {
                    return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
                }
                catch (FileNotFoundException)
                {
                    return null;
                }
            }

            var handle = LinuxFile.TryOpenRead(path);
            if (handle is null)
                return null;
            if (!LinuxFile.TryLock(handle, LinuxFile.LockExclusive) || !File.Exists(path))
            {
                handle.Dispose();   // claimed by another process, or compressed and deleted between the open and the lock
                return null;
            }
            return new FileStream(handle, FileAccess.Read, 1);
        }
    }
}
