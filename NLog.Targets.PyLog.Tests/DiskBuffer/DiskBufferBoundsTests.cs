using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>MaxBytes bounds the files; FullPolicy decides which events go, and every one that goes is counted.</summary>
    [TestClass]
    public sealed class DiskBufferBoundsTests
    {
        private const int Events = 3000;
        private const long MaxBytes = 64 * 1024;

        private static (ReportingTestTarget Wrapped, long Dropped, long MaxSeen) Fill(string directory, DiskBufferFullPolicy policy)
        {
            bool down = true;
            var wrapped = new ReportingTestTarget { Name = "wrapped", Decide = _ => down ? DeliveryOutcome.DroppedTransient(DropReasons.RetriesExhausted) : DeliveryOutcome.Delivered };
            using var metrics = new MetricCollector("buffer");
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, directory, w =>
            {
                w.MaxBytes = MaxBytes;
                w.SegmentBytes = 8 * 1024;
                w.FullPolicy = policy;
                w.MaxInFlight = 10;
            });
            var logger = factory.GetLogger("test");
            long maxSeen = 0;
            for (int i = 0; i < Events; i++)
            {
                logger.Info("event {0:D5} padded to about a hundred bytes of message text ..........", i);
                if (i % 100 == 0)
                {
                    factory.Flush(TimeSpan.FromMilliseconds(1));
                    maxSeen = Math.Max(maxSeen, DiskBufferTestKit.SegmentBytes(directory));
                }
            }
            Poll.Until(() => wrapper.PendingForTests == 0, "the writer wrote what it had");
            maxSeen = Math.Max(maxSeen, DiskBufferTestKit.SegmentBytes(directory));
            down = false;
            Poll.Until(() => wrapper.BufferedEvents == 0 && wrapper.BufferedBytes <= 8 * 1024 + 16, "the buffer drained once the target is back", 30_000);
            factory.Shutdown();
            return (wrapped, metrics.Dropped(DropReasons.BufferFull, "Info"), maxSeen);
        }

        [TestMethod]
        public void DropNewest_keeps_the_oldest_events_within_MaxBytes_and_counts_the_rest()
        {
            using var folder = new FilesTempFolder();
            var (wrapped, dropped, maxSeen) = Fill(folder.Path, DiskBufferFullPolicy.DropNewest);
            var delivered = wrapped.Delivered;
            Assert.IsTrue(maxSeen <= MaxBytes, $"files stayed within MaxBytes ({maxSeen} > {MaxBytes})");
            Assert.IsTrue(dropped > 0, "the buffer overflowed");
            Assert.AreEqual(Events, delivered.Count + dropped, "every event is delivered or counted as buffer_full");
            CollectionAssert.AreEqual(delivered.OrderBy(m => m, StringComparer.Ordinal).ToList(), delivered, "delivered in order");
            StringAssert.Contains(delivered[0], "event 00000", "the oldest are kept");
        }

        [TestMethod]
        public void DropOldest_deletes_the_oldest_segments_and_counts_what_they_held()
        {
            using var folder = new FilesTempFolder();
            var (wrapped, dropped, maxSeen) = Fill(folder.Path, DiskBufferFullPolicy.DropOldest);
            var delivered = wrapped.Delivered;
            Assert.IsTrue(maxSeen <= MaxBytes, $"files stayed within MaxBytes ({maxSeen} > {MaxBytes})");
            Assert.IsTrue(dropped > 0, "the buffer overflowed");
            // The first MaxInFlight events were handed over before the overflow and are retried from memory.
            Assert.AreEqual(Events, delivered.Distinct().Count() + dropped, "every event is delivered or counted as buffer_full");
            StringAssert.Contains(delivered[delivered.Count - 1], "event 02999", "the newest are kept");
        }
    }
}
