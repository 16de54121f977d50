using System;
using System.Buffers;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    [TestClass]
    public sealed class ArchiveFileLayoutTests
    {
        private static readonly DateTime s_now = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);

        [TestMethod]
        public void Utf8Layout_IsRenderedStraightToBytes()
        {
            using var folder = new FilesTempFolder();
            var target = new ArchiveFileTarget(new FilesFakeClock(s_now))
            {
                Name = "utf8",
                FileName = folder.File("app.log"),
                Layout = new Utf8OnlyLayout(),
                FlushIntervalMilliseconds = 0,
            };
            var factory = ArchiveFileTestKit.Start(target);
            factory.GetLogger("t").Info("héllo");
            factory.Shutdown();

            CollectionAssert.AreEqual(new[] { "utf8:héllo" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
        }

        [TestMethod]
        public void ThrowingLayout_DropsOnlyThatEvent_CountedAsInvalid()
        {
            using var folder = new FilesTempFolder();
            using var metrics = new MetricCollector("bad-layout");
            var target = new ArchiveFileTarget(new FilesFakeClock(s_now))
            {
                Name = "bad-layout",
                FileName = folder.File("app.log"),
                Layout = new ThrowingLayout(),
                FlushIntervalMilliseconds = 0,
            };
            var factory = ArchiveFileTestKit.Start(target);
            var logger = factory.GetLogger("t");

            logger.Info("before");
            logger.Warn("throw");
            logger.Info("after");
            factory.Shutdown();

            CollectionAssert.AreEqual(new[] { "before", "after" }, ArchiveFileTestKit.ReadLines(folder.File("app.log")));
            Assert.AreEqual(1, metrics.Dropped(DropReasons.Invalid, "Warn"));
        }

        private sealed class Utf8OnlyLayout : Layout, IUtf8Layout
        {
            public void RenderUtf8(LogEventInfo logEvent, IBufferWriter<byte> output)
            {
                output.Write(Encoding.UTF8.GetBytes("utf8:" + logEvent.FormattedMessage));
            }

            protected override string GetFormattedMessage(LogEventInfo logEvent) => "string:" + logEvent.FormattedMessage;
        }

        private sealed class ThrowingLayout : Layout
        {
            protected override string GetFormattedMessage(LogEventInfo logEvent)
                => logEvent.FormattedMessage == "throw" ? throw new InvalidOperationException("layout failure") : logEvent.FormattedMessage;
        }
    }
}
