using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.DiskBuffer;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>
    /// A new segment's name must reach the device too (an fsync of the file alone does not make its
    /// directory entry durable on Linux): the directory is fsynced within FsyncIntervalMilliseconds of
    /// a segment's creation, and when a segment is closed.
    /// </summary>
    [TestClass]
    public sealed class DiskBufferPowerLossTests
    {
        [TestMethod]
        public void New_segment_name_is_fsynced_within_the_fsync_interval_after_each_roll()
        {
            using var folder = new FilesTempFolder();
            // The segment files the directory held each time it was fsynced.
            var synced = new ConcurrentQueue<string[]>();
            var syncedDirectories = new ConcurrentQueue<string>();
            // Down: every event stays on disk, so every segment the writer rolls to stays too.
            var wrapped = new PlainTestTarget { Name = "down", Throw = true };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path, w =>
            {
                w.FsyncIntervalMilliseconds = 20;
                w.SegmentBytes = 4096;
                w.RetryDelayMilliseconds = 60000;
                w.MaxRetryDelayMilliseconds = 60000;
                w.SyncDirectory = directory =>
                {
                    syncedDirectories.Enqueue(directory);
                    synced.Enqueue(DiskBufferTestKit.Segments(directory));
                    DirectorySync.Sync(directory);
                };
            });
            Poll.Until(() => !synced.IsEmpty, "the directory is fsynced after the first segment was created");
            Assert.AreEqual(wrapper.BufferDirectory, syncedDirectories.Distinct().Single());

            var logger = factory.GetLogger("test");
            for (int i = 0; i < 200; i++)
                logger.Info("event {0} with enough text to fill a 4 KiB segment quickly", i);
            Poll.Until(() => wrapper.BufferedEvents == 200, "every event is on disk");
            string[] segments = DiskBufferTestKit.Segments(folder.Path);
            Assert.IsTrue(segments.Length >= 3, "the writer rolled to new segments: " + segments.Length);
            Poll.Until(() => synced.Any(seen => segments.All(seen.Contains)), "a directory fsync after the last roll covered every segment's name");
            factory.Shutdown();
        }

        [TestMethod]
        public void FsyncIntervalMilliseconds_zero_syncs_the_directory_only_when_the_segment_is_closed()
        {
            using var folder = new FilesTempFolder();
            var synced = new ConcurrentQueue<string>();
            var wrapped = new ReportingTestTarget { Name = "wrapped" };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path, w =>
            {
                w.FsyncIntervalMilliseconds = 0;
                w.SyncDirectory = directory => synced.Enqueue(directory);
            });
            factory.GetLogger("test").Info("one");
            factory.Flush(TimeSpan.FromSeconds(10));
            Assert.AreEqual(0, synced.Count, "FsyncIntervalMilliseconds=0: no fsync while the segment is open");
            string directory = wrapper.BufferDirectory!;
            factory.Shutdown();
            CollectionAssert.Contains(synced.ToArray(), directory, "closing the segment fsynced the directory");
        }

        [TestMethod]
        public void Directory_fsync_works_on_a_real_directory_and_reports_a_missing_one()
        {
            using var folder = new FilesTempFolder();
            DirectorySync.Sync(folder.Path);
            if (OperatingSystem.IsLinux())
                Assert.ThrowsExactly<IOException>(() => DirectorySync.Sync(Path.Combine(folder.Path, "missing")));
        }
    }
}
