using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Redis
{
    [TestClass]
    public sealed partial class RedisTargetDeliveryTests
    {
        private static RedisServer? s_server;

        private static RedisServer Server => s_server ?? throw new InvalidOperationException("redis-server not started");

        [ClassInitialize]
        public static void StartServer(TestContext context) => s_server = RedisServer.Start();

        [ClassCleanup]
        public static void StopServer() => s_server?.Dispose();

        [TestMethod]
        public void List_EveryEventArrivesInOrderPerThread_AsPlumelogRecords()
        {
            const int threads = 4;
            const int perThread = 500;
            var target = RedisTestSupport.Target(Server, "list");
            target.Key = "orders-" + target.Name;
            using var metrics = new MetricCollector(target.Name);
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("Shop.Orders");

            var producers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                int thread = t;
                producers[t] = new Thread(() =>
                {
                    using (ScopeContext.PushProperty("TraceId", "trace-" + thread))
                    {
                        for (int i = 0; i < perThread; i++)
                            logger.Info("t{0} #{1}", thread, i);
                    }
                }) { Name = "producer-" + t };
                producers[t].Start();
            }
            foreach (var producer in producers)
                producer.Join();
            factory.Flush(TimeSpan.FromSeconds(10));

            using var client = Server.Client();
            Poll.Until(() => client.ListLength(target.Key.ToString()!) >= threads * perThread, "all events in the list");
            var records = client.ListRange(target.Key.ToString()!);
            factory.Shutdown();

            Assert.AreEqual(threads * perThread, records.Count, "no duplicates, none missing");
            var next = new int[threads];
            foreach (var json in records)
            {
                var record = RedisTestSupport.Parse(json);
                AssertPlumelogShape(record);
                string content = record.GetProperty("content").GetString()!;
                int thread = content[1] - '0';
                int index = int.Parse(content.Substring(content.IndexOf('#') + 1), CultureInfo.InvariantCulture);
                Assert.AreEqual(next[thread], index, "order within producer " + thread);
                next[thread]++;
                Assert.AreEqual("producer-" + thread, record.GetProperty("threadName").GetString(), "thread captured on the logging thread");
                Assert.AreEqual("trace-" + thread, record.GetProperty("traceId").GetString(), "scope TraceId captured on the logging thread");
                Assert.AreEqual("Shop.Orders", record.GetProperty("className").GetString());
                Assert.AreEqual("INFO", record.GetProperty("logLevel").GetString());
                Assert.AreEqual("redis-tests", record.GetProperty("appName").GetString());
            }
            Assert.AreEqual(threads * perThread, metrics.Sum("pylog.events.sent"));
            Assert.AreEqual(0, metrics.Sum("pylog.events.dropped"));

            // One round trip per batch: far fewer RPUSH calls than events.
            var batches = metrics.Values("pylog.batch.size");
            Assert.IsTrue(batches.Count < threads * perThread / 5, "events were batched: " + batches.Count + " batches");
        }

        [TestMethod]
        public void List_UsesOneVariadicRpushPerBatch()
        {
            var target = RedisTestSupport.Target(Server, "rpush");
            target.Key = "rpush-" + target.Name;
            target.LingerMilliseconds = 10000;
            target.BatchSize = 200;
            using var client = Server.Client();
            long before = RpushCalls(client);
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("L");
            for (int i = 0; i < 200; i++)
                logger.Info("event {0}", i);
            Poll.Until(() => client.ListLength(target.Key.ToString()!) == 200, "a full batch is sent without waiting for linger");
            Assert.AreEqual(1, RpushCalls(client) - before, "200 events, one RPUSH");
            factory.Shutdown();
        }

        [TestMethod]
        public void LayoutKey_GroupsEventsPerKey_InOneBatch()
        {
            var target = RedisTestSupport.Target(Server, "keys");
            string prefix = "lvl-" + target.Name + "-";
            target.Key = prefix + "${level:lowercase=true}";
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("L");
            for (int i = 0; i < 30; i++)
            {
                logger.Info("info {0}", i);
                logger.Error("error {0}", i);
            }
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            using var client = Server.Client();
            var infos = client.ListRange(prefix + "info");
            var errors = client.ListRange(prefix + "error");
            Assert.AreEqual(30, infos.Count);
            Assert.AreEqual(30, errors.Count);
            for (int i = 0; i < 30; i++)
            {
                Assert.AreEqual("info " + i, RedisTestSupport.Parse(infos[i]).GetProperty("content").GetString());
                Assert.AreEqual("error " + i, RedisTestSupport.Parse(errors[i]).GetProperty("content").GetString());
            }
        }

        [TestMethod]
        public void Acl_user_from_the_connection_string_authenticates_and_delivers()
        {
            using (var admin = Server.Client())
                Assert.AreEqual("OK", admin.Call("ACL", "SETUSER", "pylog-writer", "on", ">acl-secret", "~acl-*", "+rpush", "+ping", "+info", "+client", "+cluster", "+config", "+echo", "+subscribe", "+select"));
            var target = new RedisTarget
            {
                Name = "acl",
                ConnectionString = Server.Endpoint + ",user=pylog-writer,password=acl-secret",
                Key = "acl-list",
            };
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("L");
            for (int i = 0; i < 20; i++)
                logger.Info("acl {0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            using var client = Server.Client();
            Assert.AreEqual(20, client.ListLength("acl-list"), "the ACL user (allowed only RPUSH on acl-*) delivered every event");
        }

        [TestMethod]
        public void Stream_XAddsEveryEventInOrder()
        {
            var target = RedisTestSupport.Target(Server, "stream");
            target.DataType = RedisDataType.Stream;
            target.Key = "stream-" + target.Name;
            using var metrics = new MetricCollector(target.Name);
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("Streamer");
            for (int i = 0; i < 300; i++)
                logger.Warn("entry {0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            using var client = Server.Client();
            string key = target.Key.ToString()!;
            Assert.AreEqual(300L, client.Call("XLEN", key));
            var entries = (object?[])client.Call("XRANGE", key, "-", "+")!;
            for (int i = 0; i < entries.Length; i++)
            {
                var fields = (object?[])((object?[])entries[i]!)[1]!;
                Assert.AreEqual("message", fields[0]);
                var record = RedisTestSupport.Parse((string)fields[1]!);
                AssertPlumelogShape(record);
                Assert.AreEqual("entry " + i, record.GetProperty("content").GetString());
                Assert.AreEqual("WARN", record.GetProperty("logLevel").GetString());
            }
            Assert.AreEqual(300, metrics.Sum("pylog.events.sent"));
        }

        [TestMethod]
        public void Stream_MaxLength_TrimsApproximately()
        {
            var target = RedisTestSupport.Target(Server, "trim");
            target.DataType = RedisDataType.Stream;
            target.MaxLength = 100;
            target.Key = "trim-" + target.Name;
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("L");
            for (int i = 0; i < 2000; i++)
                logger.Info("entry {0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            using var client = Server.Client();
            long length = (long)client.Call("XLEN", target.Key.ToString()!)!;
            // "~" trims whole radix-tree nodes (100 entries each by default): at least MaxLength stay, far fewer than 2000.
            Assert.IsTrue(length >= 100 && length <= 300, "XLEN after trim: " + length);
            var last = (object?[])client.Call("XREVRANGE", target.Key.ToString()!, "+", "-", "COUNT", "1")!;
            var fields = (object?[])((object?[])last[0]!)[1]!;
            Assert.AreEqual("entry 1999", RedisTestSupport.Parse((string)fields[1]!).GetProperty("content").GetString());
        }

        [TestMethod]
        public void Channel_PublishesEveryEventInOrder()
        {
            var target = RedisTestSupport.Target(Server, "channel");
            target.DataType = RedisDataType.Channel;
            target.Key = "chan-" + target.Name;
            using var subscriber = Server.Client();
            subscriber.Call("SUBSCRIBE", target.Key.ToString()!);

            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("Pub");
            for (int i = 0; i < 100; i++)
                logger.Info("published {0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));

            for (int i = 0; i < 100; i++)
            {
                var push = (object?[])subscriber.Read()!;
                Assert.AreEqual("message", push[0]);
                Assert.AreEqual(target.Key.ToString(), push[1]);
                var record = RedisTestSupport.Parse((string)push[2]!);
                AssertPlumelogShape(record);
                Assert.AreEqual("published " + i, record.GetProperty("content").GetString());
            }
            factory.Shutdown();
        }

        [TestMethod]
        public void SampleConfig_LoadsAndDelivers()
        {
            string path = Path.Combine(AppContext.BaseDirectory, "samples", "redis.config");
            Assert.IsTrue(File.Exists(path), "sample copied to the test output: " + path);
            string xml = File.ReadAllText(path);
            Assert.IsTrue(xml.Contains("port=\"6379\"", StringComparison.Ordinal), "sample has the port to substitute");
            xml = xml.Replace("port=\"6379\"", "port=\"" + Server.Port.ToString(CultureInfo.InvariantCulture) + "\"", StringComparison.Ordinal);

            using var client = Server.Client();
            client.Call("DEL", "plume_log_list");
            var factory = TestLogFactory.FromXml(xml);
            var target = factory.Configuration!.FindTargetByName<RedisTarget>("plumelog");
            Assert.IsNotNull(target);
            Assert.IsInstanceOfType<PlumelogLayout>(NLog.Targets.PyLog.Core.Utf8LayoutRenderer.Unwrap(target!.Layout), "the UTF-8 path is used");

            var logger = factory.GetLogger("Sample.Logger");
            logger.Debug("below minlevel, not shipped");
            logger.Info("sample {0}", 1);
            logger.Error(new InvalidOperationException("sample failure"), "sample {0}", 2);
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            var records = client.ListRange("plume_log_list");
            Assert.AreEqual(2, records.Count);
            var first = RedisTestSupport.Parse(records[0]);
            Assert.AreEqual("orders-service", first.GetProperty("appName").GetString());
            Assert.AreEqual("prod", first.GetProperty("env").GetString());
            Assert.AreEqual("sample 1", first.GetProperty("content").GetString());
            var second = RedisTestSupport.Parse(records[1]);
            Assert.AreEqual("ERROR", second.GetProperty("logLevel").GetString());
            StringAssert.StartsWith(second.GetProperty("content").GetString(), "sample 2\nSystem.InvalidOperationException: sample failure");
            client.Call("DEL", "plume_log_list");
        }

        [TestMethod]
        public void Method_is_the_caller_when_NLog_captured_it_else_the_thread_name()
        {
            var target = RedisTestSupport.Target(Server, "callsite");
            target.Key = "callsite-" + target.Name;
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("L");
            logger.ForInfoEvent().Message("with caller").Log();   // the builder captures CallerMemberName
            logger.Info("without caller");
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            using var client = Server.Client();
            var records = client.ListRange(target.Key.ToString()!);
            Assert.AreEqual(2, records.Count);
            Assert.AreEqual(nameof(Method_is_the_caller_when_NLog_captured_it_else_the_thread_name), PlumelogServerView.ParseRecord(records[0]).GetProperty("method").GetString());
            var second = PlumelogServerView.ParseRecord(records[1]);
            Assert.AreEqual(second.GetProperty("threadName").GetString(), second.GetProperty("method").GetString(), "never empty: the thread name, as the Java appenders write it");
        }

        internal static void AssertPlumelogShape(JsonElement record)
        {
            PlumelogServerView.ParseRecord(record.GetRawText());
            foreach (var name in new[] { "appName", "env", "serverName", "traceId", "method", "className", "threadName", "logLevel", "content", "dateTime" })
                Assert.AreEqual(JsonValueKind.String, record.GetProperty(name).ValueKind, name + " is a string");
            Assert.AreEqual(JsonValueKind.Number, record.GetProperty("dtTime").ValueKind, "dtTime is a number");
            Assert.AreEqual(JsonValueKind.Number, record.GetProperty("seq").ValueKind, "seq is a number");
            long dtTime = record.GetProperty("dtTime").GetInt64();
            Assert.IsTrue(Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - dtTime) < 600_000, "dtTime is epoch ms of now");
            Assert.IsTrue(DateTime.TryParseExact(record.GetProperty("dateTime").GetString(), "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.None, out _), "dateTime format");
        }

        private static long RpushCalls(RespClient client)
        {
            string info = (string)client.Call("INFO", "commandstats")!;
            foreach (var line in info.Split('\n'))
            {
                if (line.StartsWith("cmdstat_rpush:calls=", StringComparison.Ordinal))
                {
                    string value = line.Substring("cmdstat_rpush:calls=".Length);
                    return long.Parse(value.Substring(0, value.IndexOf(',')), CultureInfo.InvariantCulture);
                }
            }
            return 0;
        }
    }
}
