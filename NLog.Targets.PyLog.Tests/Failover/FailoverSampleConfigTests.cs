using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Failover
{
    /// <summary>Loads <c>nlog.config.samples/failover.config</c> against a real redis-server, kills it, and follows the events.</summary>
    [TestClass]
    public sealed class FailoverSampleConfigTests
    {
        private static string[] ReadLines(string path)
        {
            if (!File.Exists(path))
                return Array.Empty<string>();
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(file);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }

        private static string Content(string json)
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.GetProperty("content").GetString()!;
        }

        [TestMethod]
        public void Sample_ships_to_Redis_and_falls_back_to_the_file_when_Redis_dies()
        {
            string samplePath = Path.Combine(AppContext.BaseDirectory, "samples", "failover.config");
            Assert.IsTrue(File.Exists(samplePath), "sample missing: " + samplePath);
            using var server = RedisServer.Start();
            using var folder = new FilesTempFolder();
            using var metrics = new MetricCollector("failover");
            using var sentMetrics = new MetricCollector("plumelog");
            string xml = File.ReadAllText(samplePath)
                .Replace("port=\"6379\"", "port=\"" + server.Port + "\"", StringComparison.Ordinal)
                .Replace("value=\"${basedir}/logs\"", "value=\"" + folder.Path + "\"", StringComparison.Ordinal);
            StringAssert.Contains(xml, server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "the sample's Redis port changed; update this test");
            StringAssert.Contains(xml, folder.Path, "the sample's logDirectory variable changed; update this test");

            var factory = TestLogFactory.FromXml(xml);
            var wrapper = factory.Configuration!.FindTargetByName<BackpressureTargetWrapper>("main");
            Assert.IsNotNull(wrapper);
            var group = (FailoverTarget)wrapper.WrappedTarget!;
            Assert.AreEqual("failover", group.Name);
            Assert.AreEqual(30, group.RetryPrimaryAfterSeconds);
            var redis = (RedisTarget)group.Targets[0];
            Assert.IsInstanceOfType<ArchiveFileTarget>(group.Targets[1]);
            Assert.AreEqual(2, redis.RetryCount, "the sample gives Redis two retries before the group takes over");

            var logger = factory.GetLogger("Sample");
            logger.Debug("below minlevel");
            for (int i = 0; i < 50; i++)
                logger.Info("up{0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));
            using (var client = server.Client())
            {
                Poll.Until(() => client.ListLength("plume_log_list") == 50, "50 Plumelog records in Redis");
                // Kill only once the target has the replies too (an unacknowledged batch would also go to the file).
                Poll.Until(() => sentMetrics.Sum(PyLogMetrics.EventsSentName) == 50, "Redis acknowledged the 50 records");
                Assert.IsTrue(client.ListRange("plume_log_list").Select(Content).SequenceEqual(Enumerable.Range(0, 50).Select(i => "up" + i)));
            }

            server.Kill();
            for (int i = 0; i < 50; i++)
                logger.Info("down{0}", i);
            logger.Error(new InvalidOperationException("boom"), "failed while Redis was down");
            factory.Flush(TimeSpan.FromSeconds(20));
            string fallback = folder.File("redis-fallback.log");
            Poll.Until(() => ReadLines(fallback).Length >= 51, "51 records in the fallback file", 20000);
            factory.Shutdown();

            var records = ReadLines(fallback);
            var contents = records.Select(Content).ToList();
            CollectionAssert.AreEqual(Enumerable.Range(0, 50).Select(i => "down" + i).ToList(), contents.Take(50).ToList(), "the outage's events in the file, once, in order");
            StringAssert.StartsWith(contents[50], "failed while Redis was down\n");
            StringAssert.Contains(contents[50], "boom");
            Assert.AreEqual(51, records.Length);
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "plumelog"), ("to", "fallback")));
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.FailoverAllFailedName));
        }
    }
}
