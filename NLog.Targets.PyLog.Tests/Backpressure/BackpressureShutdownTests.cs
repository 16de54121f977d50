using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Backpressure
{
    /// <summary>Flush and close with work still queued.</summary>
    [TestClass]
    public sealed class BackpressureShutdownTests
    {
        private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

        [TestMethod]
        public void Flush_completes_only_after_the_queue_is_drained_and_the_wrapped_target_flushed()
        {
            using var bed = new BackpressureTestBed(w => { w.QueueLimit = 1000; w.BatchSize = 50; });
            bed.Inner.Gate.Reset();
            bed.Logger.Info("held");
            Poll.Until(() => Volatile.Read(ref bed.Inner.BatchesEntered) == 1, "consumer holds the first batch", s_timeout);
            for (int i = 0; i < 500; i++)
                bed.Logger.Info("queued " + i);

            using var flushed = new ManualResetEventSlim(false);
            Exception? flushError = null;
            // The wrapper's own flush (LogFactory.Flush would also flush the wrapped target directly, and
            // block on its lock while the held batch is inside it).
            bed.Wrapper.Flush(ex => { flushError = ex; flushed.Set(); });
            Assert.IsFalse(flushed.IsSet, "flush cannot complete while the wrapped target holds the first batch: ");
            Assert.AreEqual(500, bed.Wrapper.QueuedCount);

            bed.Inner.Gate.Set();
            Assert.IsTrue(flushed.Wait(s_timeout), "flush completes once drained");
            Assert.IsNull(flushError);
            Assert.AreEqual(501, bed.Inner.Count);
            Assert.AreEqual(501, Volatile.Read(ref bed.Inner.EventsAtLastFlush), "the wrapped target flushed after it had every event");
            Assert.AreEqual(0, bed.Wrapper.QueuedCount);
        }

        [TestMethod]
        public void Shutdown_with_a_full_queue_delivers_everything_before_the_wrapped_target_closes()
        {
            var bed = new BackpressureTestBed(w =>
            {
                w.QueueLimit = 2000;
                w.BatchSize = 50;
                w.FullPolicy = BackpressureFullPolicy.Block;
            }, batchDelayMilliseconds: 2);
            using var metrics = new MetricCollector(bed.Name);
            bed.Inner.Gate.Reset();
            bed.Logger.Info("held");
            Poll.Until(() => Volatile.Read(ref bed.Inner.BatchesEntered) == 1, "consumer holds the first batch", s_timeout);
            for (int i = 0; i < 2000; i++)
                bed.Logger.Log(i % 10 == 0 ? LogLevel.Error : LogLevel.Info, "queued " + i);
            Assert.AreEqual(2000, bed.Wrapper.QueuedCount, "the queue is full when shutdown starts");

            bed.Inner.Gate.Set();
            bed.Factory.Shutdown();

            Assert.AreEqual(2001, bed.Inner.EventsAtClose, "everything reached the wrapped target before it was closed");
            Assert.AreEqual(0, metrics.DroppedTotal(DropReasons.Shutdown));
            Assert.AreEqual(0, metrics.DroppedTotal(DropReasons.QueueFull));
            bed.Dispose();
        }

        [TestMethod]
        public void Shutdown_past_its_timeout_returns_and_counts_what_is_left_as_shutdown_drops()
        {
            var bed = new BackpressureTestBed(w =>
            {
                w.QueueLimit = 200;
                w.BatchSize = 10;
                w.ShutdownTimeoutMilliseconds = 200;
            });
            using var metrics = new MetricCollector(bed.Name);
            bed.Inner.Gate.Reset();
            bed.Logger.Info("held");
            Poll.Until(() => Volatile.Read(ref bed.Inner.BatchesEntered) == 1, "consumer holds the first batch", s_timeout);
            for (int i = 0; i < 100; i++)
                bed.Logger.Warn("stuck " + i);

            // Close the wrapper itself: LogFactory.Shutdown() would first spend NLog's own flush timeout
            // on the stuck target, and closing the wrapped target waits for the lock the stuck write holds.
            var watch = Stopwatch.StartNew();
            var shutdown = Task.Run(() => bed.Wrapper.Dispose());
            Poll.Until(() => bed.Wrapper.ConsumerAbandoned, "the wrapper gives up after ShutdownTimeoutMilliseconds", s_timeout);
            Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(10), "close is bounded by ShutdownTimeoutMilliseconds");

            bed.Inner.Gate.Set();
            Assert.IsTrue(shutdown.Wait(s_timeout));
            Poll.Until(() => metrics.Dropped(LogLevel.Warn, DropReasons.Shutdown) == 100, "100 queued events counted as shutdown drops", s_timeout);
            Assert.AreEqual(1, bed.Inner.Count, "only the held batch was written");
            bed.Dispose();
        }
    }
}
