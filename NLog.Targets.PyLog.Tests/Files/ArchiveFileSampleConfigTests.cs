using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    /// <summary>Loads <c>nlog.config.samples/archive-file.config</c> so the sample cannot rot.</summary>
    [TestClass]
    public sealed class ArchiveFileSampleConfigTests
    {
        [TestMethod]
        public void Sample_Loads_WritesAndRolls()
        {
            string samplePath = Path.Combine(AppContext.BaseDirectory, "samples", "archive-file.config");
            Assert.IsTrue(File.Exists(samplePath), "sample missing: " + samplePath);
            using var folder = new FilesTempFolder();
            string xml = File.ReadAllText(samplePath)
                .Replace("value=\"${basedir}/logs\"", "value=\"" + folder.Path + "\"", StringComparison.Ordinal)
                .Replace("archiveAboveSize=\"10485760\"", "archiveAboveSize=\"1000\"", StringComparison.Ordinal);
            StringAssert.Contains(xml, folder.Path, "the sample's logDirectory variable changed; update this test");

            var factory = ArchiveFileTestKit.LoadXml(xml);
            var target = factory.Configuration!.FindTargetByName<ArchiveFileTarget>("file");
            Assert.IsNotNull(target);
            Assert.AreEqual(48, target.MaxArchiveFiles);
            Assert.AreEqual(LogLevel.Error, target.FlushOnLevel);
            Assert.AreEqual(65536, target.BufferSize);

            var logger = factory.GetLogger("Sample");
            logger.Debug("below minlevel");
            for (int i = 0; i < 100; i++)
                logger.Info("sample line {0}", i);
            logger.Error(new InvalidOperationException("boom"), "failed");
            factory.Shutdown();

            var names = ArchiveFileTestKit.Names(folder.Path);
            Assert.IsTrue(names.Count(n => n.EndsWith(".log.gz", StringComparison.Ordinal)) >= 3, string.Join(", ", names));
            var lines = names.SelectMany(n => ArchiveFileTestKit.ReadLines(Path.Combine(folder.Path, n))).ToArray();
            Assert.AreEqual(101, lines.Length);
            Assert.IsFalse(lines.Any(l => l.Contains("below minlevel", StringComparison.Ordinal)));
            Assert.IsTrue(lines.Any(l => l.Contains("|ERROR|Sample|failed", StringComparison.Ordinal) && l.Contains("boom", StringComparison.Ordinal)));
        }
    }
}
