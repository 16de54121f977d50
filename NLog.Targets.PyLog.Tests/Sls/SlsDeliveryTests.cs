using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Sls
{
    /// <summary>Events reach the emulator whole: contents, time, topic, source, tags, shard key, STS token.</summary>
    [TestClass]
    public sealed class SlsDeliveryTests
    {
        [TestMethod]
        [DataRow(SlsCompression.Lz4, "lz4")]
        [DataRow(SlsCompression.Deflate, "deflate")]
        [DataRow(SlsCompression.None, null)]
        public void Every_event_arrives_with_its_contents_topic_source_and_tags(SlsCompression compression, string? header)
        {
            string name = "sls-deliver-" + compression;
            using var metrics = new MetricCollector(name);
            using var emulator = new SlsEmulator();
            var target = SlsTestTargets.For(emulator, name, compression);
            target.Topic = "orders";
            target.Source = "10.1.2.3";
            target.Tags.Add(new SlsTag("env", "test"));
            target.Tags.Add(new SlsTag("host", "${machinename}"));
            target.Contents.Add(new TargetPropertyWithContext("n", "${event-properties:n}"));
            target.Contents.Add(new TargetPropertyWithContext("level", "${level}"));
            target.Contents.Add(new TargetPropertyWithContext("message", "${message}"));
            target.Contents.Add(new TargetPropertyWithContext("unicode", "日志 ${event-properties:n}"));

            const int count = 1000;
            var started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using (var factory = TestLogFactory.With(target))
            {
                var logger = factory.GetLogger("orders.service");
                for (int i = 0; i < count; i++)
                    logger.WithProperty("n", i).Info("order {0} placed", i);
                factory.Flush(TimeSpan.FromSeconds(20));
            }

            var logs = emulator.Logs;
            CollectionAssert.AreEquivalent(Enumerable.Range(0, count).Select(i => i.ToString()).ToList(), logs.Select(l => l["n"]).ToList(), "each event exactly once");
            foreach (var log in logs)
            {
                Assert.AreEqual("Info", log["level"]);
                Assert.AreEqual("order " + log["n"] + " placed", log["message"]);
                Assert.AreEqual("日志 " + log["n"], log["unicode"]);
                Assert.AreEqual("orders", log.Topic);
                Assert.AreEqual("10.1.2.3", log.Source);
                Assert.AreEqual("test", log.Tags.Single(t => t.Key == "env").Value);
                Assert.AreEqual(Environment.MachineName, log.Tags.Single(t => t.Key == "host").Value);
                Assert.IsTrue(log.Time >= started - 1 && log.Time <= started + 60, "time is the event's unix seconds");
            }
            Assert.IsTrue(emulator.Requests.All(r => r.Status == 200));
            Assert.IsTrue(emulator.Requests.All(r => (r.Headers.TryGetValue("x-log-compresstype", out var v) ? v : null) == header));
            Assert.IsTrue(emulator.Requests.Count < count / 10, "batched, not one request per event (" + emulator.Requests.Count + " requests)");
            Assert.AreEqual(count, metrics.Sum(PyLogMetrics.EventsSentName));
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }

        [TestMethod]
        public void Default_contents_are_level_logger_message_and_exception_and_source_is_an_address()
        {
            using var emulator = new SlsEmulator();
            var target = SlsTestTargets.For(emulator, "sls-defaults");
            using (var factory = TestLogFactory.With(target))
            {
                var logger = factory.GetLogger("billing");
                logger.Warn("plain");
                logger.Error(new InvalidOperationException("boom"), "failed");
                factory.Flush(TimeSpan.FromSeconds(10));
            }

            var plain = emulator.Logs.Single(l => l["message"] == "plain");
            CollectionAssert.AreEqual(new[] { "level", "logger", "message" }, plain.Contents.Select(c => c.Key).ToArray(), "empty exception left out");
            Assert.AreEqual("Warn", plain["level"]);
            Assert.AreEqual("billing", plain["logger"]);
            var failed = emulator.Logs.Single(l => l["message"] == "failed");
            StringAssert.Contains(failed["exception"], "System.InvalidOperationException: boom");
            Assert.IsTrue(System.Net.IPAddress.TryParse(plain.Source, out _), "default source is an IP address: " + plain.Source);
            Assert.IsNotNull(plain.TimeNs, "sub-second part is sent");
        }

        [TestMethod]
        public void Shard_hash_key_routes_each_key_with_its_md5()
        {
            using var emulator = new SlsEmulator();
            var target = SlsTestTargets.For(emulator, "sls-route");
            target.ShardHashKey = "${event-properties:user}";
            target.Contents.Add(new TargetPropertyWithContext("user", "${event-properties:user}"));
            using (var factory = TestLogFactory.With(target))
            {
                var logger = factory.GetLogger("t");
                for (int i = 0; i < 30; i++)
                    logger.WithProperty("user", i % 3 == 0 ? "alice" : "bob").Info("m");
                factory.Flush(TimeSpan.FromSeconds(10));
            }

            Assert.AreEqual(30, emulator.LogCount);
            foreach (var log in emulator.Logs)
            {
                string md5 = Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(log["user"]!))).ToLowerInvariant();
                Assert.AreEqual(md5, log.HashKey);
            }
            Assert.IsTrue(emulator.Requests.All(r => r.Path.StartsWith("/logstores/test-logstore/shards/route?key=", StringComparison.Ordinal)));
        }

        [TestMethod]
        public void Sts_token_is_sent_and_signed()
        {
            using var emulator = new SlsEmulator { RequiredSecurityToken = "sts-token-value" };
            var target = SlsTestTargets.For(emulator, "sls-sts");
            target.SecurityToken = "sts-token-value";
            using (var factory = TestLogFactory.With(target))
            {
                factory.GetLogger("t").Info("with token");
                factory.Flush(TimeSpan.FromSeconds(10));
            }

            Assert.AreEqual("with token", emulator.Logs.Single()["message"]);
            var request = emulator.Requests.Single();
            Assert.AreEqual("sts-token-value", request.Headers["x-acs-security-token"]);
            // The emulator verified the signature over x-acs-security-token; a tampered token would not match.
            var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
            headers["x-acs-security-token"] = "other";
            string tampered = SlsEmulator.Sign(emulator.AccessKeySecret, "POST", headers["Content-MD5"], headers["Content-Type"], headers["Date"], headers, "/logstores/test-logstore/shards/lb", Array.Empty<System.Collections.Generic.KeyValuePair<string, string>>());
            Assert.AreNotEqual(request.Headers["Authorization"], "LOG test-key-id:" + tampered);
        }

        [TestMethod]
        public void Missing_sts_token_is_rejected_and_counted()
        {
            const string name = "sls-sts-missing";
            using var metrics = new MetricCollector(name);
            using var emulator = new SlsEmulator { RequiredSecurityToken = "sts-token-value" };
            var target = SlsTestTargets.For(emulator, name);
            using (var factory = TestLogFactory.With(target))
            {
                factory.GetLogger("t").Info("no token");
                factory.Flush(TimeSpan.FromSeconds(10));
            }

            Assert.AreEqual(0, emulator.LogCount);
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.Rejected)));
        }

        [TestMethod]
        public void Clock_skew_is_corrected_by_resigning_with_the_server_date()
        {
            const string name = "sls-skew";
            using var metrics = new MetricCollector(name);
            using var emulator = new SlsEmulator { ClockOffset = TimeSpan.FromHours(1) };
            var target = SlsTestTargets.For(emulator, name);
            using (var factory = TestLogFactory.With(target))
            {
                var logger = factory.GetLogger("t");
                logger.Info("first");
                factory.Flush(TimeSpan.FromSeconds(10));
                logger.Info("second");
                factory.Flush(TimeSpan.FromSeconds(10));

                var offset = target.Client!.ClockOffset;
                Assert.IsTrue(Math.Abs((offset - TimeSpan.FromHours(1)).TotalSeconds) < 5, "adopted the server clock: " + offset);
            }

            CollectionAssert.AreEqual(new[] { "first", "second" }, emulator.Logs.Select(l => l["message"]).ToArray());
            CollectionAssert.AreEqual(new[] { "RequestTimeExpired", null, null }, emulator.Requests.Select(r => r.ErrorCode).ToArray(), "one expired request, re-signed at once; later requests use the corrected clock");
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }
    }
}
