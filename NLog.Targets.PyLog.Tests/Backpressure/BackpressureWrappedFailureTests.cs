using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Common;
using NLog.Config;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Backpressure
{
    /// <summary>Wrapped targets that throw, or that are asynchronous themselves.</summary>
    [TestClass]
    public sealed class BackpressureWrappedFailureTests
    {
        private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

        [TestMethod]
        public void Wrapped_target_throwing_is_survived_and_counted_as_write_failed_by_level()
        {
            using var bed = new BackpressureTestBed(w => { w.QueueLimit = 1000; w.BatchSize = 20; });
            bed.Inner.ThrowOnPrefix = "boom";
            using var metrics = new MetricCollector(bed.Name);
            var raised = new List<EventDroppedEventArgs>();
            bed.Wrapper.EventDropped += (_, e) => { lock (raised) raised.Add(e); };

            for (int i = 0; i < 300; i++)
                bed.Logger.Log(i % 2 == 0 ? LogLevel.Warn : LogLevel.Error, (i % 3 == 0 ? "boom " : "fine ") + i);
            bed.Factory.Flush(s_timeout);

            Assert.AreEqual(200, bed.Inner.Count);
            Assert.AreEqual(50, metrics.Dropped(LogLevel.Warn, DropReasons.WriteFailed));
            Assert.AreEqual(50, metrics.Dropped(LogLevel.Error, DropReasons.WriteFailed));
            Assert.AreEqual(200, metrics.Sent);
            lock (raised)
            {
                Assert.AreEqual(100, raised.Where(e => e.Reason == DropReasons.WriteFailed).Sum(e => e.Count));
                Assert.IsTrue(raised.All(e => e.Exception is InvalidOperationException), "the failure travels with the drop");
            }

            bed.Logger.Info("after the failures");
            bed.Factory.Flush(s_timeout);
            Assert.AreEqual("after the failures", bed.Inner.Snapshot().Last().Message, "the consumer is still alive");
        }

        [TestMethod]
        public void Drop_warning_is_written_once_not_once_per_event()
        {
            var internalLog = new StringWriter();
            var previousWriter = InternalLogger.LogWriter;
            var previousLevel = InternalLogger.LogLevel;
            InternalLogger.LogWriter = internalLog;
            InternalLogger.LogLevel = LogLevel.Warn;
            try
            {
                using var bed = new BackpressureTestBed(w =>
                {
                    w.QueueLimit = 16;
                    w.BatchSize = 4;
                    w.FullPolicy = BackpressureFullPolicy.Discard;
                }, batchDelayMilliseconds: 1);
                using var metrics = new MetricCollector(bed.Name);
                bed.Flood(producers: 4, perProducer: 1000);
                bed.Factory.Flush(s_timeout);
                Assert.IsTrue(metrics.DroppedTotal(DropReasons.QueueFull) > 100, "the flood must drop many events");
            }
            finally
            {
                InternalLogger.LogWriter = previousWriter;
                InternalLogger.LogLevel = previousLevel;
            }

            var warnings = internalLog.ToString().Split('\n').Where(l => l.Contains("dropped") && l.Contains("queue_full")).ToArray();
            Assert.AreEqual(1, warnings.Length, "one warning for the whole burst: " + string.Join(" | ", warnings));
        }

        [TestMethod]
        public void AsyncTaskTarget_wrapped_receives_everything_and_flush_waits_for_it()
        {
            string name = "bp-async-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var inner = new RecordingAsyncTaskTarget { Name = name + "-inner", BatchSize = 100 };
            var wrapper = new BackpressureTargetWrapper(name, inner) { QueueLimit = 256, BatchSize = 64, FullPolicy = BackpressureFullPolicy.Block };
            var config = new LoggingConfiguration();
            config.AddRuleForAllLevels(wrapper);
            using var factory = new LogFactory { ThrowConfigExceptions = true, Configuration = config };
            using var metrics = new MetricCollector(name);
            var logger = factory.GetLogger("async");

            var threads = Enumerable.Range(0, 4).Select(p => new Thread(() =>
            {
                for (int i = 0; i < 1000; i++)
                    logger.Info("event {0} {1}", p, i);
            })).ToArray();
            foreach (var thread in threads)
                thread.Start();
            foreach (var thread in threads)
                thread.Join();
            factory.Flush(s_timeout);

            Assert.AreEqual(4000, inner.Count, "flush returns after the AsyncTaskTarget wrote everything");
            Poll.Until(() => metrics.Sent == 4000, "sent counted as the async target completes", s_timeout);
        }

        [TestMethod]
        public void Network_target_wrapped_whose_queue_discards_has_only_its_delivered_events_counted_as_sent()
        {
            // NLog's AsyncTaskTarget never completes an event its full queue discards; the network
            // target reports it dropped (queue_full), and the wrapper counts as sent exactly what it delivered.
            string name = "bp-net-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var hung = new System.Threading.Tasks.TaskCompletionSource(System.Threading.Tasks.TaskCreationOptions.RunContinuationsAsynchronously);
            var inner = new FakeNetworkTarget { Name = name + "-inner", BatchSize = 5, QueueLimit = 20, LingerMilliseconds = 0, Behaviour = (_, _) => hung.Task };
            var wrapper = new BackpressureTargetWrapper(name, inner) { QueueLimit = 1000, BatchSize = 50, FullPolicy = BackpressureFullPolicy.Block };
            var config = new LoggingConfiguration();
            config.AddRuleForAllLevels(wrapper);
            using var factory = new LogFactory { ThrowConfigExceptions = true, Configuration = config };
            using var metrics = new MetricCollector(name);
            using var innerMetrics = new MetricCollector(name + "-inner");
            var logger = factory.GetLogger("net");

            logger.Info("m0");
            Poll.Until(() => inner.Attempts == 1, "the inner send is hanging", s_timeout);
            for (int i = 1; i < 200; i++)
                logger.Info("m{0}", i);
            Poll.Until(() => innerMetrics.DroppedTotal(DropReasons.QueueFull) > 0, "the inner queue discards", s_timeout);
            hung.SetResult();
            factory.Flush(s_timeout);

            long innerDropped = innerMetrics.DroppedTotal(DropReasons.QueueFull);
            Assert.AreEqual(200, inner.DeliveredCount + innerDropped, "the inner target delivered or counted every event");
            Poll.Until(() => metrics.Sent == inner.DeliveredCount, $"the wrapper counts as sent what the inner target took ({metrics.Sent} vs {inner.DeliveredCount})", s_timeout);
        }

        [TestMethod]
        public void Wrapper_counts_nothing_as_sent_while_the_server_never_answers()
        {
            // Before the delivery outcome, the wrapper counted an event as sent when the network
            // target accepted it into a batch: 1000 "sent" to a server that never answered.
            string name = "bp-unanswered-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var hung = new System.Threading.Tasks.TaskCompletionSource(System.Threading.Tasks.TaskCreationOptions.RunContinuationsAsynchronously);
            int handed = 0;
            // Batches close on count or when a chunk of NLog's ends (linger 0): how many sends that
            // takes depends on the chunks a loaded machine makes, so the test counts events, not sends.
            var inner = new FakeNetworkTarget
            {
                Name = name + "-inner", BatchSize = 100, LingerMilliseconds = 0, MaxBatchesInFlight = 1000,
                Behaviour = (batch, _) =>
                {
                    System.Threading.Interlocked.Add(ref handed, batch.PendingCount);
                    return hung.Task;
                },
            };
            var wrapper = new BackpressureTargetWrapper(name, inner) { QueueLimit = 2000, BatchSize = 100 };
            var config = new LoggingConfiguration();
            config.AddRuleForAllLevels(wrapper);
            using var factory = new LogFactory { ThrowConfigExceptions = true, Configuration = config };
            using var metrics = new MetricCollector(name);
            var logger = factory.GetLogger("net");

            for (int i = 0; i < 1000; i++)
                logger.Info("m{0}", i);
            Poll.Until(() => wrapper.QueuedCount == 0 && System.Threading.Volatile.Read(ref handed) == 1000, "all 1000 events handed over, in sends that hang", (int)s_timeout.TotalMilliseconds,
                () => $"queued {wrapper.QueuedCount}, handed {System.Threading.Volatile.Read(ref handed)} in {inner.Attempts} sends");
            Assert.IsTrue(inner.Attempts >= 10, "batches hold at most BatchSize (100) events: " + inner.Attempts + " sends");
            metrics.Observe();
            Assert.AreEqual(0, metrics.Sent, "nothing is delivered while the server has not answered");

            hung.SetResult();
            Poll.Until(() => metrics.Sent == 1000, "the 1000 events counted as sent once the server answered", (int)s_timeout.TotalMilliseconds, () => "sent " + metrics.Sent);
            Assert.AreEqual(1000, inner.DeliveredCount);
        }
    }
}
