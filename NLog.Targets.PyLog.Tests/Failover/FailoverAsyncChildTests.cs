using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Failover
{
    /// <summary>Children that fail asynchronously: NLog AsyncTaskTargets, and this package's network targets (the FailedEventsHandler hook).</summary>
    [TestClass]
    public sealed class FailoverAsyncChildTests
    {
        [TestMethod]
        public void AsyncTaskTarget_failing_later_fails_over_without_losing_its_queued_events()
        {
            const string name = "fo-async-child";
            using var metrics = new MetricCollector(name);
            var primary = new FlakyAsyncTaskTarget { Name = "async-primary", Down = true, FailAfterMilliseconds = 50 };
            var secondary = new FlakyTarget("secondary");
            var group = new FailoverTarget(name, primary, secondary);
            var switches = new ConcurrentQueue<FailoverSwitchedEventArgs>();
            group.Switched += (_, e) => switches.Enqueue(e);
            using var factory = TestLogFactory.With(group);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 200; i++)
                logger.Info("m{0}", i);
            Poll.Until(() => secondary.Written.Count >= 200, "all 200 events in the secondary");

            var written = secondary.Written.ToList();
            Assert.AreEqual(200, written.Count);
            Assert.AreEqual(200, written.Distinct().Count(), "no event twice");
            Assert.AreEqual(0, primary.Written.Count);
            Assert.IsTrue(primary.FailedBatches >= 1);
            Assert.AreEqual(1, switches.Count);
            Assert.AreEqual("async-primary lost its connection", switches.Single().Exception?.Message);
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "async-primary"), ("to", "secondary")));
        }

        [TestMethod]
        public void Flush_waits_for_events_re_sent_during_the_flush()
        {
            // The primary fails only when it writes, inside the flush; the events it fails must
            // still be in the (slow, batching) secondary when Flush returns.
            var primary = new FlakyAsyncTaskTarget { Name = "async-primary", Down = true, FailAfterMilliseconds = 100, TaskDelayMilliseconds = 50 };
            var secondary = new FlakyAsyncTaskTarget { Name = "async-secondary", FailAfterMilliseconds = 50, TaskDelayMilliseconds = 200 };
            using var factory = TestLogFactory.With(new FailoverTarget("fo-flush", primary, secondary));
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 50; i++)
                logger.Info("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));

            Assert.AreEqual(50, secondary.Written.Count, "Flush returned before the re-sent events were written");
        }

        [TestMethod]
        public void Network_child_giving_a_batch_up_after_its_retries_hands_it_to_the_next_child()
        {
            const string name = "fo-network";
            using var groupMetrics = new MetricCollector(name);
            using var childMetrics = new MetricCollector("net-primary");
            var primary = new FakeNetworkTarget
            {
                Name = "net-primary",
                LingerMilliseconds = 10,
                RetryCount = 2,
                Behaviour = (_, _) => throw new TimeoutException("connect timed out"),
            };
            var secondary = new FlakyTarget("secondary");
            var group = new FailoverTarget(name, primary, secondary);
            var switches = new ConcurrentQueue<FailoverSwitchedEventArgs>();
            group.Switched += (_, e) => switches.Enqueue(e);
            using var factory = TestLogFactory.With(group);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 100; i++)
                logger.Info("m{0}", i);
            Poll.Until(() => secondary.Written.Count >= 100, "all 100 events in the secondary after the primary's retries");

            CollectionAssert.AreEquivalent(Enumerable.Range(0, 100).Select(i => "m" + i).ToList(), secondary.Written.ToList());
            Assert.IsTrue(primary.Attempts >= 3 && primary.Attempts % 3 == 0, $"each batch tried three times (RetryCount 2), then handed over: {primary.Attempts} attempts");
            Assert.AreEqual(100, childMetrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.RetriesExhausted)), "the child counts what it gave up on");
            Assert.AreEqual(0, groupMetrics.Sum(PyLogMetrics.FailoverAllFailedName), "the group lost nothing: it handed them over");
            Assert.AreEqual(1, switches.Count);
            Assert.IsInstanceOfType<TimeoutException>(switches.Single().Exception);
            Assert.AreEqual(1, groupMetrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "net-primary"), ("to", "secondary")));
        }

        [TestMethod]
        public void Network_primary_recovers_only_when_its_probe_is_delivered()
        {
            const string name = "fo-network-recovery";
            using var log = new InternalLogCapture(LogLevel.Info);
            var clock = new ManualTimeProvider();
            int down = 1;
            var primary = new FakeNetworkTarget
            {
                Name = "net-primary",
                LingerMilliseconds = 0,
                RetryCount = 2,
                RetryDelayMilliseconds = 5,
                Behaviour = (_, _) => Volatile.Read(ref down) == 1 ? throw new TimeoutException("connect timed out") : Task.CompletedTask,
            };
            var secondary = new FlakyTarget("secondary");
            var group = new FailoverTarget(name, primary, secondary) { RetryPrimaryAfterSeconds = 30, TimeProvider = clock };
            using var factory = TestLogFactory.With(group);
            var logger = factory.GetLogger("t");

            logger.Info("a0");
            Poll.Until(() => secondary.Written.Count == 1, "a0 failed over");

            // Still down at the first probe: the probed event comes back to the secondary.
            clock.Advance(TimeSpan.FromSeconds(30));
            logger.Info("probe1");
            Poll.Until(() => secondary.Written.Contains("probe1"), "the failed probe's event in the secondary");
            Assert.AreSame(secondary, group.CurrentTarget);
            Poll.Until(() => log.Find(LogLevel.Info, name).Any(m => m.Message.Contains("still failing", StringComparison.Ordinal)), "a notice for the failed probe");

            Volatile.Write(ref down, 0);
            logger.Info("a1");
            Assert.AreSame(secondary, group.CurrentTarget, "no probe before the interval");
            clock.Advance(TimeSpan.FromSeconds(30));
            logger.Info("probe2");
            Poll.Until(() => ReferenceEquals(group.CurrentTarget, primary), "recovery after the delivered probe");
            logger.Info("b0");
            factory.Flush(TimeSpan.FromSeconds(5));

            CollectionAssert.AreEqual(new[] { "a0", "probe1", "a1" }, secondary.Written.ToList());
            CollectionAssert.AreEqual(new[] { "probe2", "b0" }, primary.Delivered());
            Assert.AreEqual(1, log.Find(LogLevel.Info, name).Count(m => m.Message.Contains("recovered", StringComparison.Ordinal)), log.Dump());
        }

        [TestMethod]
        public void Shutdown_with_events_queued_in_a_dead_network_primary_hands_them_to_the_secondary()
        {
            const string name = "fo-shutdown";
            using var groupMetrics = new MetricCollector(name);
            using var childMetrics = new MetricCollector("net-primary");
            var primary = new FakeNetworkTarget
            {
                Name = "net-primary",
                LingerMilliseconds = 60_000,   // everything waits in the open batch until flushed
                RetryCount = 2,
                RetryDelayMilliseconds = 10,
                Behaviour = (_, _) => throw new TimeoutException("connect timed out"),
            };
            var secondary = new FlakyTarget("secondary");
            var factory = TestLogFactory.With(new FailoverTarget(name, primary, secondary));
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 300; i++)
                logger.Info("m{0}", i);
            factory.Shutdown();

            Assert.AreEqual(300, secondary.Written.Count, "every event queued in the dead primary reached the secondary by the end of Shutdown()");
            Assert.AreEqual(300, secondary.Written.Distinct().Count());
            Assert.AreEqual(0, childMetrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.Shutdown)), "nothing was abandoned at close");
            Assert.AreEqual(0, groupMetrics.Sum(PyLogMetrics.FailoverAllFailedName));
        }

        [TestMethod]
        public void Full_network_child_queue_spills_to_the_next_child_without_a_switch()
        {
            // The primary's send hangs (a server that accepts the connection and never answers)
            // while its retries have not yet failed the batch: its NLog queue fills, and what it
            // discards must reach the secondary instead of being lost.
            const string name = "fo-overflow";
            using var groupMetrics = new MetricCollector(name);
            using var childMetrics = new MetricCollector("net-primary");
            var hung = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var primary = new FakeNetworkTarget
            {
                Name = "net-primary",
                BatchSize = 5,
                QueueLimit = 20,
                LingerMilliseconds = 0,
                Behaviour = (_, _) => hung.Task,
            };
            var secondary = new FlakyTarget("secondary");
            var group = new FailoverTarget(name, primary, secondary);
            using var factory = TestLogFactory.With(group);
            var logger = factory.GetLogger("t");

            logger.Info("m0");
            Poll.Until(() => primary.Attempts == 1, "the first send is hanging");
            for (int i = 1; i < 200; i++)
                logger.Info("m{0}", i);
            Assert.IsTrue(secondary.Written.Count >= 150, $"the overflow went to the secondary at once ({secondary.Written.Count} events there)");
            Assert.AreSame(primary, group.CurrentTarget, "a full queue is not a failure: no switch");

            hung.SetResult();
            factory.Flush(TimeSpan.FromSeconds(10));

            var everywhere = primary.Delivered().Concat(secondary.Written).ToList();
            CollectionAssert.AreEquivalent(Enumerable.Range(0, 200).Select(i => "m" + i).ToList(), everywhere, "every event once, in one child or the other");
            Assert.AreEqual(secondary.Written.Count, (int)childMetrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.QueueFull)), "the child counts each discard; each one reached the secondary");
            Assert.AreEqual(0, groupMetrics.Sum(PyLogMetrics.FailoverSwitchesName));
            Assert.AreEqual(0, groupMetrics.Sum(PyLogMetrics.FailoverAllFailedName));
        }

        [TestMethod]
        public void Full_queue_in_the_last_network_child_is_counted_as_its_own_drop()
        {
            const string name = "fo-overflow-last";
            using var childMetrics = new MetricCollector("net-last");
            var hung = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var primary = new FlakyTarget("primary", down: true);
            var last = new FakeNetworkTarget
            {
                Name = "net-last",
                BatchSize = 5,
                QueueLimit = 20,
                LingerMilliseconds = 0,
                Behaviour = (_, _) => hung.Task,
            };
            using var factory = TestLogFactory.With(new FailoverTarget(name, primary, last));
            var logger = factory.GetLogger("t");

            logger.Error("m0");
            Poll.Until(() => last.Attempts == 1, "the first send is hanging");
            for (int i = 1; i < 100; i++)
                logger.Error("m{0}", i);
            hung.SetResult();
            factory.Flush(TimeSpan.FromSeconds(10));

            var dropped = childMetrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.QueueFull), ("level", "Error"));
            Assert.IsTrue(dropped > 0, "nothing after the last child: its queue discards and counts");
            Assert.AreEqual(100, last.Delivered().Count + dropped, "every event delivered or counted");
        }

        [TestMethod]
        public void Network_child_refusing_with_every_child_down_is_counted_by_the_group()
        {
            const string name = "fo-network-all-down";
            using var metrics = new MetricCollector(name);
            var primary = new FlakyTarget("primary", down: true);
            var last = new FakeNetworkTarget
            {
                Name = "net-last",
                LingerMilliseconds = 0,
                RetryDelayMilliseconds = 1,
                Behaviour = (_, _) => throw new FakeFatalException("401 unauthorized"),
            };
            using var factory = TestLogFactory.With(new FailoverTarget(name, primary, last));
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 10; i++)
                logger.Warn("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(5));

            Poll.Until(() => metrics.Sum(PyLogMetrics.FailoverAllFailedName) == 10, "10 events counted in all_failed");
            Assert.AreEqual(10, metrics.Sum(PyLogMetrics.EventsDroppedName, ("level", "Warn"), ("reason", DropReasons.WriteFailed)));
        }
    }
}
