using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Failover
{
    /// <summary>Switching between synchronous children: failure, recovery through the probe, all children down.</summary>
    [TestClass]
    public sealed class FailoverSwitchTests
    {
        private static List<string> Messages(int count, string prefix = "m") => Enumerable.Range(0, count).Select(i => prefix + i).ToList();

        [TestMethod]
        public void Primary_down_sends_every_event_to_the_secondary_in_order()
        {
            const string name = "fo-primary-down";
            using var metrics = new MetricCollector(name);
            var primary = new FlakyTarget("primary", down: true);
            var secondary = new FlakyTarget("secondary");
            var group = new FailoverTarget(name, primary, secondary);
            var switches = new ConcurrentQueue<FailoverSwitchedEventArgs>();
            group.Switched += (_, e) => switches.Enqueue(e);
            using var factory = TestLogFactory.With(group);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 100; i++)
                logger.Info("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(5));

            CollectionAssert.AreEqual(Messages(100), secondary.Written.ToList(), "every event in the secondary, once, in order");
            Assert.AreEqual(0, primary.Written.Count);
            Assert.AreEqual(1, primary.Failures, "after the switch the primary is not tried again before the retry interval");
            Assert.AreSame(secondary, group.CurrentTarget);

            Assert.AreEqual(1, switches.Count, "one switch");
            var e = switches.Single();
            Assert.AreSame(primary, e.From);
            Assert.AreSame(secondary, e.To);
            Assert.IsInstanceOfType<IOException>(e.Exception);
            Assert.AreEqual("primary is down", e.Exception!.Message);
            Assert.IsFalse(e.IsRecovery);

            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "primary"), ("to", "secondary")));
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName));
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.FailoverAllFailedName));
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }

        [TestMethod]
        public void Primary_failing_mid_stream_loses_and_duplicates_nothing()
        {
            const string name = "fo-mid-stream";
            var primary = new FlakyTarget("primary") { FailAfter = 37 };
            var secondary = new FlakyTarget("secondary");
            using var factory = TestLogFactory.With(new FailoverTarget(name, primary, secondary));
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 100; i++)
                logger.Info("m{0}", i);

            CollectionAssert.AreEqual(Messages(37), primary.Written.ToList());
            CollectionAssert.AreEqual(Messages(100).Skip(37).ToList(), secondary.Written.ToList(), "the event that failed on the primary is the first in the secondary");
        }

        [TestMethod]
        public void Primary_back_is_used_again_only_after_the_retry_interval_with_a_recovery_notice()
        {
            const string name = "fo-recovery";
            using var metrics = new MetricCollector(name);
            using var log = new InternalLogCapture(LogLevel.Info);
            var clock = new ManualTimeProvider();
            var primary = new FlakyTarget("primary", down: true);
            var secondary = new FlakyTarget("secondary");
            var group = new FailoverTarget(name, primary, secondary) { RetryPrimaryAfterSeconds = 30, TimeProvider = clock };
            var switches = new ConcurrentQueue<FailoverSwitchedEventArgs>();
            group.Switched += (_, e) => switches.Enqueue(e);
            using var factory = TestLogFactory.With(group);
            var logger = factory.GetLogger("t");

            logger.Info("a0");
            primary.Down = false;
            clock.Advance(TimeSpan.FromSeconds(29));
            logger.Info("a1");
            Assert.AreEqual(0, primary.Written.Count, "29 s after the switch the primary is not probed yet");
            Assert.AreEqual(0, log.Find(LogLevel.Info, "recovered").Count);

            clock.Advance(TimeSpan.FromSeconds(1));
            logger.Info("b0");
            logger.Info("b1");
            logger.Info("b2");

            CollectionAssert.AreEqual(new[] { "a0", "a1" }, secondary.Written.ToList());
            CollectionAssert.AreEqual(new[] { "b0", "b1", "b2" }, primary.Written.ToList(), "the probe succeeded and writes returned to the primary");
            Assert.AreSame(primary, group.CurrentTarget);

            var notices = log.Find(LogLevel.Info, name);
            Assert.AreEqual(1, notices.Count(m => m.Message.Contains("recovered", StringComparison.Ordinal)), log.Dump());
            Assert.AreEqual(1, log.Find(LogLevel.Warn, name).Count(m => m.Message.Contains("failed", StringComparison.Ordinal)), "the switch was logged once: " + log.Dump());

            Assert.AreEqual(2, switches.Count);
            var back = switches.Last();
            Assert.AreSame(secondary, back.From);
            Assert.AreSame(primary, back.To);
            Assert.IsNull(back.Exception);
            Assert.IsTrue(back.IsRecovery);
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "primary"), ("to", "secondary")));
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "secondary"), ("to", "primary")));
        }

        [TestMethod]
        public void Failed_probe_keeps_its_events_and_waits_another_interval()
        {
            const string name = "fo-probe-fails";
            using var metrics = new MetricCollector(name);
            var clock = new ManualTimeProvider();
            var primary = new FlakyTarget("primary", down: true);
            var secondary = new FlakyTarget("secondary");
            var group = new FailoverTarget(name, primary, secondary) { RetryPrimaryAfterSeconds = 10, TimeProvider = clock };
            using var factory = TestLogFactory.With(group);
            var logger = factory.GetLogger("t");

            logger.Info("m0");
            clock.Advance(TimeSpan.FromSeconds(10));
            logger.Info("m1");   // the probe, fails over to the secondary
            logger.Info("m2");
            clock.Advance(TimeSpan.FromSeconds(9));
            logger.Info("m3");
            Assert.AreEqual(2, primary.Failures, "one failure at the switch, one probe; none in between");

            clock.Advance(TimeSpan.FromSeconds(1));
            logger.Info("m4");   // second probe
            Assert.AreEqual(3, primary.Failures);

            CollectionAssert.AreEqual(Messages(5), secondary.Written.ToList(), "probed events are not lost");
            Assert.AreSame(secondary, group.CurrentTarget);
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName), "a failed probe is not a switch");
        }

        [TestMethod]
        public void All_children_down_counts_every_event_and_never_throws()
        {
            const string name = "fo-all-down";
            using var metrics = new MetricCollector(name);
            using var log = new InternalLogCapture(LogLevel.Warn);
            var primary = new FlakyTarget("primary", down: true);
            var secondary = new FlakyTarget("secondary", down: true);
            var group = new FailoverTarget(name, primary, secondary);
            var dropped = new ConcurrentQueue<EventDroppedEventArgs>();
            group.EventDropped += (_, e) => dropped.Enqueue(e);
            using var factory = TestLogFactory.With(group);
            factory.ThrowExceptions = false;
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 15; i++)
                logger.Info("m{0}", i);
            for (int i = 0; i < 5; i++)
                logger.Error("e{0}", i);
            factory.Flush(TimeSpan.FromSeconds(5));

            Assert.AreEqual(20, metrics.Sum(PyLogMetrics.FailoverAllFailedName));
            Assert.AreEqual(15, metrics.Sum(PyLogMetrics.EventsDroppedName, ("level", "Info"), ("reason", DropReasons.WriteFailed)));
            Assert.AreEqual(5, metrics.Sum(PyLogMetrics.EventsDroppedName, ("level", "Error"), ("reason", DropReasons.WriteFailed)));
            Assert.AreEqual(20, dropped.Sum(d => d.Count));
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName), "primary -> secondary, then nowhere left");
            Assert.AreEqual(1, log.Find(LogLevel.Warn, name).Count(m => m.Message.Contains("every child failed", StringComparison.Ordinal)), "logged once, not per event: " + log.Dump());

            secondary.Down = false;
            logger.Info("after");
            CollectionAssert.AreEqual(new[] { "after" }, secondary.Written.ToList(), "the group keeps working once a child does");
        }

        [TestMethod]
        public void Cascades_through_three_children()
        {
            const string name = "fo-cascade";
            using var metrics = new MetricCollector(name);
            var first = new FlakyTarget("first", down: true);
            var second = new FlakyTarget("second") { FailAfter = 3 };
            var third = new FlakyTarget("third");
            using var factory = TestLogFactory.With(new FailoverTarget(name, first, second, third));
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 10; i++)
                logger.Info("m{0}", i);

            CollectionAssert.AreEqual(Messages(3), second.Written.ToList());
            CollectionAssert.AreEqual(Messages(10).Skip(3).ToList(), third.Written.ToList());
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "first"), ("to", "second")));
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "second"), ("to", "third")));
        }

        [TestMethod]
        public void Concurrent_writers_switch_once_and_every_event_lands_exactly_once()
        {
            const string name = "fo-concurrent";
            using var metrics = new MetricCollector(name);
            var primary = new FlakyTarget("primary") { FailAfter = 5000 };
            var secondary = new FlakyTarget("secondary");
            var group = new FailoverTarget(name, primary, secondary);
            int switched = 0;
            group.Switched += (_, _) => Interlocked.Increment(ref switched);
            using var factory = TestLogFactory.With(group);

            const int threads = 8, perThread = 2000;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var logger = factory.GetLogger("t" + t);
                for (int i = 0; i < perThread; i++)
                    logger.Info("{0}-{1}", t, i);
            });
            factory.Flush(TimeSpan.FromSeconds(5));

            var all = primary.Written.Concat(secondary.Written).ToList();
            Assert.AreEqual(threads * perThread, all.Count, "nothing lost, nothing written twice");
            Assert.AreEqual(threads * perThread, all.Distinct().Count());
            Assert.IsTrue(primary.Written.Count >= 5000 && secondary.Written.Count > 0, $"primary {primary.Written.Count}, secondary {secondary.Written.Count}");
            Assert.AreEqual(1, Volatile.Read(ref switched));
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName));
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.FailoverAllFailedName));
        }

        [TestMethod]
        public void Batches_from_an_async_wrapper_fail_over_event_by_event()
        {
            const string name = "fo-batches";
            using var metrics = new MetricCollector(name);
            var primary = new FlakyTarget("primary") { FailAfter = 250 };
            var secondary = new FlakyTarget("secondary");
            var group = new FailoverTarget(name, primary, secondary);
            var wrapper = new NLog.Targets.Wrappers.AsyncTargetWrapper("async", group) { BatchSize = 100, QueueLimit = 10_000, OverflowAction = NLog.Targets.Wrappers.AsyncTargetWrapperOverflowAction.Block };
            using var factory = TestLogFactory.With(wrapper);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 1000; i++)
                logger.Info("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));

            CollectionAssert.AreEqual(Messages(250), primary.Written.ToList());
            CollectionAssert.AreEqual(Messages(1000).Skip(250).ToList(), secondary.Written.ToList());
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName));
        }

        [TestMethod]
        public void Throwing_Switched_handler_does_not_reach_the_application()
        {
            var primary = new FlakyTarget("primary", down: true);
            var secondary = new FlakyTarget("secondary");
            var group = new FailoverTarget("fo-bad-handler", primary, secondary);
            int calls = 0;
            group.Switched += (_, _) =>
            {
                System.Threading.Interlocked.Increment(ref calls);
                throw new InvalidOperationException("alerting is down");
            };
            using var factory = TestLogFactory.With(group);

            factory.GetLogger("t").Info("m0");

            Assert.AreEqual(1, calls, "the handler ran (and threw); the switch went on regardless");
            CollectionAssert.AreEqual(new[] { "m0" }, secondary.Written.ToList());
        }
    }
}
