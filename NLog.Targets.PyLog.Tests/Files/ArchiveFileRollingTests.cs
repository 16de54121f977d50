using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    [TestClass]
    public sealed class ArchiveFileRollingTests
    {
        private static readonly DateTime s_start = new DateTime(2026, 11, 22, 10, 59, 30, DateTimeKind.Utc);

        private static ArchiveFileTarget NewTarget(FilesTempFolder folder, FilesFakeClock clock, string archive)
            => new ArchiveFileTarget(clock)
            {
                Name = "roll",
                FileName = folder.File("app.log"),
                ArchiveFileName = folder.File(archive),
                Layout = "${message}",
                FlushIntervalMilliseconds = 0,
            };

        [TestMethod]
        public void TimeRoll_ArchivesUnderThePeriodTheLinesWereWrittenIn()
        {
            using var folder = new FilesTempFolder();
            var clock = new FilesFakeClock(s_start);
            var factory = ArchiveFileTestKit.Start(NewTarget(folder, clock, "app-%d{yyyy-MM-dd-HH}.log"));
            var logger = factory.GetLogger("t");

            logger.Info("a");
            logger.Info("b");
            clock.Advance(TimeSpan.FromSeconds(35));    // 11:00:05
            logger.Info("c");
            clock.Advance(TimeSpan.FromMinutes(30));    // same hour: no roll
            logger.Info("d");
            factory.Shutdown();

            CollectionAssert.AreEqual(new[] { "app-2026-11-22-10.log", "app.log" }, ArchiveFileTestKit.Names(folder.Path));
            CollectionAssert.AreEqual(new[] { "a", "b" }, ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-22-10.log")));
            CollectionAssert.AreEqual(new[] { "c", "d" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
        }

        [TestMethod]
        public void MinutePattern_RollsEveryMinute_AndAnEmptyPeriodLeavesNoArchive()
        {
            using var folder = new FilesTempFolder();
            var clock = new FilesFakeClock(new DateTime(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc));
            var factory = ArchiveFileTestKit.Start(NewTarget(folder, clock, "app-%d{yyyy-MM-dd-HH-mm}.log"));
            var logger = factory.GetLogger("t");

            logger.Info("m0");
            clock.Advance(TimeSpan.FromMinutes(1));
            logger.Info("m1");
            clock.Advance(TimeSpan.FromMinutes(5));     // minutes 2..5 pass silently
            logger.Info("m6");
            clock.Advance(TimeSpan.FromMinutes(1));
            factory.Flush();                            // flush alone does not roll
            logger.Info("m7");
            factory.Shutdown();

            CollectionAssert.AreEqual(
                new[] { "app-2026-11-22-10-00.log", "app-2026-11-22-10-01.log", "app-2026-11-22-10-06.log", "app.log" },
                ArchiveFileTestKit.Names(folder.Path));
            CollectionAssert.AreEqual(new[] { "m6" }, ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-22-10-06.log")));
            CollectionAssert.AreEqual(new[] { "m7" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
        }

        [TestMethod]
        public void SizeRoll_NumbersWithinThePeriod_AndStartsAgainInTheNext()
        {
            using var folder = new FilesTempFolder();
            var clock = new FilesFakeClock(new DateTime(2026, 11, 22, 8, 0, 0, DateTimeKind.Utc));
            var target = NewTarget(folder, clock, "app-%d{yyyy-MM-dd}-%i.log");
            target.ArchiveAboveSize = 100;              // five lines of 19 bytes per file
            var factory = ArchiveFileTestKit.Start(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 12; i++)
                logger.Info("line-{0:D13}", i);         // 19 bytes with the new line
            clock.Advance(TimeSpan.FromDays(1));
            logger.Info("next-day-line-00000");
            for (int i = 0; i < 5; i++)
                logger.Info("next-day-line-{0:D5}", i + 1);
            factory.Shutdown();

            CollectionAssert.AreEqual(
                new[] { "app-2026-11-22-1.log", "app-2026-11-22-2.log", "app-2026-11-22-3.log", "app-2026-11-23-1.log", "app.log" },
                ArchiveFileTestKit.Names(folder.Path));
            foreach (var name in ArchiveFileTestKit.Names(folder.Path))
                Assert.IsTrue(new FileInfo(folder.File(name)).Length <= 100, name + " is larger than ArchiveAboveSize");
            CollectionAssert.AreEqual(Enumerable.Range(0, 5).Select(i => "line-" + i.ToString("D13")).ToArray(), ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-22-1.log")));
            CollectionAssert.AreEqual(new[] { "line-0000000000010", "line-0000000000011" }, ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-22-3.log")));
            Assert.AreEqual(5, ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-23-1.log")).Length);
            CollectionAssert.AreEqual(new[] { "next-day-line-00005" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
        }

        [TestMethod]
        public void SizeRoll_WithoutDate_KeepsCountingAcrossRestarts()
        {
            using var folder = new FilesTempFolder();
            var clock = new FilesFakeClock(s_start);
            for (int run = 0; run < 2; run++)
            {
                var target = NewTarget(folder, clock, "app.%i.log");
                target.ArchiveAboveSize = 40;
                var factory = ArchiveFileTestKit.Start(target);
                for (int i = 0; i < 4; i++)
                    factory.GetLogger("t").Info("run{0}-line-{1:D8}", run, i);   // 19 bytes each: two per file
                factory.Shutdown();
            }

            CollectionAssert.AreEqual(new[] { "app.1.log", "app.2.log", "app.3.log", "app.log" }, ArchiveFileTestKit.Names(folder.Path));
            CollectionAssert.AreEqual(new[] { "run0-line-00000002", "run0-line-00000003" }, ArchiveFileTestKit.ReadLines(folder.File("app.2.log")));
            CollectionAssert.AreEqual(new[] { "run1-line-00000000", "run1-line-00000001" }, ArchiveFileTestKit.ReadLines(folder.File("app.3.log")));
            CollectionAssert.AreEqual(new[] { "run1-line-00000002", "run1-line-00000003" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
        }

        [TestMethod]
        public void Restart_ArchivesAFileLeftFromAnOlderPeriodUnderThatPeriodsName()
        {
            using var folder = new FilesTempFolder();
            File.WriteAllText(folder.File("app.log"), "from-yesterday\n");
            File.SetLastWriteTimeUtc(folder.File("app.log"), new DateTime(2026, 11, 21, 23, 10, 0, DateTimeKind.Utc));
            File.WriteAllText(folder.File("app-2026-11-21-1.log"), "earlier-archive\n");
            var clock = new FilesFakeClock(s_start);
            var factory = ArchiveFileTestKit.Start(NewTarget(folder, clock, "app-%d{yyyy-MM-dd}-%i.log"));

            factory.GetLogger("t").Info("today");
            factory.Shutdown();

            CollectionAssert.AreEqual(new[] { "app-2026-11-21-1.log", "app-2026-11-21-2.log", "app.log" }, ArchiveFileTestKit.Names(folder.Path));
            CollectionAssert.AreEqual(new[] { "from-yesterday" }, ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-21-2.log")));
            CollectionAssert.AreEqual(new[] { "today" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
        }

        [TestMethod]
        public void Restart_InTheSamePeriod_AppendsToTheActiveFile()
        {
            using var folder = new FilesTempFolder();
            var clock = new FilesFakeClock(s_start);
            File.WriteAllText(folder.File("app.log"), "earlier-run\n");
            File.SetLastWriteTimeUtc(folder.File("app.log"), s_start.AddMinutes(-5));
            var factory = ArchiveFileTestKit.Start(NewTarget(folder, clock, "app-%d{yyyy-MM-dd}.log"));

            factory.GetLogger("t").Info("this-run");
            factory.Shutdown();

            CollectionAssert.AreEqual(new[] { "app.log" }, ArchiveFileTestKit.Names(folder.Path));
            CollectionAssert.AreEqual(new[] { "earlier-run", "this-run" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
        }

        [TestMethod]
        public void HeaderAndFooter_FrameEveryFile()
        {
            using var folder = new FilesTempFolder();
            var clock = new FilesFakeClock(s_start);
            var target = NewTarget(folder, clock, "app-%d{yyyy-MM-dd-HH}.log");
            target.Header = "--header--";
            target.Footer = "--footer--";
            var factory = ArchiveFileTestKit.Start(target);

            factory.GetLogger("t").Info("a");
            clock.Advance(TimeSpan.FromHours(1));
            factory.GetLogger("t").Info("b");
            factory.Shutdown();

            CollectionAssert.AreEqual(new[] { "--header--", "a", "--footer--" }, ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-22-10.log")));
            CollectionAssert.AreEqual(new[] { "--header--", "b", "--footer--" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
        }

        [TestMethod]
        public void FlushInterval_PutsBufferedLinesOnDiskWhileIdle()
        {
            using var folder = new FilesTempFolder();
            var target = NewTarget(folder, new FilesFakeClock(s_start), "app-%d{yyyy-MM-dd}.log");
            target.FlushIntervalMilliseconds = 100;
            var factory = ArchiveFileTestKit.Start(target);

            factory.GetLogger("t").Info("idle-line");

            Assert.IsTrue(ArchiveFileTestKit.WaitFor(() => new FileInfo(folder.File("app.log")).Length > 0, 5000), "the line never reached the file without a flush");
            CollectionAssert.AreEqual(new[] { "idle-line" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
            factory.Shutdown();
        }

        [TestMethod]
        public void FlushOnLevel_WritesAnErrorAndWhatPrecededItAtOnce()
        {
            using var folder = new FilesTempFolder();
            var target = NewTarget(folder, new FilesFakeClock(s_start), "app-%d{yyyy-MM-dd}.log");
            var factory = ArchiveFileTestKit.Start(target);
            var logger = factory.GetLogger("t");

            logger.Info("buffered");
            Assert.AreEqual(0, new FileInfo(folder.File("app.log")).Length, "an Info line below FlushOnLevel should stay buffered");
            logger.Error("crash");

            CollectionAssert.AreEqual(new[] { "buffered", "crash" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
            factory.Shutdown();
        }

        [TestMethod]
        public void BatchedWrites_ThroughAnAsyncWrapper_RollAndKeepOrder()
        {
            using var folder = new FilesTempFolder();
            var clock = new FilesFakeClock(s_start);
            var target = NewTarget(folder, clock, "app-%d{yyyy-MM-dd}-%i.log");
            target.ArchiveAboveSize = 1000;
            var wrapper = new NLog.Targets.Wrappers.AsyncTargetWrapper(target, 100000, NLog.Targets.Wrappers.AsyncTargetWrapperOverflowAction.Block) { BatchSize = 500 };
            var factory = ArchiveFileTestKit.Start(wrapper);

            for (int i = 0; i < 20000; i++)
                factory.GetLogger("t").Info("n{0:D6}", i);
            factory.Shutdown();

            var lines = ArchiveFileTestKit.Names(folder.Path)
                .Where(n => n != "app.log")
                .OrderBy(n => int.Parse(n.Substring("app-2026-11-22-".Length).Split('.')[0]))
                .Append("app.log")
                .SelectMany(n => ArchiveFileTestKit.ReadLines(folder.File(n)))
                .ToArray();
            CollectionAssert.AreEqual(Enumerable.Range(0, 20000).Select(i => "n" + i.ToString("D6")).ToArray(), lines);
        }
    }
}
