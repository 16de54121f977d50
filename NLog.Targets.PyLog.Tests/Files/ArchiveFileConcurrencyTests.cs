using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    /// <summary>No line is lost or duplicated across hundreds of rolls from many threads.</summary>
    [TestClass]
    public sealed class ArchiveFileConcurrencyTests
    {
        private const int Threads = 4;
        private const int LinesPerThread = 250_000;

        [TestMethod]
        [Timeout(120_000, CooperativeCancellation = true)]
        public void FourThreads_HundredsOfRolls_EveryLineExactlyOnce()
        {
            using var folder = new FilesTempFolder();
            var clock = new FilesFakeClock(new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc));
            var target = new ArchiveFileTarget(clock)
            {
                Name = "concurrency",
                FileName = folder.File("app.log"),
                ArchiveFileName = folder.File("app-%d{yyyy-MM-dd-HH-mm-ss}-%i.log.gz"),
                ArchiveAboveSize = 32 * 1024,
                Layout = "${message}",
            };
            var factory = ArchiveFileTestKit.Start(target);
            using var stop = new CancellationTokenSource();

            // A fifth thread moves the clock, so time rolls interleave with size rolls.
            var ticker = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    clock.Advance(TimeSpan.FromSeconds(1));
                    Thread.Sleep(2);
                }
            });
            var writers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
            {
                var logger = factory.GetLogger("w" + t);
                string prefix = t.ToString(CultureInfo.InvariantCulture) + ":";
                for (int i = 0; i < LinesPerThread; i++)
                    logger.Info(prefix + i.ToString(CultureInfo.InvariantCulture));
            }, TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(writers);
            stop.Cancel();
            ticker.Wait();
            factory.Shutdown();

            var names = ArchiveFileTestKit.Names(folder.Path);
            Assert.IsTrue(names.Length > 200, "expected hundreds of rolls, got " + names.Length + " files");
            Assert.IsTrue(names.All(n => n == "app.log" || n.EndsWith(".log.gz", StringComparison.Ordinal)), "a temporary or uncompressed file was left");

            var seen = new byte[Threads, LinesPerThread];
            long total = 0;
            foreach (var name in names)
            {
                foreach (var line in ArchiveFileTestKit.ReadLines(folder.File(name)))
                {
                    int colon = line.IndexOf(':');
                    int thread = int.Parse(line.AsSpan(0, colon), CultureInfo.InvariantCulture);
                    int number = int.Parse(line.AsSpan(colon + 1), CultureInfo.InvariantCulture);
                    Assert.AreEqual(0, seen[thread, number]++, "duplicate line " + line + " in " + name);
                    total++;
                }
            }
            Assert.AreEqual((long)Threads * LinesPerThread, total, "lines were lost");
        }
    }
}
