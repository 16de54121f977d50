using System;
using NLog.Targets.PyLog.Files;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>The directory fsync the segment writer calls after creating a segment (Linux; elsewhere nothing to do).</summary>
    /// <remarks>
    /// On Linux (ext4, xfs) a new file's directory entry reaches the device only with an fsync of the
    /// directory. NTFS journals the metadata of a flushed file itself, so Windows needs no call here;
    /// on other systems no call is made and the README says so.
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
