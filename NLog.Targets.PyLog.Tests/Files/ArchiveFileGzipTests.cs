using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    [TestClass]
    public sealed class ArchiveFileGzipTests
    {
        private static readonly DateTime s_now = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);

        private static ArchiveFileTarget NewTarget(FilesTempFolder folder, FilesFakeClock clock)
            => new ArchiveFileTarget(clock)
            {
                Name = "gzip",
                FileName = folder.File("app.log"),
                ArchiveFileName = folder.File("app-%d{yyyy-MM-dd-HH}-%i.log.gz"),
                Layout = "${message}",
                FlushIntervalMilliseconds = 0,
            };

        [TestMethod]
        public void GzipArchives_DecompressToExactlyTheLinesWritten_AndShutdownLeavesNoTemporaryFile()
        {
            using var folder = new FilesTempFolder();
            var clock = new FilesFakeClock(s_now);
            var target = NewTarget(folder, clock);
            target.ArchiveAboveSize = 4096;
            var factory = ArchiveFileTestKit.Start(target);
            var logger = factory.GetLogger("t");
            var expected = Enumerable.Range(0, 5000).Select(i => "line " + i + " ünïcødé " + new string('x', i % 37)).ToArray();

            for (int i = 0; i < expected.Length; i++)
            {
                logger.Info(expected[i]);
                if (i == 2500)
                    clock.Advance(TimeSpan.FromHours(1));
            }
            factory.Shutdown();

            var names = ArchiveFileTestKit.Names(folder.Path);
            Assert.IsTrue(names.Length > 50, "expected many archives, got " + names.Length);
            Assert.IsFalse(names.Any(n => n.EndsWith(".tmp", StringComparison.Ordinal)), "a temporary file was left: " + string.Join(", ", names));
            Assert.IsTrue(names.All(n => n == "app.log" || n.EndsWith(".log.gz", StringComparison.Ordinal)), "an uncompressed archive was left: " + string.Join(", ", names));
            Assert.IsTrue(names.Contains("app-2026-11-22-12-1.log.gz") && names.Contains("app-2026-11-22-13-1.log.gz"), string.Join(", ", names));

            var actual = names.Where(n => n != "app.log")
                .OrderBy(n => n.Substring(0, "app-2026-11-22-12".Length), StringComparer.Ordinal)
                .ThenBy(n => int.Parse(n.Substring("app-2026-11-22-12-".Length).Split('.')[0]))
                .Append("app.log")
                .SelectMany(n => ArchiveFileTestKit.ReadLines(folder.File(n)))
                .ToArray();
            CollectionAssert.AreEqual(expected, actual);
        }

        [TestMethod]
        public void StartUp_FinishesACompressionThatACrashInterrupted()
        {
            using var folder = new FilesTempFolder();
            // The crash hit while compressing: the source is intact, the .tmp is garbage.
            File.WriteAllText(folder.File("app-2026-11-22-09-1.log"), "first\nsecond\n");
            File.WriteAllBytes(folder.File("app-2026-11-22-09-1.log.gz.tmp"), new byte[] { 0x1f, 0x8b, 0x08 });
            // The crash hit after the rename: the .gz is complete, the source survived.
            WriteGzip(folder.File("app-2026-11-22-10-1.log.gz"), "done\n");
            File.WriteAllText(folder.File("app-2026-11-22-10-1.log"), "done\n");
            // Not ours: no pattern match, stays.
            File.WriteAllText(folder.File("unrelated.log.gz.tmp"), "x");

            var factory = ArchiveFileTestKit.Start(NewTarget(folder, new FilesFakeClock(s_now)));
            factory.Flush();
            factory.Shutdown();

            CollectionAssert.AreEqual(
                new[] { "app-2026-11-22-09-1.log.gz", "app-2026-11-22-10-1.log.gz", "app.log", "unrelated.log.gz.tmp" },
                ArchiveFileTestKit.Names(folder.Path));
            CollectionAssert.AreEqual(new[] { "first", "second" }, ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-22-09-1.log.gz")));
            CollectionAssert.AreEqual(new[] { "done" }, ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-22-10-1.log.gz")));
        }

        [TestMethod]
        public void Retention_CountsOnlyCompletedArchives_AndKeepsTheNewest()
        {
            using var folder = new FilesTempFolder();
            var target = NewTarget(folder, new FilesFakeClock(s_now));
            target.ArchiveAboveSize = 10;
            target.MaxArchiveFiles = 2;
            target.SyncArchivesToDisk = true;
            var factory = ArchiveFileTestKit.Start(target);
            for (int i = 1; i <= 6; i++)
                factory.GetLogger("t").Info("line-{0:D3}", i);
            factory.Shutdown();

            CollectionAssert.AreEqual(new[] { "app-2026-11-22-12-4.log.gz", "app-2026-11-22-12-5.log.gz", "app.log" }, ArchiveFileTestKit.Names(folder.Path));
            CollectionAssert.AreEqual(new[] { "line-005" }, ArchiveFileTestKit.ReadLines(folder.File("app-2026-11-22-12-5.log.gz")));
        }

        private static void WriteGzip(string path, string text)
        {
            using var file = File.Create(path);
            using var gzip = new GZipStream(file, CompressionLevel.Optimal);
            var bytes = Encoding.UTF8.GetBytes(text);
            gzip.Write(bytes, 0, bytes.Length);
        }
    }
}
