using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Sls
{
    /// <summary>Quota, server errors, rejections, slow and absent servers, limits and shutdown.</summary>
    [TestClass]
    public sealed class SlsFailureTests
    {
        private static SlsTarget Numbered(SlsEmulator emulator, string name)
        {
            var target = SlsTestTargets.For(emulator, name);
            target.Contents.Add(new TargetPropertyWithContext("n", "${event-properties:n}"));
            target.Contents.Add(new TargetPropertyWithContext("message", "${message}"));
            return target;
        }

        private static void LogNumbered(LogFactory factory, int from, int count, string? message = null)
        {
            var logger = factory.GetLogger("t");
            for (int i = from; i < from + count; i++)
                logger.WithProperty("n", i).Info(message ?? "m");
        }

        private static List<string> Range(int from, int count) => Enumerable.Range(from, count).Select(i => i.ToString()).ToList();

        [TestMethod]
        [DataRow("quota")]
        [DataRow("5xx")]
        [DataRow("busy")]
        public void Retriable_burst_loses_nothing_and_duplicates_nothing(string kind)
        {
            string name = "sls-burst-" + kind;
            using var metrics = new MetricCollector(name);
            using var emulator = new SlsEmulator();
            var fault = kind switch
            {
                "quota" => SlsEmulator.QuotaExceeded,
                "5xx" => SlsEmulator.InternalError,
                _ => new SlsFault(503, "ServerBusy", "server busy"),
            };
            emulator.FailNext(6, fault);
            var target = Numbered(emulator, name);
            target.BatchSize = 50;
            using (var factory = TestLogFactory.With(target))
            {
                LogNumbered(factory, 0, 300);
                factory.Flush(TimeSpan.FromSeconds(20));
            }

            CollectionAssert.AreEquivalent(Range(0, 300), emulator.Logs.Select(l => l["n"]).ToList());
            Assert.AreEqual(6, emulator.Requests.Count(r => r.Status == fault.Status));
            Assert.AreEqual(6, metrics.Sum(PyLogMetrics.SendFailuresName));
            Assert.AreEqual(300, metrics.Sum(PyLogMetrics.EventsSentName));
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }

        [TestMethod]
        public void Post_body_too_large_drops_that_batch_counts_it_and_the_target_goes_on()
        {
            const string name = "sls-400";
            using var metrics = new MetricCollector(name);
            using var emulator = new SlsEmulator();
            var target = Numbered(emulator, name);
            target.LingerMilliseconds = 60_000;
            var dropped = new List<EventDroppedEventArgs>();
            target.EventDropped += (_, e) => { lock (dropped) dropped.Add(e); };
            using (var factory = TestLogFactory.With(target))
            {
                emulator.FailNext(1, SlsEmulator.BodyTooLarge);
                LogNumbered(factory, 0, 10);
                factory.Flush(TimeSpan.FromSeconds(10));
                LogNumbered(factory, 10, 5);
                factory.Flush(TimeSpan.FromSeconds(10));
            }

            CollectionAssert.AreEquivalent(Range(10, 5), emulator.Logs.Select(l => l["n"]).ToList(), "the rejected batch is not retried; later ones are sent");
            Assert.AreEqual(10, metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.Rejected), ("level", "Info")));
            Assert.AreEqual(10, dropped.Sum(d => d.Count));
            var error = dropped.Select(d => d.Exception).OfType<SlsServiceException>().First();
            Assert.AreEqual("PostBodyTooLarge", error.ErrorCode);
            Assert.AreEqual(400, error.StatusCode);
            Assert.IsNotNull(error.RequestId);
            Assert.AreEqual(2, emulator.Requests.Count);
        }

        [TestMethod]
        public void Slow_answer_times_out_and_is_retried()
        {
            const string name = "sls-slow";
            using var metrics = new MetricCollector(name);
            using var emulator = new SlsEmulator();
            emulator.FailNext(1, new SlsFault(503, "ServerBusy", null, DelayMilliseconds: 2000));
            var target = Numbered(emulator, name);
            target.RequestTimeoutMilliseconds = 300;
            using (var factory = TestLogFactory.With(target))
            {
                LogNumbered(factory, 0, 20);
                factory.Flush(TimeSpan.FromSeconds(20));
            }

            CollectionAssert.AreEquivalent(Range(0, 20), emulator.Logs.Select(l => l["n"]).ToList());
            Assert.IsTrue(metrics.Sum(PyLogMetrics.SendFailuresName) >= 1, "the timeout counted as a failed attempt");
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }

        [TestMethod]
        public void Server_down_then_up_delivers_what_waited()
        {
            const string name = "sls-down";
            using var metrics = new MetricCollector(name);
            int port = FreePort();
            var target = new SlsTarget
            {
                Name = name,
                Endpoint = "http://127.0.0.1:" + port,
                Project = "test-project",
                Logstore = "test-logstore",
                AccessKeyId = "test-key-id",
                AccessKeySecret = "test-key-secret",
                LingerMilliseconds = 10,
                RetryDelayMilliseconds = 20,
                MaxRetryDelayMilliseconds = 100,
            };
            target.Contents.Add(new TargetPropertyWithContext("n", "${event-properties:n}"));
            using var factory = TestLogFactory.With(target);
            LogNumbered(factory, 0, 50);
            Poll.Until(() => metrics.Sum(PyLogMetrics.SendFailuresName) >= 2, "connection refused twice");

            using var emulator = new SlsEmulator(port: port);
            // A flush answers at once while the server is known down: wait for the retries to get through.
            Poll.Until(() => emulator.Logs.Count >= 50, "the 50 waiting events in the emulator once it is up", 20000);
            factory.Flush(TimeSpan.FromSeconds(20));

            CollectionAssert.AreEquivalent(Range(0, 50), emulator.Logs.Select(l => l["n"]).ToList());
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }

        [TestMethod]
        public void Shutdown_delivers_what_is_queued()
        {
            const string name = "sls-shutdown";
            using var emulator = new SlsEmulator();
            var target = Numbered(emulator, name);
            target.LingerMilliseconds = 60_000;
            target.BatchSize = 1000;
            var factory = TestLogFactory.With(target);
            LogNumbered(factory, 0, 300);
            factory.Shutdown();

            CollectionAssert.AreEquivalent(Range(0, 300), emulator.Logs.Select(l => l["n"]).ToList());
        }

        [TestMethod]
        public void Batches_are_split_at_4096_logs()
        {
            const string name = "sls-split-count";
            using var metrics = new MetricCollector(name);
            using var emulator = new SlsEmulator();
            var target = Numbered(emulator, name);
            target.BatchSize = 20000;
            target.MaxBatchBytes = 64L * 1024 * 1024;
            target.LingerMilliseconds = 60_000;
            target.QueueLimit = 20000;
            using (var factory = TestLogFactory.With(target))
            {
                LogNumbered(factory, 0, 9000);
                factory.Flush(TimeSpan.FromSeconds(30));
            }

            Assert.AreEqual(9000, emulator.Logs.Select(l => l["n"]).Distinct().Count());
            Assert.IsTrue(emulator.Requests.All(r => r.Status == 200 && r.LogCount <= SlsEmulator.MaxLogs));
            Assert.IsTrue(emulator.Requests.Max(r => r.LogCount) == SlsEmulator.MaxLogs, "full requests carry 4096 logs");
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }

        [TestMethod]
        public void Batches_are_split_at_3_mb_raw()
        {
            const string name = "sls-split-bytes";
            using var emulator = new SlsEmulator();
            var target = Numbered(emulator, name);
            target.BatchSize = 1000;
            target.MaxBatchBytes = 64L * 1024 * 1024;
            target.LingerMilliseconds = 60_000;
            string big = new string('x', 200 * 1024);
            using (var factory = TestLogFactory.With(target))
            {
                LogNumbered(factory, 0, 40, big);
                factory.Flush(TimeSpan.FromSeconds(30));
            }

            CollectionAssert.AreEquivalent(Range(0, 40), emulator.Logs.Select(l => l["n"]).ToList());
            Assert.IsTrue(emulator.Requests.Count >= 3, "8 MB of logs need at least 3 requests");
            Assert.IsTrue(emulator.Requests.All(r => r.Status == 200 && r.RawLength <= SlsEmulator.MaxRawBytes));
        }

        [TestMethod]
        public void A_value_over_1_mb_drops_that_event_as_invalid()
        {
            const string name = "sls-huge-value";
            using var metrics = new MetricCollector(name);
            using var emulator = new SlsEmulator();
            var target = Numbered(emulator, name);
            using (var factory = TestLogFactory.With(target))
            {
                LogNumbered(factory, 0, 1);
                LogNumbered(factory, 1, 1, new string('y', 1024 * 1024 + 1));
                LogNumbered(factory, 2, 1);
                factory.Flush(TimeSpan.FromSeconds(10));
            }

            CollectionAssert.AreEquivalent(new[] { "0", "2" }, emulator.Logs.Select(l => l["n"]).ToList());
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.Invalid)));
        }

        private static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }
    }
}
