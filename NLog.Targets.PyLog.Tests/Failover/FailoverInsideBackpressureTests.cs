using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Failover
{
    /// <summary>A FailoverGroup behind a BackpressureWrapper: the wrapper hands it batches from its consumer thread.</summary>
    [TestClass]
    public sealed class FailoverInsideBackpressureTests
    {
        private static string Config(string wrapper, string group) => $@"<nlog xmlns='http://www.nlog-project.org/schemas/NLog.xsd'
      xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' throwConfigExceptions='true'>
  <targets>
    <target xsi:type='BackpressureWrapper' name='{wrapper}' queueLimit='1000' batchSize='100' fullPolicy='Block'>
      <target xsi:type='FailoverGroup' name='{group}'>
        <target xsi:type='FakeNetwork' name='net-primary' lingerMilliseconds='5' retryCount='2' retryDelayMilliseconds='5' queueLimit='20000' />
        <target xsi:type='FlakyTarget' name='backup' />
      </target>
    </target>
  </targets>
  <rules><logger name='*' minlevel='Trace' writeTo='{wrapper}' /></rules>
</nlog>";

        // The primary's own queue is sized above the burst: events its queue discards on overflow
        // are that child's loss (counted as its queue_full), which the group cannot re-send. With
        // the default QueueLimit (10000) NLog's queue was seen to discard a few of these 10000.
        [TestMethod]
        public void Network_primary_dying_under_load_behind_a_wrapper_loses_nothing()
        {
            const string wrapperName = "bp-fo", groupName = "fo-in-bp";
            using var wrapperMetrics = new MetricCollector(wrapperName);
            using var groupMetrics = new MetricCollector(groupName);
            using var childMetrics = new MetricCollector("net-primary");
            using var factory = TestLogFactory.FromXml(Config(wrapperName, groupName));
            var wrapper = factory.Configuration!.FindTargetByName<BackpressureTargetWrapper>(wrapperName);
            Assert.IsNotNull(wrapper);
            var group = (FailoverTarget)wrapper.WrappedTarget!;
            var primary = (FakeNetworkTarget)group.Targets[0];
            var backup = (FlakyTarget)group.Targets[1];
            int accepted = 0;
            primary.Behaviour = (batch, _) =>
            {
                // The server accepts the first 1000 events, then the connection dies for good.
                if (System.Threading.Interlocked.Add(ref accepted, batch.PendingCount) > 1000)
                    throw new TimeoutException("connection reset");
                return Task.CompletedTask;
            };

            const int threads = 4, perThread = 2500;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var logger = factory.GetLogger("t" + t);
                for (int i = 0; i < perThread; i++)
                    logger.Info("{0}-{1}", t, i);
            });
            factory.Flush(TimeSpan.FromSeconds(30));
            Poll.Until(() => primary.DeliveredCount + backup.Written.Count >= threads * perThread,
                "every event delivered somewhere",
                30000,
                () => $"primary delivered {primary.DeliveredCount}, attempts {primary.Attempts}; backup {backup.Written.Count}; child drops {string.Join(",", childMetrics.All.Where(r => r.Instrument == PyLogMetrics.EventsDroppedName).Select(r => r.Tags["reason"] + "=" + r.Value))}; wrapper drops {wrapperMetrics.Sum(PyLogMetrics.EventsDroppedName)}");

            var all = primary.Delivered().Concat(backup.Written).ToList();
            Assert.AreEqual(threads * perThread, all.Count, "nothing lost, nothing twice");
            Assert.AreEqual(threads * perThread, all.Distinct().Count());
            Assert.IsTrue(backup.Written.Count > 0 && primary.DeliveredCount > 0);
            Assert.AreEqual(1, groupMetrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "net-primary"), ("to", "backup")));
            Assert.AreEqual(0, wrapperMetrics.Sum(PyLogMetrics.EventsDroppedName), "the wrapper saw no failure");
            Assert.AreEqual(0, groupMetrics.Sum(PyLogMetrics.FailoverAllFailedName));
        }

        [TestMethod]
        public void Every_child_down_behind_a_wrapper_is_counted_and_logging_goes_on()
        {
            const string wrapperName = "bp-fo-down", groupName = "fo-in-bp-down";
            using var groupMetrics = new MetricCollector(groupName);
            using var factory = TestLogFactory.FromXml(Config(wrapperName, groupName));
            var wrapper = factory.Configuration!.FindTargetByName<BackpressureTargetWrapper>(wrapperName);
            Assert.IsNotNull(wrapper);
            var group = (FailoverTarget)wrapper.WrappedTarget!;
            ((FakeNetworkTarget)group.Targets[0]).Behaviour = (_, _) => throw new TimeoutException("no route to host");
            ((FlakyTarget)group.Targets[1]).Down = true;
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 500; i++)
                logger.Error("e{0}", i);
            factory.Flush(TimeSpan.FromSeconds(30));

            Poll.Until(() => groupMetrics.Sum(PyLogMetrics.FailoverAllFailedName) == 500, "500 events counted in all_failed");
            Assert.AreEqual(500, groupMetrics.Sum(PyLogMetrics.EventsDroppedName, ("level", "Error"), ("reason", DropReasons.WriteFailed)));
            logger.Error("still logging");   // returns normally
        }
    }
}
