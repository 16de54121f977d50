using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    /// <summary>Disk and folder failures: the application keeps running, losses are counted, the file comes back.</summary>
    [TestClass]
    public sealed class ArchiveFileFailureTests
    {
        private static readonly DateTime s_now = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);

        [TestMethod]
        public void DeletedDirectory_IsRecreated_AndLaterLinesLand()
        {
            using var folder = new FilesTempFolder();
            string logs = Path.Combine(folder.Path, "logs");
            using var metrics = new MetricCollector("deleted-dir");
            var target = new ArchiveFileTarget(new FilesFakeClock(s_now))
            {
                Name = "deleted-dir",
                FileName = Path.Combine(logs, "app.log"),
                ArchiveFileName = Path.Combine(logs, "app-%d{yyyy-MM-dd}-%i.log.gz"),
                ArchiveAboveSize = 30,
                Layout = "${message}",
                FlushIntervalMilliseconds = 0,
            };
            var factory = ArchiveFileTestKit.Start(target);
            var logger = factory.GetLogger("t");

            logger.Info("before");
            factory.Flush();
            Directory.Delete(logs, recursive: true);
            logger.Info("after-1");
            logger.Info("after-2");
            logger.Info("after-3");
            logger.Info("after-4");
            factory.Shutdown();

            Assert.IsTrue(Directory.Exists(logs), "the folder was not recreated");
            var lines = ArchiveFileTestKit.Names(logs).OrderBy(n => n == "app.log" ? "~" : n, StringComparer.Ordinal)
                .SelectMany(n => ArchiveFileTestKit.ReadLines(Path.Combine(logs, n))).ToArray();
            CollectionAssert.AreEqual(new[] { "after-1", "after-2", "after-3", "after-4" }, lines);
            Assert.AreEqual(0, metrics.Dropped(DropReasons.WriteFailed));
        }

        /// <summary>
        /// Tests run as root, which chmod does not stop; a regular file where the folder should be
        /// fails folder creation and open for every user, the way a missing permission does.
        /// </summary>
        [TestMethod]
        public void UnwritablePath_CountsTheLostLinesByLevel_AndRecoversWhenThePathIsFixed()
        {
            using var folder = new FilesTempFolder();
            string blocker = folder.File("logs");
            File.WriteAllText(blocker, "a file where the log folder should be");
            using var metrics = new MetricCollector("unwritable");
            var dropped = new ConcurrentBag<EventDroppedEventArgs>();
            var target = new ArchiveFileTarget(new FilesFakeClock(s_now))
            {
                Name = "unwritable",
                FileName = Path.Combine(blocker, "app.log"),
                ArchiveFileName = Path.Combine(blocker, "app-%d{yyyy-MM-dd}.log"),
                Layout = "${message}",
                FlushIntervalMilliseconds = 0,
            };
            target.EventDropped += (_, e) => dropped.Add(e);
            var factory = ArchiveFileTestKit.Start(target);
            var logger = factory.GetLogger("t");

            logger.Info("lost-1");
            logger.Warn("lost-2");
            logger.Info("lost-3");
            logger.Error("lost-4");     // FlushOnLevel: the write is attempted now

            Assert.AreEqual(2, metrics.Dropped(DropReasons.WriteFailed, "Info"));
            Assert.AreEqual(1, metrics.Dropped(DropReasons.WriteFailed, "Warn"));
            Assert.AreEqual(1, metrics.Dropped(DropReasons.WriteFailed, "Error"));
            Assert.AreEqual(4, dropped.Sum(e => e.Count));
            Assert.IsTrue(dropped.All(e => e.Reason == DropReasons.WriteFailed && e.Target == "unwritable" && e.Exception is IOException));

            File.Delete(blocker);
            int attempt = 0;
            bool recovered = ArchiveFileTestKit.WaitFor(() =>
            {
                logger.Error("retry-{0}", ++attempt);
                return File.Exists(Path.Combine(blocker, "app.log"));
            }, 10000);
            Assert.IsTrue(recovered, "the target never reopened the file after the path was fixed");
            logger.Error("final");
            factory.Shutdown();

            var lines = ArchiveFileTestKit.ReadLines(Path.Combine(blocker, "app.log"));
            Assert.AreEqual("final", lines[lines.Length - 1]);
            Assert.AreEqual(4 + attempt, metrics.Dropped(DropReasons.WriteFailed) + lines.Length - 1, "every line is either written or counted as dropped");
        }

        [TestMethod]
        public void DiskFull_CountsTheLostLines_AndNeverThrows()
        {
            if (!File.Exists("/dev/full"))
                Assert.Fail("This test needs /dev/full (Linux) to simulate a full disk.");
            using var metrics = new MetricCollector("disk-full");
            var target = new ArchiveFileTarget(new FilesFakeClock(s_now))
            {
                Name = "disk-full",
                FileName = "/dev/full",
                Layout = "${message}",
                FlushIntervalMilliseconds = 0,
            };
            var factory = ArchiveFileTestKit.Start(target);
            factory.ThrowExceptions = true;    // even so, nothing may reach the caller
            var logger = factory.GetLogger("t");

            logger.Info("a");
            logger.Error("b");
            logger.Fatal("c");
            factory.Flush();
            factory.Shutdown();

            Assert.AreEqual(1, metrics.Dropped(DropReasons.WriteFailed, "Info"));
            Assert.AreEqual(1, metrics.Dropped(DropReasons.WriteFailed, "Error"));
            Assert.AreEqual(1, metrics.Dropped(DropReasons.WriteFailed, "Fatal"));
        }
    }
}
