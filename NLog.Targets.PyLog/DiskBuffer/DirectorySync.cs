using System;
using NLog.Targets.PyLog.Files;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>The directory fsync the segment writer calls after creating a segment (Linux only).</summary>
    /// <remarks>
    /// On Linux (ext4, xfs) a new file's directory entry reaches the device only with an fsync of the
    /// directory. On other systems no call is made; the README says what that leaves uncovered.
    /// </remarks>
    internal static class DirectorySync
    {
        public static void Sync(string directory)
        {
            if (OperatingSystem.IsLinux())
                LinuxFile.SyncDirectory(directory);
        }
    }
}
