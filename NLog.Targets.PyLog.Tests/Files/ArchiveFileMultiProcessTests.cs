using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    /// <summary>
    /// Several real processes (children running NLog.Targets.PyLog.Tests.FileWriter) write one file:
    /// with ConcurrentWrites every line lands once and whole and archives are sound; without it the
    /// second writer is refused instead of silently losing lines.
    /// </summary>
    [TestClass]
    [DoNotParallelize]
    public sealed class ArchiveFileMultiProcessTests
    {
        private const int Lines = 50_000;
        private const string RollAt = "archiveAboveSize=524288";
        private static readonly Regex s_line = new Regex("^(?<writer>[0-9]+):(?<n>[0-9]+):x{40}$", RegexOptions.Compiled);

        public TestContext TestContext { get; set; } = null!;

        [TestMethod]
        [DataRow(2)]
        [DataRow(4)]
        [Timeout(300_000, CooperativeCancellation = true)]
        public void Processes_sharing_a_rolling_gzip_file_write_every_line_exactly_once(int processes)
        {
            using var folder = new FilesTempFolder();
            string file = folder.File("app.log");
            string archives = folder.File("app-%d{yyyy-MM-dd}-%i.log.gz");

            var writers = Enumerable.Range(0, processes).Select(id => FileWriterProcess.Start(file, archives, id, Lines, RollAt)).ToList();
            try
            {
                foreach (var writer in writers)
                    Assert.AreEqual(0, writer.WaitForExit(), writer.Output);
            }
            finally
            {
                writers.ForEach(w => w.Dispose());
            }

            var seen = ReadFolder(folder.Path, processes);
            for (int id = 0; id < processes; id++)
                Assert.AreEqual(Lines, seen[id].Count, "writer " + id + " lost lines");
            int archiveCount = ArchiveFileTestKit.Names(folder.Path).Count(n => n.EndsWith(".log.gz", StringComparison.Ordinal));
            Assert.IsTrue(archiveCount >= processes * Lines * 48 / 524288 - 1, "expected about one archive per 512 KiB, got " + archiveCount);
        }

        [TestMethod]
        [DataRow("roll")]
        [DataRow("compress")]
        [Timeout(300_000, CooperativeCancellation = true)]
        public void Writer_killed_mid_roll_leaves_the_others_writing_and_the_next_start_finishes_its_archive(string where)
        {
            using var folder = new FilesTempFolder();
            string file = folder.File("app.log");
            string archives = folder.File("app-%d{yyyy-MM-dd}-%i.log.gz");

            using var victim = FileWriterProcess.Start(file, archives, 0, Lines, RollAt, "hang=" + where);
            var others = Enumerable.Range(1, 2).Select(id => FileWriterProcess.Start(file, archives, id, Lines, RollAt)).ToList();
            string archive;
            try
            {
                // Stopped with the roll lock held, the archive renamed but not compressed (roll), or
                // with its claim held and half of it in app-….log.gz.tmp (compress); the others wait or write on.
                victim.WaitFor("HANG");
                archive = victim.Output.Split('\n').First(l => l.StartsWith("HANG ", StringComparison.Ordinal)).Substring(5);
                victim.Kill();
                foreach (var writer in others)
                    Assert.AreEqual(0, writer.WaitForExit(), writer.Output);
            }
            finally
            {
                others.ForEach(w => w.Dispose());
            }

            using (var next = FileWriterProcess.Start(file, archives, 3, 10, RollAt))
                Assert.AreEqual(0, next.WaitForExit(), next.Output);

            Assert.IsFalse(File.Exists(archive), "the interrupted archive is still uncompressed: " + archive);
            Assert.IsTrue(File.Exists(archive + ".gz"), "the interrupted archive was not finished: " + archive + ".gz");
            var seen = ReadFolder(folder.Path, 4);
            Assert.AreEqual(Lines, seen[1].Count, "writer 1 lost lines");
            Assert.AreEqual(Lines, seen[2].Count, "writer 2 lost lines");
            Assert.AreEqual(10, seen[3].Count, "writer 3 lost lines");
            var victimLines = seen[0].OrderBy(n => n).ToList();
            Assert.IsTrue(victimLines.Count > 0, "the killed writer wrote nothing before its roll");
            Assert.AreEqual(victimLines.Count - 1, victimLines[victimLines.Count - 1], "the killed writer's lines that reached the file must be a gap-free prefix");
        }

        [TestMethod]
        [Timeout(300_000, CooperativeCancellation = true)]
        public void Retention_under_concurrency_keeps_exactly_the_newest_archives()
        {
            using var folder = new FilesTempFolder();
            string file = folder.File("app.log");
            string archives = folder.File("app-%d{yyyy-MM-dd}-%i.log.gz");

            var writers = Enumerable.Range(0, 3).Select(id => FileWriterProcess.Start(file, archives, id, Lines, "archiveAboveSize=131072", "maxArchiveFiles=4")).ToList();
            try
            {
                foreach (var writer in writers)
                    Assert.AreEqual(0, writer.WaitForExit(), writer.Output);
            }
            finally
            {
                writers.ForEach(w => w.Dispose());
            }

            var names = ArchiveFileTestKit.Names(folder.Path);
            var kept = names.Where(n => n.EndsWith(".log.gz", StringComparison.Ordinal)).ToList();
            CollectionAssert.AreEqual(new[] { "app.log" }, names.Except(kept).ToArray(), "only the active file and the archives may remain");
            Assert.AreEqual(4, kept.Count, string.Join(", ", kept));
            int newest = names.Where(n => n.EndsWith(".log.gz", StringComparison.Ordinal)).Max(IndexOf);
            CollectionAssert.AreEquivalent(Enumerable.Range(newest - 3, 4).ToArray(), kept.Select(IndexOf).ToArray(), "the newest four survive: " + string.Join(", ", kept));
            ReadFolder(folder.Path, 3);     // what is left is sound, whole, and has no duplicate
        }

        [TestMethod]
        [Timeout(120_000, CooperativeCancellation = true)]
        public void Second_process_without_ConcurrentWrites_is_refused_naming_file_process_and_option()
        {
            using var folder = new FilesTempFolder();
            string file = folder.File("app.log");
            using var first = FileWriterProcess.Start(file, string.Empty, 0, 20_000_000, "concurrentWrites=false");
            first.WaitFor("READY");

            using (var second = FileWriterProcess.Start(file, string.Empty, 1, 10, "concurrentWrites=false"))
            {
                Assert.AreEqual(3, second.WaitForExit(), second.Output);
                StringAssert.Contains(second.Output, "REFUSED ArchiveFile 'shared': FileName is already written by process " + first.Id);
                StringAssert.Contains(second.Output, "ConcurrentWrites");
                StringAssert.Contains(second.Output, file);
            }
            using (var mixed = FileWriterProcess.Start(file, string.Empty, 2, 10, "concurrentWrites=true"))
            {
                Assert.AreEqual(3, mixed.WaitForExit(), mixed.Output);
                StringAssert.Contains(mixed.Output, "process " + first.Id + " without ConcurrentWrites");
            }
            first.Kill();

            // The kernel freed the dead holder's lock: the next writer starts, although the lock file stayed.
            Assert.IsTrue(File.Exists(file + ".lock"));
            using var restarted = FileWriterProcess.Start(file, string.Empty, 3, 10, "concurrentWrites=false");
            Assert.AreEqual(0, restarted.WaitForExit(), restarted.Output);
        }

        private static int IndexOf(string name) => int.Parse(name.Split('-').Last().Split('.')[0], CultureInfo.InvariantCulture);

        /// <summary>
        /// Every line of every file in the folder, by writer; fails on a torn or duplicated line, an
        /// unreadable archive, or a file that should not be there (temporary, uncompressed archive).
        /// </summary>
        private static List<HashSet<int>> ReadFolder(string folder, int writers)
        {
            var seen = Enumerable.Range(0, writers).Select(_ => new HashSet<int>()).ToList();
            foreach (var name in Directory.GetFiles(folder).Select(Path.GetFileName))
            {
                if (name == "app.log.lock" || name == "app.log.roll.lock")
                    continue;
                Assert.IsTrue(name == "app.log" || name!.EndsWith(".log.gz", StringComparison.Ordinal), "left behind: " + name);
                string[] lines;
                try
                {
                    lines = ArchiveFileTestKit.ReadLines(Path.Combine(folder, name!));
                }
                catch (InvalidDataException ex)
                {
                    throw new AssertFailedException("archive " + name + " is not sound gzip: " + ex.Message, ex);
                }
                foreach (var line in lines)
                {
                    var match = s_line.Match(line);
                    Assert.IsTrue(match.Success, "torn line in " + name + ": '" + line + "'");
                    int writer = int.Parse(match.Groups["writer"].Value, CultureInfo.InvariantCulture);
                    Assert.IsTrue(seen[writer].Add(int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture)), "duplicate line " + line + " in " + name);
                }
            }
            return seen;
        }
    }
}
