using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>An event leaves the disk only on delivery or a permanent refusal; a transient drop is handed over again.</summary>
    [TestClass]
    public sealed class DiskBufferOutcomeTests
    {
        [TestMethod]
        [DataRow(50)]
        [DataRow(3000)]
        public void A_clean_restart_after_everything_was_delivered_delivers_the_next_runs_events(int firstRun)
        {
            // A clean shutdown deletes the delivered segments and keeps only the checkpoint. The next
            // run numbered its segments from 1 again, behind the checkpoint: the replay skipped its
            // records as already read (only 28 of 100 arrived). 3000 events span more than one record
            // batch of the first run's segment, so the checkpoint lies deep in it.
            using var folder = new FilesTempFolder();
            var first = new ReportingTestTarget { Name = "wrapped" };
            var (factory1, _) = DiskBufferTestKit.Create(first, folder.Path);
            var logger1 = factory1.GetLogger("first");
            for (int i = 0; i < firstRun; i++)
                logger1.Info("first run {0} with some padding to make the record longer", i);
            factory1.Flush(TimeSpan.FromSeconds(10));
            Assert.AreEqual(firstRun, first.Delivered.Count);
            factory1.Shutdown();
            Assert.AreEqual(0, DiskBufferTestKit.Segments(folder.Path).Length, "the first run left no segment behind");

            var second = new ReportingTestTarget { Name = "wrapped" };
            var (factory2, _) = DiskBufferTestKit.Create(second, folder.Path);
            try
            {
                var logger2 = factory2.GetLogger("second");
                for (int i = 0; i < 100; i++)
                    logger2.Info("second run {0}", i);
                factory2.Flush(TimeSpan.FromSeconds(10));
                CollectionAssert.AreEqual(Enumerable.Range(0, 100).Select(i => "second run " + i).ToList(), second.Delivered);
            }
            finally
            {
                factory2.Shutdown();
            }
        }

        [TestMethod]
        public void Transient_drop_keeps_the_event_on_disk_and_hands_it_over_again()
        {
            using var folder = new FilesTempFolder();
            var wrapped = ReportingTestTarget.DroppingFirst("flaky", 3, DropReasons.RetriesExhausted);
            // A name of its own: no other test's wrapper can add to this one's counters.
            using var metrics = new MetricCollector("transient-replay");
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path, name: "transient-replay");
            var logger = factory.GetLogger("test");
            logger.Info("before");
            logger.Info("flaky");
            logger.Info("after");

            Poll.Until(() => wrapped.Delivered.Contains("flaky"), "the transiently dropped event was delivered on a later hand-over");
            Poll.Until(() => wrapper.BufferedEvents == 0, "nothing left waiting in the buffer");
            CollectionAssert.AreEquivalent(new[] { "before", "flaky", "after" }, wrapped.Delivered);
            Assert.AreEqual(6, wrapped.Attempts, "three events, the flaky one handed over four times");
            // Each of the three hand-overs after a transient drop counts once; first hand-overs of this run's events do not.
            Assert.AreEqual(3L, (long)metrics.Sum(PyLogMetrics.EventsReplayedName), "pylog.events.replayed");
            factory.Shutdown();
        }

        [TestMethod]
        public void Backlog_of_an_earlier_run_counts_each_hand_over_once_as_replayed()
        {
            using var folder = new FilesTempFolder();
            var down = new PlainTestTarget { Name = "down", Throw = true };
            var (first, firstWrapper) = DiskBufferTestKit.Create(down, folder.Path, w =>
            {
                w.RetryDelayMilliseconds = 60000;
                w.MaxRetryDelayMilliseconds = 60000;
            });
            var logger = first.GetLogger("test");
            for (int i = 0; i < 5; i++)
                logger.Info("event {0}", i);
            Poll.Until(() => firstWrapper.BufferedEvents == 5, "the events wait on disk");
            first.Shutdown();

            var wrapped = ReportingTestTarget.DroppingFirst("event 2", 1, DropReasons.QueueFull);
            using var metrics = new MetricCollector("backlog-replay");
            var (second, secondWrapper) = DiskBufferTestKit.Create(wrapped, folder.Path, name: "backlog-replay");
            Poll.Until(() => wrapped.Delivered.Count == 5, "the next run delivered the backlog");
            Poll.Until(() => secondWrapper.BufferedEvents == 0, "nothing left waiting in the buffer");
            // Five events of the earlier run, one of them handed over a second time after a transient drop.
            Assert.AreEqual(6L, (long)metrics.Sum(PyLogMetrics.EventsReplayedName), "pylog.events.replayed");
            second.Shutdown();
        }

        [TestMethod]
        public void Permanent_rejection_removes_the_event_and_is_not_retried()
        {
            using var folder = new FilesTempFolder();
            var wrapped = new ReportingTestTarget
            {
                Name = "wrapped",
                Decide = e => e.FormattedMessage == "bad" ? DeliveryOutcome.DroppedPermanent(DropReasons.Rejected) : DeliveryOutcome.Delivered,
            };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path);
            var logger = factory.GetLogger("test");
            logger.Info("bad");
            logger.Info("good");
            factory.Flush(TimeSpan.FromSeconds(10));
            Poll.Until(() => wrapper.BufferedEvents == 0, "both events have their outcome");
            factory.Shutdown();
            Assert.AreEqual(2, wrapped.Attempts, "the rejected event is not handed over again");

            // A new process on the same directory finds nothing to replay.
            var again = new ReportingTestTarget { Name = "wrapped" };
            var (factory2, _) = DiskBufferTestKit.Create(again, folder.Path);
            factory2.Flush(TimeSpan.FromSeconds(10));
            factory2.Shutdown();
            Assert.AreEqual(0, again.Attempts, "nothing was left on disk");
        }

        [TestMethod]
        public void Plain_NLog_target_that_throws_keeps_events_on_disk_until_it_recovers()
        {
            using var folder = new FilesTempFolder();
            var wrapped = new PlainTestTarget { Name = "plain", Throw = true };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path);
            var logger = factory.GetLogger("test");
            for (int i = 0; i < 50; i++)
                logger.Info("event {0}", i);
            Poll.Until(() => wrapper.BufferedEvents == 50, "the events are buffered");
            Assert.AreEqual(0, wrapped.Delivered.Count);
            wrapped.Throw = false;
            Poll.Until(() => wrapped.Delivered.Count == 50, "the recovered target received every event");
            Poll.Until(() => wrapper.BufferedEvents == 0, "the buffer emptied");
            // While the target flips back, a hand-over may be part failed, part delivered: order holds per hand-over, not across retries.
            CollectionAssert.AreEquivalent(Enumerable.Range(0, 50).Select(i => "event " + i).ToList(), wrapped.Delivered, "each event exactly once");
            factory.Shutdown();
        }

        [TestMethod]
        public void Flush_pushes_to_the_OS_and_waits_for_the_wrapped_target()
        {
            using var folder = new FilesTempFolder();
            var wrapped = new ReportingTestTarget { Name = "wrapped" };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path, w => w.FlushIntervalMilliseconds = 60000);
            var logger = factory.GetLogger("test");
            for (int i = 0; i < 10; i++)
                logger.Info("event {0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));
            Assert.AreEqual(10, wrapped.Delivered.Count, "Flush returned after every event was delivered, although the writer interval is a minute");
            factory.Shutdown();
        }

        [TestMethod]
        public void EventIdProperty_gives_each_event_a_unique_id_that_survives_the_buffer()
        {
            using var folder = new FilesTempFolder();
            var wrapped = new ReportingTestTarget { Name = "wrapped", Layouts = new[] { NLog.Layouts.Layout.FromString("${event-properties:eid}") } };
            var (factory, _) = DiskBufferTestKit.Create(wrapped, folder.Path, w => w.EventIdProperty = "eid");
            var logger = factory.GetLogger("test");
            var original = new LogEventInfo(LogLevel.Info, "test", "with id");
            logger.Log(original);
            for (int i = 0; i < 99; i++)
                logger.Info("more");
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();
            var ids = wrapped.Rendered.Select(r => r[0]).ToList();
            Assert.AreEqual(100, ids.Count);
            Assert.AreEqual(100, ids.Distinct().Count(), "ids are unique");
            Assert.AreEqual(original.Properties["eid"], ids[0], "the id set at logging time is the one delivered");
        }
    }
}
