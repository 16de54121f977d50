using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    [TestClass]
    public sealed class ArchiveFileRetentionTests
    {
        private static readonly DateTime s_now = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);

        // Names a careless "starts with app-" cleanup would delete; none matches the pattern.
        private static readonly string[] s_foreign = { "app-notes.txt", "app-2026-11-01.log", "app-2026-11-01-1.log.bak", "other.log", "app-2026-11-01-x.log" };

        private static void CreateForeignFiles(FilesTempFolder folder)
        {
            foreach (var name in s_foreign)
            {
                File.WriteAllText(folder.File(name), "foreign");
                File.SetLastWriteTimeUtc(folder.File(name), s_now.AddYears(-1));
            }
        }

        private static void AssertForeignFilesSurvive(FilesTempFolder folder)
        {
            foreach (var name in s_foreign)
                Assert.IsTrue(File.Exists(folder.File(name)), "retention deleted the foreign file " + name);
        }

        private static ArchiveFileTarget NewTarget(FilesTempFolder folder, FilesFakeClock clock)
            => new ArchiveFileTarget(clock)
            {
                Name = "retention",
                FileName = folder.File("app.log"),
                ArchiveFileName = folder.File("app-%d{yyyy-MM-dd}-%i.log"),
                Layout = "${message}",
                FlushIntervalMilliseconds = 0,
            };

        [TestMethod]
        public void MaxArchiveFiles_KeepsTheNewestAfterEveryRoll()
        {
            using var folder = new FilesTempFolder();
            CreateForeignFiles(folder);
            var target = NewTarget(folder, new FilesFakeClock(s_now));
            target.ArchiveAboveSize = 10;   // every line of 9 bytes fills a file
            target.MaxArchiveFiles = 3;
            var factory = ArchiveFileTestKit.Start(target);

            for (int i = 1; i <= 7; i++)
                factory.GetLogger("t").Info("line-{0:D3}", i);
            factory.Flush();

            CollectionAssert.AreEqual(
                new[] { "app-2026-11-01-1.log.bak", "app-2026-11-01-x.log", "app-2026-11-01.log", "app-2026-11-22-4.log", "app-2026-11-22-5.log", "app-2026-11-22-6.log", "app-notes.txt", "app.log", "other.log" },
                ArchiveFileTestKit.Names(folder.Path));
            CollectionAssert.AreEqual(new[] { "line-006" }, ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-22-6.log")));
            CollectionAssert.AreEqual(new[] { "line-007" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
            factory.Shutdown();
        }

        [TestMethod]
        public void MaxArchiveDays_DeletesOldArchivesAtStartUp()
        {
            using var folder = new FilesTempFolder();
            CreateForeignFiles(folder);
            for (int day = 1; day <= 5; day++)
                File.WriteAllText(folder.File("app-" + s_now.AddDays(-day).ToString("yyyy-MM-dd") + "-1.log"), "old");
            var target = NewTarget(folder, new FilesFakeClock(s_now));
            target.MaxArchiveDays = 2;      // keeps the archives whose last possible line is at most 2 days old
            var factory = ArchiveFileTestKit.Start(target);
            factory.Flush();

            CollectionAssert.AreEqual(
                new[] { "app-2026-11-01-1.log.bak", "app-2026-11-01-x.log", "app-2026-11-01.log", "app-2026-11-20-1.log", "app-2026-11-21-1.log", "app-notes.txt", "other.log" },
                ArchiveFileTestKit.Names(folder.Path).Where(n => n != "app.log").ToArray());
            factory.Shutdown();
        }

        [TestMethod]
        public void MaxTotalArchiveBytes_DeletesTheOldestBeyondTheBudget()
        {
            using var folder = new FilesTempFolder();
            CreateForeignFiles(folder);
            for (int day = 1; day <= 5; day++)
                File.WriteAllBytes(folder.File("app-" + s_now.AddDays(-day).ToString("yyyy-MM-dd") + "-1.log"), new byte[100]);
            var target = NewTarget(folder, new FilesFakeClock(s_now));
            target.MaxTotalArchiveBytes = 250;
            var factory = ArchiveFileTestKit.Start(target);
            factory.Flush();

            CollectionAssert.AreEqual(
                new[] { "app-2026-11-01-1.log.bak", "app-2026-11-01-x.log", "app-2026-11-01.log", "app-2026-11-20-1.log", "app-2026-11-21-1.log", "app-notes.txt", "other.log" },
                ArchiveFileTestKit.Names(folder.Path).Where(n => n != "app.log").ToArray());
            factory.Shutdown();
        }

        [TestMethod]
        public void RetentionOff_KeepsEveryArchive()
        {
            using var folder = new FilesTempFolder();
            var target = NewTarget(folder, new FilesFakeClock(s_now));
            target.ArchiveAboveSize = 10;
            var factory = ArchiveFileTestKit.Start(target);
            for (int i = 1; i <= 30; i++)
                factory.GetLogger("t").Info("line-{0:D3}", i);
            factory.Shutdown();

            Assert.AreEqual(30, ArchiveFileTestKit.Names(folder.Path).Length);
        }

        [TestMethod]
        public void Retention_NeverTouchesArchivesOfAnotherPatternInTheSameFolder()
        {
            using var folder = new FilesTempFolder();
            File.WriteAllText(folder.File("audit-2026-11-01-1.log"), "audit");
            var target = NewTarget(folder, new FilesFakeClock(s_now));
            target.ArchiveAboveSize = 10;
            target.MaxArchiveFiles = 1;
            var factory = ArchiveFileTestKit.Start(target);
            for (int i = 1; i <= 5; i++)
                factory.GetLogger("t").Info("line-{0:D3}", i);
            factory.Shutdown();

            CollectionAssert.AreEqual(new[] { "app-2026-11-22-4.log", "app.log", "audit-2026-11-01-1.log" }, ArchiveFileTestKit.Names(folder.Path));
        }
    }
}
