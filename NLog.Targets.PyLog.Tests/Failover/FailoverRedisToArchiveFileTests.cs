using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Failover
{
    /// <summary>A real redis-server killed under a Redis target that fails over to an ArchiveFile, then restarted.</summary>
    [TestClass]
    public sealed class FailoverRedisToArchiveFileTests
    {
        private static string[] ReadLines(string path)
        {
            if (!File.Exists(path))
                return Array.Empty<string>();
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(file);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }

        private static List<string> Contents(IEnumerable<string> plumelogRecords)
        {
            return plumelogRecords.Select(json =>
            {
                using var document = JsonDocument.Parse(json);
                return document.RootElement.GetProperty("content").GetString()!;
            }).ToList();
        }

        [TestMethod]
        public void Killed_Redis_fails_over_to_the_archive_file_and_takes_over_again_once_back()
        {
            const string name = "fo-redis-file";
            using var server = RedisServer.Start();
            using var folder = new FilesTempFolder();
            using var metrics = new MetricCollector(name);
            using var redisMetrics = new MetricCollector("fo-redis");
            using var log = new InternalLogCapture(LogLevel.Info);
            var clock = new ManualTimeProvider();
            var redis = new RedisTarget
            {
                Name = "fo-redis",
                Host = "127.0.0.1",
                Port = server.Port,
                Key = "fo-list",
                LingerMilliseconds = 10,
                RetryCount = 2,
                RetryDelayMilliseconds = 50,
                TimeoutMilliseconds = 1000,
                Layout = new PlumelogLayout { AppName = "failover-tests", Env = "test" },
            };
            var file = new ArchiveFileTarget
            {
                Name = "fo-file",
                FileName = folder.File("fallback.log"),
                ArchiveFileName = folder.File("fallback-%d{yyyy-MM-dd}-%i.log"),
                Layout = "${message}",
                FlushIntervalMilliseconds = 50,
            };
            var group = new FailoverTarget(name, redis, file) { RetryPrimaryAfterSeconds = 30, TimeProvider = clock };
            var switches = new ConcurrentQueue<FailoverSwitchedEventArgs>();
            group.Switched += (_, e) => switches.Enqueue(e);
            var factory = TestLogFactory.With(group);
            var logger = factory.GetLogger("orders");
            using var client = server.Client();

            // Healthy: everything in Redis.
            for (int i = 0; i < 200; i++)
                logger.Info("a{0}", i);
            Poll.Until(() => client.ListLength("fo-list") == 200, "200 events in Redis");
            // Applied is not acknowledged: a batch whose reply the kill cuts off fails (at-least-once)
            // and would rightly go to the file too. Kill only once the target has seen every reply.
            Poll.Until(() => redisMetrics.Sum(PyLogMetrics.EventsSentName) == 200, "Redis acknowledged the 200 events");
            Assert.AreEqual(0, ReadLines(file.FileName!.Render(LogEventInfo.CreateNullEvent())).Length);

            // Killed: the events logged during the outage end up in the file.
            server.Kill();
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < 300; i++)
                logger.Info("b{0}", i);
            factory.Flush(TimeSpan.FromSeconds(30));
            var fallbackPath = folder.File("fallback.log");
            Poll.Until(() => ReadLines(fallbackPath).Length >= 300, "the outage's 300 events in the file", 20000);
            watch.Stop();
            var outage = ReadLines(fallbackPath).ToList();
            CollectionAssert.AreEqual(Enumerable.Range(0, 300).Select(i => "b" + i).ToList(), outage, "every event of the outage in the file, once, in order; got " + outage.Count + ": " + string.Join(",", outage));
            Assert.AreSame(file, group.CurrentTarget);
            Assert.AreEqual(1, switches.Count);
            Assert.AreSame(redis, switches.Single().From);
            Assert.IsNotNull(switches.Single().Exception);
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "fo-redis"), ("to", "fo-file")));
            Assert.AreEqual(redisMetrics.Sum(PyLogMetrics.EventsDroppedName), redisMetrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.RetriesExhausted)), "Redis gave batches up only after its retries (transient), which the group took over");
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.FailoverAllFailedName));

            // Back: after the retry interval the probe reaches Redis and writes return to it.
            server.Restart();
            using var after = server.Client();
            clock.Advance(TimeSpan.FromSeconds(30));
            var deadline = Stopwatch.StartNew();
            int probes = 0;
            while (!ReferenceEquals(group.CurrentTarget, redis))
            {
                // Until the client has reconnected a probe may fail and land in the file; probe again.
                if (deadline.Elapsed > TimeSpan.FromSeconds(20))
                    Assert.Fail("Redis never recovered: " + log.Dump());
                logger.Info("p{0}", probes++);
                factory.Flush(TimeSpan.FromSeconds(10));
                clock.Advance(TimeSpan.FromSeconds(30));
            }
            Console.WriteLine($"recovered after {probes} probe(s); outage detected and handed over in {watch.ElapsedMilliseconds} ms");
            for (int i = 0; i < 100; i++)
                logger.Info("c{0}", i);
            factory.Flush(TimeSpan.FromSeconds(30));
            Poll.Until(() => Contents(after.ListRange("fo-list")).Count(c => c.StartsWith('c')) == 100, "the 100 events after recovery in Redis");
            factory.Shutdown();

            var inFile = ReadLines(fallbackPath);
            var inRedis = Contents(after.ListRange("fo-list"));   // the server restarted empty (no persistence)
            Assert.IsFalse(inFile.Any(l => l.StartsWith('c')), "nothing after recovery went to the file");
            var probed = Enumerable.Range(0, probes).Select(i => "p" + i).ToList();
            CollectionAssert.AreEquivalent(probed, inFile.Where(l => l.StartsWith('p')).Concat(inRedis.Where(c => c.StartsWith('p'))).ToList(), "every probe event once, in the file or in Redis");
            Assert.IsTrue(log.Find(LogLevel.Info, name).Any(m => m.Message.Contains("recovered", StringComparison.Ordinal)), log.Dump());
            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.FailoverSwitchesName, ("from", "fo-file"), ("to", "fo-redis")));
        }
    }
}
