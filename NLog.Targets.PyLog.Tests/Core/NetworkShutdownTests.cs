using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Tests.Core
{
    [TestClass]
    public sealed class NetworkShutdownTests
    {
        [TestMethod]
        public void Shutdown_with_100k_events_queued_delivers_them_all()
        {
            const string name = "shutdown-100k";
            using var metrics = new MetricCollector(name);
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 500,
                QueueLimit = 200_000,
                LingerMilliseconds = 1000,
                // Slow enough that the queue is still full when Shutdown() is called.
                Behaviour = (_, ct) => Task.Delay(1, ct),
            };
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 100_000; i++)
                logger.Info("m{0}", i);
            factory.Shutdown();

            Assert.AreEqual(100_000, target.DeliveredCount);
            Assert.AreEqual(100_000, target.Delivered().Distinct().Count(), "no duplicates");
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }

        [TestMethod]
        public void Block_overflow_loses_nothing_and_flush_completes()
        {
            const string name = "block";
            using var metrics = new MetricCollector(name);
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 100,
                QueueLimit = 1000,
                OverflowAction = AsyncTargetWrapperOverflowAction.Block,
                Behaviour = (_, ct) => Task.Delay(1, ct),
            };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 50_000; i++)
                logger.Info("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(30));

            Assert.AreEqual(50_000, target.DeliveredCount);
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }

        [TestMethod]
        public void Close_with_the_server_down_is_bounded_and_counts_the_loss()
        {
            const string name = "close-down";
            using var metrics = new MetricCollector(name);
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 10,
                LingerMilliseconds = 0,
                CloseTimeoutMilliseconds = 300,
                RetryDelayMilliseconds = 10,
                MaxRetryDelayMilliseconds = 50,
                Behaviour = (_, _) => throw new TimeoutException("down"),
            };
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");
            for (int i = 0; i < 25; i++)
                logger.Error("m{0}", i);
            Poll.Until(() => target.Attempts > 2, "the first batch is being retried");

            // Shutdown first flushes with NLog's own timeout (15 s), then closes the target, which
            // spends at most CloseTimeoutMilliseconds before giving up on the batch in flight.
            var watch = Stopwatch.StartNew();
            factory.Shutdown();
            watch.Stop();

            Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(15 + 5), $"close took {watch.Elapsed}");
            Assert.AreEqual(0, target.DeliveredCount);
            Assert.AreEqual(25, metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.Shutdown), ("level", "Error")),
                "the batch in flight and the events still queued are counted as shutdown drops");
        }

        [TestMethod]
        public void Logging_never_throws_while_the_transport_fails()
        {
            var target = new FakeNetworkTarget
            {
                Name = "never-throws",
                LingerMilliseconds = 0,
                RetryCount = 0,
                Behaviour = (_, _) => throw new InvalidOperationException("boom"),
            };
            using var factory = TestLogFactory.With(target);
            // ThrowExceptions: a failure that reached the logging call would surface here instead of being swallowed by NLog.
            factory.ThrowExceptions = true;
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 1000; i++)
                logger.Info("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));

            Assert.AreEqual(0, target.DeliveredCount);
            Assert.IsTrue(target.Attempts > 0);
        }
    }
}
