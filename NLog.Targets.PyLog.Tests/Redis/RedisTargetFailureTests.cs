using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Redis
{
    /// <summary>Outages, bad credentials, wrong key types, shutdown with work queued.</summary>
    [TestClass]
    [DoNotParallelize]
    public sealed class RedisTargetFailureTests
    {
        [TestMethod]
        public void ServerKilledMidRun_AndRestartedOnSamePort_NothingLost()
        {
            const int total = 1500;
            using var server = RedisServer.Start(persistent: true);
            var target = RedisTestSupport.Target(server, "kill");
            target.Key = "kill-list";
            using var metrics = new MetricCollector(target.Name);
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("Outage");

            var producer = new Thread(() =>
            {
                for (int i = 0; i < total; i++)
                {
                    logger.Info("e{0}", i);
                    Thread.Sleep(1);
                }
            }) { Name = "outage-producer" };
            producer.Start();

            using (var client = server.Client())
                Poll.Until(() => client.ListLength("kill-list") >= 200, "first events delivered before the kill");
            server.Kill();
            Thread.Sleep(1000); // the outage itself, not an assertion
            server.Restart();
            producer.Join();
            factory.Flush(TimeSpan.FromSeconds(30));

            using var after = server.Client();
            Poll.Until(() => after.ListLength("kill-list") >= total, "every event once the server is back", 30000);
            var records = after.ListRange("kill-list");
            factory.Shutdown();

            // At-least-once: a batch applied just before the kill but not acknowledged is sent again.
            var seen = new HashSet<int>();
            int lastFirstSeen = -1;
            foreach (var json in records)
            {
                string content = RedisTestSupport.Parse(json).GetProperty("content").GetString()!;
                int id = int.Parse(content.Substring(1), CultureInfo.InvariantCulture);
                if (seen.Add(id))
                {
                    Assert.IsTrue(id > lastFirstSeen, "first deliveries keep logging order: " + id + " after " + lastFirstSeen);
                    lastFirstSeen = id;
                }
            }
            Assert.AreEqual(total, seen.Count, "every event delivered");
            Assert.AreEqual(0, metrics.Sum("pylog.events.dropped"), "nothing dropped");
            Assert.IsTrue(metrics.Sum("pylog.send.failures") > 0, "the outage was seen and retried");
        }

        [TestMethod]
        public void ServerDownAtStart_EventsWaitAndArriveWhenItComesUp()
        {
            using var server = RedisServer.Start();
            server.Kill();
            var target = RedisTestSupport.Target(server, "late");
            target.Key = "late-list";
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("Late");
            using var metrics = new MetricCollector(target.Name);
            for (int i = 0; i < 50; i++)
                logger.Info("late {0}", i);
            Poll.Until(() => metrics.Sum(PyLogMetrics.SendFailuresName) >= 1, "the target failed an attempt against the dead server", 30000);
            Assert.IsFalse(target.IsConnected);
            Assert.AreEqual(0, metrics.Sent, "nothing delivered while the server is down");

            server.Restart();
            factory.Flush(TimeSpan.FromSeconds(20));
            using var client = server.Client();
            Poll.Until(() => client.ListLength("late-list") == 50, "queued events delivered after the server came up", 20000);
            factory.Shutdown();
        }

        [TestMethod]
        public void WrongPassword_ClearError_DropsCountedAsRejected_NoCrash()
        {
            using var server = RedisServer.Start(password: "right-password");
            var target = RedisTestSupport.Target(server, "wrongpw");
            target.Key = "secured";
            target.Password = "wrong-password";
            int dropped = 0;
            target.EventDropped += (_, e) => Interlocked.Add(ref dropped, e.Count);
            using var metrics = new MetricCollector(target.Name);
            using var log = new InternalLogCapture(LogLevel.Warn);
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("Auth");

            for (int i = 0; i < 20; i++)
                logger.Error("cannot be delivered {0}", i);   // must not throw
            factory.Flush(TimeSpan.FromSeconds(10));
            Poll.Until(() => Volatile.Read(ref dropped) == 20, "all 20 events counted as dropped", 10000, () => "got " + dropped + "; log: " + log.All);
            factory.Shutdown();

            Assert.AreEqual(20, metrics.Sum("pylog.events.dropped", ("reason", DropReasons.Rejected), ("level", "Error")));
            Assert.AreEqual(0, metrics.Sum("pylog.events.sent"));
            StringAssert.Contains(log.All, "refused authentication");
            Assert.IsFalse(log.All.Contains("wrong-password", StringComparison.Ordinal), "the password is never logged");
            using var client = server.Client();
            Assert.AreEqual(0L, client.ListLength("secured"));
        }

        [TestMethod]
        public void RequirePass_WithPasswordOrConnectionString_Delivers_AndSecretNeverShown()
        {
            const string secret = "s3cret-Pa55";
            using var server = RedisServer.Start(password: secret);
            Environment.SetEnvironmentVariable("PYLOG_TEST_REDIS_PASSWORD", secret);
            using var log = new InternalLogCapture(LogLevel.Trace);

            var viaProperty = RedisTestSupport.Target(server, "pw");
            viaProperty.Key = "pw-list";
            viaProperty.Password = "${environment:PYLOG_TEST_REDIS_PASSWORD}";
            var factory = TestLogFactory.With(viaProperty);
            factory.GetLogger("L").Info("via Password");
            factory.Flush(TimeSpan.FromSeconds(10));
            Assert.IsFalse(viaProperty.ToString()!.Contains(secret, StringComparison.Ordinal));
            factory.Shutdown();

            var viaConnectionString = RedisTestSupport.Target(server, "cs");
            viaConnectionString.Host = null;
            viaConnectionString.Key = "pw-list";
            viaConnectionString.ConnectionString = "127.0.0.1:" + server.Port.ToString(CultureInfo.InvariantCulture) + ",password=" + secret;
            factory = TestLogFactory.With(viaConnectionString);
            factory.GetLogger("L").Info("via ConnectionString");
            factory.Flush(TimeSpan.FromSeconds(10));
            Assert.IsFalse(viaConnectionString.ToString()!.Contains(secret, StringComparison.Ordinal));
            factory.Shutdown();

            using var client = server.Client();
            var records = client.ListRange("pw-list");
            Assert.AreEqual(2, records.Count);
            Assert.AreEqual("via Password", RedisTestSupport.Parse(records[0]).GetProperty("content").GetString());
            Assert.AreEqual("via ConnectionString", RedisTestSupport.Parse(records[1]).GetProperty("content").GetString());
            StringAssert.Contains(log.All, "password=*****", "the configuration is logged masked");
            foreach (var line in log.Lines) Assert.IsFalse(line.Contains(secret, StringComparison.Ordinal), "the password is never logged, not even by NLog's own trace: " + line);
            Environment.SetEnvironmentVariable("PYLOG_TEST_REDIS_PASSWORD", null);
        }

        [TestMethod]
        public void Tls_WithGeneratedCertificates_Delivers()
        {
            using var tls = RedisTlsFiles.Create();
            using var server = RedisServer.Start(password: "tls-pw", tls: tls);
            var target = RedisTestSupport.Target(server, "tls");
            target.Host = null;
            target.ConnectionString = "127.0.0.1:" + server.Port.ToString(CultureInfo.InvariantCulture) + ",ssl=true,password=tls-pw";
            target.SslCaCertificateFile = tls.CaCertificateFile;
            target.Key = "tls-list";
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("Tls");
            for (int i = 0; i < 50; i++)
                logger.Info("secure {0}", i);
            factory.Flush(TimeSpan.FromSeconds(15));

            using var client = server.Client();
            Poll.Until(() => client.ListLength("tls-list") == 50, "events delivered over TLS");
            var records = client.ListRange("tls-list");
            for (int i = 0; i < 50; i++)
                Assert.AreEqual("secure " + i, RedisTestSupport.Parse(records[i]).GetProperty("content").GetString());
            factory.Shutdown();
        }

        [TestMethod]
        public void Tls_UntrustedServerCertificate_ClearError_BatchRejected()
        {
            using var tls = RedisTlsFiles.Create();
            using var server = RedisServer.Start(tls: tls);
            var target = RedisTestSupport.Target(server, "tlsbad");
            target.Ssl = true;   // no SslCaCertificateFile: the test CA is not trusted
            target.Key = "tls-untrusted";
            target.CloseTimeoutMilliseconds = 500;
            using var metrics = new MetricCollector(target.Name);
            using var log = new InternalLogCapture(LogLevel.Warn);
            var factory = TestLogFactory.With(target);
            for (int i = 0; i < 5; i++)
                factory.GetLogger("Tls").Info("never {0}", i);
            factory.Flush(TimeSpan.FromSeconds(5));
            Poll.Until(() => metrics.Sum("pylog.events.dropped") == 5, "the batch is dropped");
            factory.Shutdown();

            Assert.AreEqual(0, metrics.Sum("pylog.events.sent"));
            Assert.AreEqual(5, metrics.Sum("pylog.events.dropped", ("reason", DropReasons.Rejected)), "an untrusted certificate is fatal, not retried");
            // One attempt learns the refusal; under load the first may time out before the handshake
            // fails (retriable), then the refusal is known and the next attempt is the last.
            Assert.IsTrue(metrics.Sum("pylog.send.failures") <= 2, "not retried with backoff: " + metrics.Sum("pylog.send.failures") + " attempts");
            StringAssert.Contains(log.All, "TLS handshake with Redis failed");
            using var client = server.Client();
            Assert.AreEqual(0L, client.ListLength("tls-untrusted"));
        }

        [TestMethod]
        public void WrongType_KeyHoldsAString_BatchRejectedNotRetried()
        {
            using var server = RedisServer.Start();
            using (var client = server.Client())
                client.Call("SET", "not-a-list", "x");
            var target = RedisTestSupport.Target(server, "wrongtype");
            target.Key = "not-a-list";
            using var metrics = new MetricCollector(target.Name);
            var factory = TestLogFactory.With(target);
            for (int i = 0; i < 10; i++)
                factory.GetLogger("L").Warn("w {0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));
            Poll.Until(() => metrics.Sum("pylog.events.dropped", ("reason", DropReasons.Rejected)) == 10, "batch rejected");
            factory.Shutdown();
            Assert.AreEqual(1, metrics.Sum("pylog.send.failures"), "fatal: not retried");
        }

        [TestMethod]
        public void ServerDown_ShutdownWithEventsQueued_CountedAsShutdown_WithinCloseTimeout()
        {
            using var server = RedisServer.Start();
            server.Kill();
            var target = RedisTestSupport.Target(server, "down");
            target.CloseTimeoutMilliseconds = 1000;
            using var metrics = new MetricCollector(target.Name);
            var factory = TestLogFactory.With(target);
            for (int i = 0; i < 50; i++)
                factory.GetLogger("L").Info("lost {0}", i);
            Poll.Until(() => metrics.Sum("pylog.send.failures") >= 1, "the target is trying");

            // The path users take: the flush answers at once (the server is known down), the close spends
            // at most CloseTimeoutMilliseconds. The bound is loose on purpose (NLog's flush alone was 15 s).
            var watch = Stopwatch.StartNew();
            factory.Shutdown();
            watch.Stop();

            Assert.IsTrue(watch.ElapsedMilliseconds < 10000, "shutdown does not wait out NLog's 15 s flush timeout: " + watch.ElapsedMilliseconds + " ms");
            Assert.AreEqual(50, metrics.Sum("pylog.events.dropped", ("reason", DropReasons.Shutdown)));
        }
    }
}
