using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>A full disk, a read-only or a deleted directory: logging goes on, events go straight to the wrapped target (counted), buffering resumes when the directory is usable.</summary>
    [TestClass]
    public sealed class DiskBufferUnwritableDirectoryTests
    {
        private static void LogBatch(Logger logger, string prefix, int count)
        {
            for (int i = 0; i < count; i++)
                logger.Info("{0} {1}", prefix, i);
        }

        [TestMethod]
        public void Full_disk_hands_events_straight_over_and_buffering_resumes_when_space_returns()
        {
            using var disk = TinyTmpfs.Mount(256);
            string directory = Path.Combine(disk.Path, "buffer");
            var wrapped = new ReportingTestTarget { Name = "wrapped" };
            using var metrics = new MetricCollector("buffer");
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, directory);
            var logger = factory.GetLogger("test");
            LogBatch(logger, "before", 10);
            Poll.Until(() => wrapped.Delivered.Count == 10, "buffered events delivered");

            string filler = disk.Fill();
            LogBatch(logger, "full", 3000); // ~180 KB of records: more than any slack the file system had
            Poll.Until(() => wrapper.IsBypassingBuffer, "the wrapper noticed ENOSPC");
            LogBatch(logger, "bypass", 100);
            Poll.Until(() => wrapped.Delivered.Count(m => m.StartsWith("bypass", StringComparison.Ordinal)) == 100, "events logged during the outage went straight to the wrapped target");
            Assert.IsTrue(metrics.SyncFallback >= 100, "what could not be buffered is counted in pylog.events.sync_fallback (" + metrics.SyncFallback + ")");

            File.Delete(filler);
            Poll.Until(() => !wrapper.IsBypassingBuffer, "buffering resumed once there was space again");
            LogBatch(logger, "after", 10);
            factory.Flush(TimeSpan.FromSeconds(10));
            Assert.IsTrue(DiskBufferTestKit.Segments(directory).Length > 0);
            factory.Shutdown();

            var delivered = wrapped.Delivered;
            foreach (var prefix in new[] { "before", "full", "bypass", "after" })
            {
                int expected = prefix == "full" ? 3000 : prefix == "bypass" ? 100 : 10;
                Assert.AreEqual(expected, delivered.Count(m => m.StartsWith(prefix + " ", StringComparison.Ordinal)), prefix + ": every event delivered exactly once");
            }
        }

        [TestMethod]
        public void Read_only_directory_at_start_up_bypasses_the_buffer_until_it_is_writable()
        {
            using var disk = TinyTmpfs.Mount(1024);
            string directory = Path.Combine(disk.Path, "buffer");
            Directory.CreateDirectory(directory);
            disk.ReadOnly();
            var wrapped = new ReportingTestTarget { Name = "wrapped" };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, directory);
            var logger = factory.GetLogger("test");
            Assert.IsTrue(wrapper.IsBypassingBuffer, "a read-only directory does not stop the application");
            LogBatch(logger, "readonly", 20);
            Poll.Until(() => wrapped.Delivered.Count == 20, "events went straight to the wrapped target");

            disk.Writable();
            Poll.Until(() => !wrapper.IsBypassingBuffer, "buffering resumed once the directory was writable", 15_000);
            LogBatch(logger, "writable", 20);
            Poll.Until(() => wrapped.Delivered.Count == 40, "buffered events delivered");
            Assert.IsTrue(File.Exists(Path.Combine(directory, "buffer.lock")), "the directory lock was taken once it could be");
            factory.Shutdown();
        }

        [TestMethod]
        public void Deleted_directory_is_made_again_and_logging_goes_on()
        {
            using var folder = new FilesTempFolder();
            string directory = Path.Combine(folder.Path, "buffer");
            var wrapped = new ReportingTestTarget { Name = "wrapped" };
            var (factory, _) = DiskBufferTestKit.Create(wrapped, directory);
            var logger = factory.GetLogger("test");
            LogBatch(logger, "before", 10);
            Poll.Until(() => wrapped.Delivered.Count == 10, "delivered");

            Directory.Delete(directory, recursive: true);
            LogBatch(logger, "after", 10);
            Poll.Until(() => wrapped.Delivered.Count == 20, "events logged after the deletion were delivered");
            Poll.Until(() => DiskBufferTestKit.Segments(directory).Length > 0, "a new segment in the recreated directory");
            StringAssert.StartsWith(File.ReadAllText(Path.Combine(directory, "buffer.lock")), Environment.ProcessId + "\n", "the lock is back");
            factory.Shutdown();
        }
    }
}
