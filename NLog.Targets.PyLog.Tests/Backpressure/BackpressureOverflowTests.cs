using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Backpressure
{
    /// <summary>Four and more producers flood a small queue in front of a deliberately slow target.</summary>
    [TestClass]
    public sealed class BackpressureOverflowTests
    {
        private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

        [TestMethod]
        public void DiscardLowLevel_keeps_every_Warn_Error_Fatal_and_counts_exactly_what_is_missing_per_level()
        {
            using var bed = new BackpressureTestBed(w =>
            {
                w.QueueLimit = 64;
                w.BatchSize = 16;
                w.FullPolicy = BackpressureFullPolicy.DiscardLowLevel;
                w.BlockTimeoutMilliseconds = 5000;
            }, batchDelayMilliseconds: 1);
            using var metrics = new MetricCollector(bed.Name);
            var raised = new List<EventDroppedEventArgs>();
            bed.Wrapper.EventDropped += (_, e) => { lock (raised) raised.Add(e); };

            var logged = bed.Flood(producers: 4, perProducer: 3000);
            bed.Factory.Flush(s_timeout);

            for (int ordinal = 0; ordinal < BackpressureTestBed.Levels; ordinal++)
            {
                var level = LogLevel.FromOrdinal(ordinal);
                long delivered = bed.Inner.CountOf(level);
                long dropped = metrics.Dropped(level, DropReasons.QueueFull);
                Assert.AreEqual(logged[ordinal] - delivered, dropped, $"dropped {level} must equal what is missing");
                if (ordinal > LogLevel.Info.Ordinal)
                    Assert.AreEqual(logged[ordinal], delivered, $"every {level} event must arrive");
            }
            long droppedTotal = metrics.DroppedTotal(DropReasons.QueueFull);
            Assert.IsTrue(droppedTotal > 0, "the flood must overflow a 64-event queue in front of a slow target");
            lock (raised)
                Assert.AreEqual(droppedTotal, raised.Where(e => e.Reason == DropReasons.QueueFull).Sum(e => (long)e.Count), "EventDropped reports the same losses");
            Assert.AreEqual(bed.Inner.Count, metrics.Sent, "pylog.events.sent counts what the wrapped target accepted");
        }

        [TestMethod]
        public void Block_loses_nothing_and_keeps_each_producers_order()
        {
            using var bed = new BackpressureTestBed(w =>
            {
                w.QueueLimit = 64;
                w.BatchSize = 16;
                w.FullPolicy = BackpressureFullPolicy.Block;
                w.BlockTimeoutMilliseconds = 10000;
            }, batchDelayMilliseconds: 1);
            using var metrics = new MetricCollector(bed.Name);

            var logged = bed.Flood(producers: 4, perProducer: 2000);
            bed.Factory.Flush(s_timeout);

            Assert.AreEqual(logged.Sum(), bed.Inner.Count);
            for (int ordinal = 0; ordinal < BackpressureTestBed.Levels; ordinal++)
                Assert.AreEqual(logged[ordinal], bed.Inner.CountOf(LogLevel.FromOrdinal(ordinal)));
            Assert.AreEqual(0, metrics.DroppedTotal(DropReasons.QueueFull));
            Assert.AreEqual(0, metrics.SyncFallback, "no event should have waited 10 s");

            var next = new int[4];
            foreach (var logEvent in bed.Inner.Snapshot())
            {
                var parts = logEvent.Message.Split(' ');
                int producer = int.Parse(parts[0].Substring(1));
                int sequence = int.Parse(parts[1]);
                Assert.AreEqual(next[producer], sequence, $"events of producer {producer} out of order");
                next[producer]++;
            }
        }

        [TestMethod]
        public void Discard_delivered_plus_dropped_equals_logged_and_errors_still_arrive()
        {
            using var bed = new BackpressureTestBed(w =>
            {
                w.QueueLimit = 32;
                w.BatchSize = 8;
                w.FullPolicy = BackpressureFullPolicy.Discard;
                w.BlockTimeoutMilliseconds = 5000;
            }, batchDelayMilliseconds: 1);
            using var metrics = new MetricCollector(bed.Name);

            var logged = bed.Flood(producers: 6, perProducer: 2000);
            bed.Factory.Flush(s_timeout);

            long droppedTotal = 0;
            for (int ordinal = 0; ordinal < BackpressureTestBed.Levels; ordinal++)
            {
                var level = LogLevel.FromOrdinal(ordinal);
                long dropped = metrics.Dropped(level, DropReasons.QueueFull);
                droppedTotal += dropped;
                Assert.AreEqual(logged[ordinal], bed.Inner.CountOf(level) + dropped, $"delivered + dropped for {level}");
            }
            Assert.IsTrue(droppedTotal > 0, "the flood must overflow");
            Assert.AreEqual(logged[LogLevel.Error.Ordinal], bed.Inner.CountOf(LogLevel.Error));
            Assert.AreEqual(logged[LogLevel.Fatal.Ordinal], bed.Inner.CountOf(LogLevel.Fatal));
        }

        [TestMethod]
        public void Errors_wait_then_fall_back_to_a_synchronous_write_when_the_queue_stays_full()
        {
            using var bed = new BackpressureTestBed(w =>
            {
                w.QueueLimit = 4;
                w.BatchSize = 2;
                w.FullPolicy = BackpressureFullPolicy.Discard;
                w.BlockTimeoutMilliseconds = 50;
            });
            using var metrics = new MetricCollector(bed.Name);
            var consumerHeld = bed.Inner.Gate;
            consumerHeld.Reset();

            // The consumer takes the first event and blocks in the gate; then the queue fills up.
            bed.Logger.Info("held");
            Poll.Until(() => Volatile.Read(ref bed.Inner.BatchesEntered) == 1, "consumer holds the first batch", s_timeout);
            for (int i = 0; i < 20; i++)
                bed.Logger.Info("fill " + i);
            Assert.AreEqual(4, bed.Wrapper.QueuedCount);
            Assert.AreEqual(4, metrics.ReadQueueSize(), "pylog.queue.size reports the queue");

            // The wrapped target is shut, so write the fallback on another thread and open the gate once it waits.
            var errorThread = new Thread(() => bed.Logger.Error("the error"));
            errorThread.Start();
            Poll.Until(() => metrics.SyncFallback == 1, "sync fallback counted", s_timeout);
            consumerHeld.Set();
            errorThread.Join();
            bed.Factory.Flush(s_timeout);

            var delivered = bed.Inner.Snapshot();
            Assert.AreEqual(1, delivered.Count(e => e.Message == "the error"));
            Assert.AreEqual(21, delivered.Count(e => e.Level == LogLevel.Info) + metrics.Dropped(LogLevel.Info, DropReasons.QueueFull));
            Assert.AreEqual(16, metrics.Dropped(LogLevel.Info, DropReasons.QueueFull), "1 held + 4 queued of 21");
            Assert.AreEqual(delivered.Length, metrics.Sent, "sent counts the caller's-thread write too");
        }
    }
}
