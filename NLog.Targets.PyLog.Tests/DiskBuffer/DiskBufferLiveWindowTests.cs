using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>
    /// Once its record is in the file, an event is handed on as the original instance (no read-back);
    /// what the in-memory window cannot vouch for comes from disk, with order and content kept.
    /// </summary>
    [TestClass]
    public sealed class DiskBufferLiveWindowTests
    {
        [TestMethod]
        [DataRow(false)]
        [DataRow(true)]
        public void The_same_event_instance_logged_twice_is_delivered_twice_and_the_buffer_empties(bool reportingTarget)
        {
            // Outcomes find their entry by the event instance; with the live window handing over the
            // caller's own instance, the second of two identical instances overwrote the first and one
            // of them never completed: the replay stalled behind it.
            using var folder = new FilesTempFolder();
            Target wrapped = reportingTarget ? new ReportingTestTarget { Name = "wrapped" } : new PlainTestTarget { Name = "wrapped" };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path);
            try
            {
                var logger = factory.GetLogger("twice");
                var again = new LogEventInfo(LogLevel.Info, "twice", "the same instance");
                logger.Info("before");
                logger.Log(again);
                logger.Log(again);
                logger.Info("after");
                factory.Flush(TimeSpan.FromSeconds(10));

                var delivered = reportingTarget ? ((ReportingTestTarget)wrapped).Delivered : ((PlainTestTarget)wrapped).Delivered;
                CollectionAssert.AreEqual(new[] { "before", "the same instance", "the same instance", "after" }, delivered);
                Poll.Until(() => wrapper.BufferedEvents == 0, "every event left the buffer", 10000, () => "buffered " + wrapper.BufferedEvents);
            }
            finally
            {
                factory.Shutdown();
            }
        }

        [TestMethod]
        public void Written_event_is_handed_over_as_the_original_and_an_event_holding_a_mutable_object_from_disk()
        {
            using var folder = new FilesTempFolder();
            var wrapped = new ReportingTestTarget { Name = "wrapped", Layouts = new[] { NLog.Layouts.Layout.FromString("${message}|${event-properties:cart}") } };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path);
            var logger = factory.GetLogger("test");

            var plain = new LogEventInfo(LogLevel.Info, "test", "order {0} processed") { Parameters = new object[] { 7 } };
            plain.Properties["cart"] = 3;
            logger.Log(plain);
            var cart = new List<string> { "apple" };
            var holding = new LogEventInfo(LogLevel.Info, "test", "cart logged");
            holding.Properties["cart"] = cart;
            logger.Log(holding);
            // Changed after the call: the event must still render what it held when it was logged.
            cart.Add("pear");
            factory.Flush(TimeSpan.FromSeconds(10));

            var received = wrapped.Received;
            Assert.AreEqual(2, received.Count);
            Assert.AreSame(plain, received[0], "the original instance, not a copy read back from disk");
            Assert.AreNotSame(holding, received[1], "an event holding an object is read back from disk");
            Assert.AreEqual("order 7 processed|3", wrapped.Rendered[0][0]);
            StringAssert.Contains(wrapped.Rendered[1][0], "apple");
            Assert.IsFalse(wrapped.Rendered[1][0].Contains("pear", StringComparison.Ordinal), "rendered as at logging time: " + wrapped.Rendered[1][0]);
            Assert.AreEqual((1L, 1L), wrapper.HandOverSources);
            factory.Shutdown();
        }

        [TestMethod]
        public void Events_alternating_between_memory_and_disk_keep_their_order_and_content()
        {
            using var folder = new FilesTempFolder();
            var layout = NLog.Layouts.Layout.FromString("${message}|${event-properties:item}");
            var wrapped = new ReportingTestTarget { Name = "wrapped", Layouts = new[] { layout } };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path);
            var logger = factory.GetLogger("test");
            var expected = new List<string>();
            for (int i = 0; i < 200; i++)
            {
                var logEvent = new LogEventInfo(LogLevel.Info, "test", "event " + i);
                // Every other event holds an object: read back from disk between two taken from memory.
                logEvent.Properties["item"] = i % 2 == 0 ? i : new Dictionary<string, object> { ["n"] = i };
                expected.Add(layout.Render(logEvent));
                logger.Log(logEvent);
            }
            factory.Flush(TimeSpan.FromSeconds(10));
            CollectionAssert.AreEqual(expected, wrapped.Rendered.Select(r => r[0]).ToList(), "same order, same text as at logging time");
            StringAssert.Contains(expected[1], "n=1");
            Assert.AreEqual((100L, 100L), wrapper.HandOverSources);
            factory.Shutdown();
        }

        [TestMethod]
        public void Window_overflow_while_the_target_is_stuck_falls_back_to_disk_in_order_without_loss_or_duplicates()
        {
            using var folder = new FilesTempFolder();
            using var release = new ManualResetEventSlim(false);
            var wrapped = new ReportingTestTarget
            {
                Name = "wrapped",
                // The first hand-over blocks the replay thread while the rest is logged: the window (16) overflows.
                Decide = e =>
                {
                    if (e.FormattedMessage == "event 0")
                        release.Wait(TimeSpan.FromSeconds(30));
                    return DeliveryOutcome.Delivered;
                },
            };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path, w =>
            {
                w.LiveWindowCapacity = 16;
                w.BatchSize = 1;
            });
            var logger = factory.GetLogger("test");
            logger.Info("event {0}", 0);
            Poll.Until(() => wrapped.Attempts == 1, "the replay thread is stuck in the first hand-over");
            for (int i = 1; i < 300; i++)
                logger.Info("event {0}", i);
            factory.Flush(TimeSpan.FromMilliseconds(1));
            Poll.Until(() => wrapper.PendingForTests == 0, "everything logged is in the file");
            release.Set();
            Poll.Until(() => wrapped.Delivered.Count == 300, "every event was delivered");
            for (int i = 300; i < 310; i++)
                logger.Info("event {0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));

            CollectionAssert.AreEqual(Enumerable.Range(0, 310).Select(i => "event " + i).ToList(), wrapped.Delivered, "each event once, in logging order");
            var (fromWindow, fromDisk) = wrapper.HandOverSources;
            Assert.IsTrue(fromDisk > 0, "what the window could not hold was read from disk");
            Assert.IsTrue(fromWindow >= 10, "once caught up, the pump takes events from the window again: " + fromWindow);
            Assert.AreEqual(310, fromWindow + fromDisk);
            factory.Shutdown();
        }

        [TestMethod]
        public void At_most_the_window_capacity_of_originals_is_held_while_pending_the_rest_is_read_back_from_disk()
        {
            using var folder = new FilesTempFolder();
            var wrapped = new ReportingTestTarget { Name = "wrapped" };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path, w =>
            {
                w.LiveWindowCapacity = 16;
                // Nothing is written before the explicit flush: all 200 records wait in the pending buffer.
                w.FlushIntervalMilliseconds = 60000;
            });
            var logger = factory.GetLogger("test");
            var (first, rest) = LogAndForget(logger, 200, keep: 16);
            Assert.IsTrue(wrapper.PendingForTests > 0, "the records are still pending");

            // Only the wrapper can keep the events alive now: it must hold the first 16 and none of the rest.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            int heldPastCapacity = rest.Count(r => r.IsAlive);
            Assert.AreEqual(0, heldPastCapacity, "originals past the capacity are not held while pending");

            factory.Flush(TimeSpan.FromSeconds(10));
            var received = wrapped.Received;
            CollectionAssert.AreEqual(Enumerable.Range(0, 200).Select(i => "event " + i).ToList(), received.Select(e => e.FormattedMessage).ToList(), "every event once, in order");
            for (int i = 0; i < 16; i++)
                Assert.AreSame(first[i], received[i], "the first 16 were held: handed over as the originals (event " + i + ")");
            Assert.AreEqual((16L, 184L), wrapper.HandOverSources);
            factory.Shutdown();
        }

        [TestMethod]
        public void A_huge_event_does_not_pin_a_huge_pending_buffer_while_small_ones_follow()
        {
            using var folder = new FilesTempFolder();
            var wrapped = new ReportingTestTarget { Name = "wrapped" };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path, w => w.FlushIntervalMilliseconds = 60000);
            var logger = factory.GetLogger("test");
            long initial = wrapper.PendingBufferCapacityForTests;
            logger.Info(new string('x', 6 * 1024 * 1024));
            Assert.IsTrue(wrapper.PendingBufferCapacityForTests >= 6 * 1024 * 1024, "the buffer grew for the huge event");
            factory.Flush(TimeSpan.FromSeconds(10));
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < 10; i++)
                    logger.Info("small {0}", i);
                factory.Flush(TimeSpan.FromSeconds(10));
            }
            Assert.AreEqual(initial, wrapper.PendingBufferCapacityForTests, "both buffers are small again after small flushes");
            Assert.AreEqual(31, wrapped.Delivered.Count);
            factory.Shutdown();
        }

        /// <summary>Logs <paramref name="count"/> events; keeps the first <paramref name="keep"/>, only weak references to the rest.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static (List<LogEventInfo> Kept, List<WeakReference> Forgotten) LogAndForget(Logger logger, int count, int keep)
        {
            var kept = new List<LogEventInfo>();
            var rest = new List<WeakReference>();
            for (int i = 0; i < count; i++)
            {
                var logEvent = new LogEventInfo(LogLevel.Info, "test", "event " + i);
                logger.Log(logEvent);
                if (i < keep)
                    kept.Add(logEvent);
                else
                    rest.Add(new WeakReference(logEvent));
            }
            return (kept, rest);
        }
    }
}
