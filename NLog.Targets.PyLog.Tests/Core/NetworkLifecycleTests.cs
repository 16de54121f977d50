using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Config;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Core
{
    /// <summary>Initialization validates everything before it acquires anything, and releases what it acquired when it fails.</summary>
    [TestClass]
    public sealed class NetworkLifecycleTests
    {
        private static string Config(string name, string target) => $@"<nlog throwConfigExceptions='true'>
  <targets>{target}</targets>
  <rules><logger name='*' writeTo='{name}' /></rules>
</nlog>";

        [TestMethod]
        [DataRow("kafka-invalid", "<target type='Kafka' name='kafka-invalid' bootstrapServers='127.0.0.1:9' />", "Topic")]
        [DataRow("sls-invalid", "<target type='AliyunSls' name='sls-invalid' endpoint='http://127.0.0.1:9' project='bad_project' logstore='l' accessKeyId='id' accessKeySecret='secret' />", "Project")]
        [DataRow("redis-invalid", "<target type='Redis' name='redis-invalid' host='127.0.0.1' port='6379' streamField='' />", "StreamField")]
        public void Invalid_configuration_loaded_50_times_leaves_no_live_registration(string name, string target, string property)
        {
            using var metrics = new MetricCollector(name);
            string xml = Config(name, target);
            for (int i = 0; i < 50; i++)
            {
                var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(xml));
                StringAssert.Contains(Flatten(ex), property);
            }

            Assert.AreEqual(-1, metrics.ReadQueueSize(), "no pylog.queue.size is published for a target that failed to initialize");
        }

        [TestMethod]
        public void Valid_target_publishes_its_queue_until_it_is_closed()
        {
            // The counterpart of the test above, so that it cannot pass because nothing is ever published.
            const string name = "lifecycle-valid";
            using var metrics = new MetricCollector(name);
            var factory = TestLogFactory.With(new FakeNetworkTarget { Name = name });
            Assert.AreEqual(0, metrics.ReadQueueSize());
            factory.Shutdown();
            Assert.AreEqual(-1, metrics.ReadQueueSize(), "closing unregisters the gauge");
        }

        [TestMethod]
        public void Queue_probe_reaches_the_internals_of_the_NLog_in_use()
        {
            // The probe fails the target's initialization when NLog's AsyncTaskTarget changes shape;
            // this pins that the NLog version the package is built and tested with has that shape.
            var target = new FakeNetworkTarget { Name = "probe" };
            var probe = AsyncTaskQueueProbe.Attach(target);
            Assert.AreEqual(0, probe.Count);
            Assert.AreEqual(0, probe.Take(10).Count);
            probe.SubscribeDropped((_, _) => { });
            probe.Unsubscribe();
        }

        [TestMethod]
        [DataRow(false)]
        [DataRow(true)]
        public void NLogs_locking_queue_is_drained_and_flushed_like_the_default_one(bool forceLockingQueue)
        {
            // NLog picks its locking queue (AsyncRequestQueue) for ForceLockingQueue, and by itself for
            // OverflowAction=Block with BatchSize * 1.5 > QueueLimit; the probe must reach both kinds.
            var target = new FakeNetworkTarget { Name = "locking-" + forceLockingQueue, ForceLockingQueue = forceLockingQueue, OverflowAction = NLog.Targets.Wrappers.AsyncTargetWrapperOverflowAction.Block };
            var factory = TestLogFactory.With(target);
            try
            {
                var logger = factory.GetLogger("Locking");
                for (int i = 0; i < 50; i++)
                    logger.Info("locking {0}", i);
                factory.Flush(TimeSpan.FromSeconds(10));
                Assert.AreEqual(50, target.DeliveredCount, "a completed flush means every event before it was delivered");
            }
            finally
            {
                factory.Shutdown();
            }
        }

        private static string Flatten(Exception ex)
        {
            var text = string.Empty;
            for (var e = ex; e != null; e = e.InnerException)
                text += e.Message + " | ";
            return text;
        }
    }
}
