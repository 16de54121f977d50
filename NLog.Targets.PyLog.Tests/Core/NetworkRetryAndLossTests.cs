using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Core
{
    [TestClass]
    public sealed class NetworkRetryAndLossTests
    {
        [TestMethod]
        public void Transport_failing_three_times_then_succeeding_loses_nothing()
        {
            const string name = "retry-then-ok";
            using var metrics = new MetricCollector(name);
            int failuresLeft = 3;
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 50,
                LingerMilliseconds = 0,
                RetryDelayMilliseconds = 1,
                MaxRetryDelayMilliseconds = 5,
                Behaviour = (_, _) => Interlocked.Decrement(ref failuresLeft) >= 0
                    ? throw new TimeoutException("server unreachable")
                    : Task.CompletedTask,
            };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 100; i++)
                logger.Info("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));

            var delivered = target.Delivered();
            CollectionAssert.AreEqual(Enumerable.Range(0, 100).Select(i => "m" + i).ToList(), delivered, "every event once, in order");
            Assert.AreEqual(100, metrics.Sum(PyLogMetrics.EventsSentName));
            Assert.AreEqual(3, metrics.Sum(PyLogMetrics.SendFailuresName));
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }

        [TestMethod]
        public void Fatal_error_drops_exactly_that_batch_and_counts_it()
        {
            const string name = "fatal";
            using var metrics = new MetricCollector(name);
            var dropped = new List<EventDroppedEventArgs>();
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 10,
                LingerMilliseconds = 60_000,
                Behaviour = (batch, _) =>
                {
                    for (int i = 0; i < batch.Count; i++)
                    {
                        if (batch[i] == "poison")
                            throw new FakeFatalException("400 bad request");
                    }
                    return Task.CompletedTask;
                },
            };
            target.EventDropped += (_, e) => { lock (dropped) dropped.Add(e); };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 30; i++)
            {
                if (i == 15)
                    logger.Error("poison");
                else
                    logger.Info("m{0}", i);
            }
            factory.Flush(TimeSpan.FromSeconds(10));

            var expected = Enumerable.Range(0, 10).Concat(Enumerable.Range(20, 10)).Select(i => "m" + i).ToList();
            CollectionAssert.AreEqual(expected, target.Delivered(), "batches 1 and 3 delivered, batch 2 dropped");
            Assert.AreEqual(9, metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.Rejected), ("level", "Info")));
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.Rejected), ("level", "Error")));
            Assert.AreEqual(1, target.Attempts - 2, "the fatal batch was attempted once, not retried");
            Assert.AreEqual(10, dropped.Sum(d => d.Count));
            Assert.IsTrue(dropped.All(d => d.Reason == DropReasons.Rejected && d.Exception is FakeFatalException));
        }

        [TestMethod]
        public void Retries_exhausted_drops_and_counts_the_batch()
        {
            const string name = "exhausted";
            using var metrics = new MetricCollector(name);
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 5,
                LingerMilliseconds = 0,
                RetryCount = 2,
                RetryDelayMilliseconds = 1,
                MaxRetryDelayMilliseconds = 2,
                Behaviour = (_, _) => throw new TimeoutException("down"),
            };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 5; i++)
                logger.Warn("m{0}", i);
            // A flush answers as soon as the server is known down; the retries go on behind it.
            Poll.Until(() => metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.RetriesExhausted), ("level", "Warn")) == 5, "5 events dropped after the retries");

            Assert.AreEqual(0, target.DeliveredCount);
            Assert.AreEqual(3, metrics.Sum(PyLogMetrics.SendFailuresName), "one attempt plus two retries");
        }

        [TestMethod]
        public void Single_items_rejected_by_the_transport_are_counted_and_the_rest_delivered()
        {
            const string name = "item-reject";
            using var metrics = new MetricCollector(name);
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 4,
                LingerMilliseconds = 60_000,
                Behaviour = (batch, _) =>
                {
                    for (int i = 0; i < batch.Count; i++)
                    {
                        if (batch[i].StartsWith("big", StringComparison.Ordinal))
                            batch.Reject(i, DropReasons.Rejected, new InvalidOperationException("message too large"));
                    }
                    return Task.CompletedTask;
                },
            };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            logger.Info("a");
            logger.Info("big1");
            logger.Info("b");
            logger.Info("big2");
            factory.Flush(TimeSpan.FromSeconds(10));

            CollectionAssert.AreEqual(new[] { "a", "b" }, target.Delivered());
            Assert.AreEqual(2, metrics.Sum(PyLogMetrics.EventsSentName));
            Assert.AreEqual(2, metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.Rejected)));
        }

        [TestMethod]
        public void Event_that_cannot_be_rendered_is_dropped_alone()
        {
            const string name = "render-fail";
            using var metrics = new MetricCollector(name);
            var target = new FakeNetworkTarget { Name = name, PoisonRender = "bad", LingerMilliseconds = 0 };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            logger.Info("ok1");
            logger.Info("bad");
            logger.Info("ok2");
            factory.Flush(TimeSpan.FromSeconds(10));

            CollectionAssert.AreEqual(new[] { "ok1", "ok2" }, target.Delivered());
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.Invalid)));
        }

        [TestMethod]
        public void Queue_overflow_is_counted_as_queue_full()
        {
            const string name = "overflow";
            using var metrics = new MetricCollector(name);
            using var gate = new ManualResetEventSlim(false);
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 10,
                QueueLimit = 20,
                LingerMilliseconds = 0,
                Behaviour = (_, ct) => Task.Run(() => gate.Wait(ct), ct),
            };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 500; i++)
                logger.Debug("m{0}", i);
            gate.Set();
            factory.Flush(TimeSpan.FromSeconds(10));

            double dropped = metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.QueueFull), ("level", "Debug"));
            Assert.IsTrue(dropped > 0, "a 20-event queue in front of a blocked transport overflowed");
            Assert.AreEqual(500, target.DeliveredCount + dropped, "delivered + dropped == logged");
        }

        [TestMethod]
        public void A_flush_request_NLog_discards_from_a_full_queue_is_not_counted_as_a_lost_event()
        {
            // AsyncTaskTarget queues a flush as a marker event (LogLevel.Off); a full queue may
            // discard it like any event.
            const string name = "overflow-flush";
            using var metrics = new MetricCollector(name);
            using var gate = new ManualResetEventSlim(false);
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 5,
                QueueLimit = 5,
                LingerMilliseconds = 0,
                Behaviour = (_, ct) => Task.Run(() => gate.Wait(ct), ct),
            };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            logger.Info("m0");
            Poll.Until(() => target.Attempts == 1, "the first send is blocked");
            for (int i = 1; i < 6; i++)
                logger.Info("m{0}", i);
            target.Flush(_ => { });        // the marker joins the full queue, pushing out m1
            for (int i = 6; i < 20; i++)
                logger.Info("m{0}", i);    // ... and is pushed out itself
            gate.Set();
            factory.Flush(TimeSpan.FromSeconds(10));

            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName, ("level", "Off")), "the flush marker is no event");
            double dropped = metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.QueueFull));
            Assert.AreEqual(20, target.DeliveredCount + dropped, "delivered + dropped == logged");
        }

        [TestMethod]
        public void Retries_exhausted_is_reported_once_per_event_as_a_transient_drop()
        {
            const string name = "outcome-exhausted";
            using var metrics = new MetricCollector(name);
            var outcomes = new OutcomeRecorder();
            var target = new FakeNetworkTarget
            {
                Name = name,
                LingerMilliseconds = 0,
                RetryCount = 0,
                Behaviour = (_, _) => throw new TimeoutException("down"),
            };
            ((IDeliveryReporter)target).AddDeliveryListener(outcomes);
            using var factory = TestLogFactory.With(target);

            factory.GetLogger("t").Info("x");
            Poll.Until(() => outcomes.Count == 1, "the outcome of the event");
            factory.Flush(TimeSpan.FromSeconds(10));

            var (logEvent, outcome) = outcomes.Single();
            Assert.AreEqual("x", logEvent.FormattedMessage);
            Assert.AreEqual(DropReasons.RetriesExhausted, outcome.DropReason);
            Assert.IsFalse(outcome.IsPermanent, "a server that is down may come back: transient");
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.RetriesExhausted)));
            Assert.AreEqual(1, outcomes.Count, "exactly once");
        }

        [TestMethod]
        public void Metrics_describe_the_batches_sent()
        {
            const string name = "metrics";
            using var metrics = new MetricCollector(name);
            var reports = new List<DeliveryReportedEventArgs>();
            var target = new FakeNetworkTarget { Name = name, BatchSize = 25, LingerMilliseconds = 60_000 };
            target.DeliveryReported += (_, e) => { lock (reports) reports.Add(e); };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 100; i++)
                logger.Info("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));

            Assert.AreEqual(100, metrics.Sum(PyLogMetrics.EventsSentName));
            CollectionAssert.AreEqual(new double[] { 25, 25, 25, 25 }, metrics.Values(PyLogMetrics.BatchSizeName).ToList());
            Assert.AreEqual(4, metrics.Values(PyLogMetrics.SendDurationName).Count);
            Assert.AreEqual(100, reports.Sum(r => r.Delivered));
            Assert.IsTrue(reports.All(r => r.Failed == 0 && r.Attempts == 1 && r.Exception is null));

            metrics.Observe();
            Assert.AreEqual(0, metrics.Values(PyLogMetrics.QueueSizeName).Last(), "queue gauge reads empty after flush");
        }

        [TestMethod]
        public void Queue_gauge_shows_events_waiting_behind_a_stuck_transport()
        {
            const string name = "gauge";
            using var metrics = new MetricCollector(name);
            using var gate = new ManualResetEventSlim(false);
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 10,
                LingerMilliseconds = 0,
                Behaviour = (_, ct) => Task.Run(() => gate.Wait(ct), ct),
            };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 100; i++)
                logger.Info("m{0}", i);

            Poll.Until(() => { metrics.Observe(); return metrics.Values(PyLogMetrics.QueueSizeName).LastOrDefault() >= 80; }, "gauge >= 80 while the first batch is stuck");
            gate.Set();
            factory.Flush(TimeSpan.FromSeconds(10));
            Assert.AreEqual(100, target.DeliveredCount);
        }
    }
}
