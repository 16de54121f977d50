using System;
using System.Diagnostics;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Config;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Core
{
    /// <summary>Shutdown with every server dead takes one close timeout in total, not one per target, and counts what it abandoned.</summary>
    [TestClass]
    public sealed class NetworkShutdownBoundTests
    {
        private const int CloseTimeout = 5000;
        private const int Events = 50;

        [TestMethod]
        public void Three_targets_with_silent_servers_shut_down_within_one_close_timeout()
        {
            using var silent = new SilentServer();
            var kafka = new KafkaTarget("bound-kafka")
            {
                BootstrapServers = "127.0.0.1:" + silent.Port,
                Topic = "logs",
                CloseTimeoutMilliseconds = CloseTimeout,
                LingerMilliseconds = 0,
            };
            kafka.ProducerConfig.Add(new KafkaProducerProperty { Name = "message.timeout.ms", Value = "1000" });
            var redis = new RedisTarget
            {
                Name = "bound-redis",
                Host = "127.0.0.1",
                Port = silent.Port,
                TimeoutMilliseconds = 1000,
                CloseTimeoutMilliseconds = CloseTimeout,
                LingerMilliseconds = 0,
            };
            var sls = new SlsTarget
            {
                Name = "bound-sls",
                Endpoint = "http://127.0.0.1:" + silent.Port,
                Project = "p",
                Logstore = "l",
                AccessKeyId = "id",
                AccessKeySecret = "secret",
                Compression = SlsCompression.Deflate,
                RequestTimeoutMilliseconds = 1000,
                CloseTimeoutMilliseconds = CloseTimeout,
                LingerMilliseconds = 0,
            };
            var targets = new PyLogNetworkTarget[] { kafka, redis, sls };
            var metrics = targets.Select(t => new MetricCollector(t.Name)).ToArray();
            try
            {
                var factory = new LogFactory { ThrowConfigExceptions = true };
                var config = new LoggingConfiguration(factory);
                foreach (var target in targets)
                    config.AddRuleForAllLevels(target);
                factory.Configuration = config;
                var logger = factory.GetLogger("t");
                for (int i = 0; i < Events; i++)
                    logger.Info("m{0}", i);
                for (int t = 0; t < targets.Length; t++)
                {
                    var m = metrics[t];
                    Poll.Until(() => m.Sum(PyLogMetrics.SendFailuresName) >= 1, targets[t].Name + " has found its server dead", 30000);
                }

                var watch = Stopwatch.StartNew();
                factory.Shutdown();
                watch.Stop();
                Console.WriteLine($"Shutdown() of three targets with silent servers: {watch.ElapsedMilliseconds} ms (CloseTimeoutMilliseconds={CloseTimeout})");

                // One window for the three (about CloseTimeout + 1 s); one after the other would be at least 3 × CloseTimeout.
                Assert.IsTrue(watch.ElapsedMilliseconds < 2 * CloseTimeout, $"Shutdown() took {watch.ElapsedMilliseconds} ms with CloseTimeoutMilliseconds={CloseTimeout} per target");
                for (int t = 0; t < targets.Length; t++)
                {
                    Assert.AreEqual(0, metrics[t].Sent, targets[t].Name + " delivered nothing");
                    Assert.AreEqual(Events, metrics[t].Dropped(DropReasons.Shutdown), targets[t].Name + " counted every abandoned event as a shutdown drop");
                }
            }
            finally
            {
                foreach (var m in metrics)
                    m.Dispose();
            }
        }
    }
}
