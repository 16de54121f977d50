using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Kafka;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Kafka
{
    /// <summary>The Kafka target against librdkafka's mock cluster (real protocol on loopback), one cluster per test.</summary>
    [TestClass]
    public sealed class KafkaTargetTests
    {
        private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(20);

        [ClassInitialize]
        public static void ClassInitialize(TestContext context)
        {
            KafkaNativeLibrary.EnsureLoaded();
        }

        [TestMethod]
        public void EveryEventArrivesWithKeyHeadersAndJsonValue()
        {
            using var cluster = KafkaMockCluster.Start(3);
            cluster.CreateTopic("app", 4);
            using var metrics = new MetricCollector("k1");
            var factory = CreateFactory(KafkaXml("k1", cluster, "app", key: "${logger}",
                inner: "<header name='app' layout='demo' /><header name='lvl' layout='${level}' />"));
            var target = factory.Configuration!.FindTargetByName<KafkaTarget>("k1")!;
            Assert.IsInstanceOfType<PyLogJsonLayout>(Utf8LayoutRenderer.Unwrap(target.Layout), "PyLogJson is the default value layout");
            int reportedDelivered = 0;
            target.DeliveryReported += (_, e) => Interlocked.Add(ref reportedDelivered, e.Delivered);

            const int count = 300;
            for (int i = 0; i < count; i++)
                factory.GetLogger("Svc" + (i % 5)).Info("event {Index}", i);
            factory.Flush(TimeSpan.FromSeconds(10));

            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "app", 4, count, ReadTimeout);
            factory.Shutdown();

            Assert.AreEqual(count, records.Count, "every event arrives exactly once");
            var seen = new HashSet<int>();
            foreach (var record in records)
            {
                using var json = JsonDocument.Parse(record.Value);
                var message = json.RootElement.GetProperty("message").GetString()!;
                int index = int.Parse(message.Substring("event ".Length));
                Assert.IsTrue(seen.Add(index), "duplicate " + message);
                Assert.AreEqual("Svc" + (index % 5), record.Key);
                Assert.AreEqual("Svc" + (index % 5), json.RootElement.GetProperty("logger").GetString());
                Assert.AreEqual("Info", json.RootElement.GetProperty("level").GetString());
                Assert.IsTrue(json.RootElement.TryGetProperty("time", out _), "time field");
                Assert.AreEqual("demo", record.Headers["app"]);
                Assert.AreEqual("Info", record.Headers["lvl"]);
                Assert.IsTrue(Math.Abs((DateTime.UtcNow - record.TimestampUtc).TotalMinutes) < 5, "record timestamp is the event time");
            }
            Assert.AreEqual(count, metrics.Sent);
            Assert.AreEqual(0, (long)metrics.Sum("pylog.events.dropped"));
            Assert.AreEqual(count, Volatile.Read(ref reportedDelivered));
        }

        [TestMethod]
        public void Utf8LayoutRendersStraightToTheValueBytes()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("bytes", 1);
            var target = new KafkaTarget("k12") { BootstrapServers = cluster.BootstrapServers, Topic = "bytes", Layout = new MarkerUtf8Layout() };
            target.ProducerConfig.Add(new KafkaProducerProperty("linger.ms", "1"));
            var factory = TestLogFactory.With(target);
            factory.GetLogger("Bytes").Info("hello");
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "bytes", 1, 1, ReadTimeout);
            Assert.AreEqual(1, records.Count);
            Assert.AreEqual("utf8:hello", records[0].Value, "the IUtf8Layout path was taken, not Layout.Render");
        }

        [TestMethod]
        public void SameKeyAlwaysLandsInTheSamePartition()
        {
            using var cluster = KafkaMockCluster.Start(3);
            cluster.CreateTopic("keyed", 6);
            var factory = CreateFactory(KafkaXml("k2", cluster, "keyed", key: "${event-properties:TraceId}"));
            var logger = factory.GetLogger("Keyed");
            const int count = 400;
            for (int i = 0; i < count; i++)
                logger.WithProperty("TraceId", "trace-" + (i % 20)).Info("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "keyed", 6, count, ReadTimeout);
            Assert.AreEqual(count, records.Count);
            var partitionsByKey = records.GroupBy(r => r.Key!).ToDictionary(g => g.Key, g => g.Select(r => r.Partition).Distinct().ToList());
            Assert.AreEqual(20, partitionsByKey.Count);
            foreach (var pair in partitionsByKey)
                Assert.AreEqual(1, pair.Value.Count, "key " + pair.Key + " spread over partitions " + string.Join(",", pair.Value));
            Assert.IsTrue(records.Select(r => r.Partition).Distinct().Count() > 1, "20 keys use more than one partition");
        }

        [TestMethod]
        public void AllBrokersDownForSecondsThenUp_NothingLost()
        {
            using var cluster = KafkaMockCluster.Start(3);
            cluster.CreateTopic("outage", 3);
            using var metrics = new MetricCollector("k3");
            // message.timeout.ms shorter than the outage: librdkafka gives the messages back as timed out
            // and the target's own retry loop must deliver them once the brokers return.
            var factory = CreateFactory(KafkaXml("k3", cluster, "outage", attributes: "batchSize='50' lingerMilliseconds='20' retryDelayMilliseconds='100' maxRetryDelayMilliseconds='500'",
                inner: "<producerConfig name='message.timeout.ms' value='1500' />"));
            var logger = factory.GetLogger("Outage");

            int next = 0;
            for (; next < 200; next++)
                logger.Info("o{0}", next);
            factory.Flush(TimeSpan.FromSeconds(10));

            cluster.AllBrokersDown();
            var down = Stopwatch.StartNew();
            while (down.Elapsed < TimeSpan.FromSeconds(3.5))
            {
                logger.Info("o{0}", next++);
                Thread.Sleep(5);
            }
            cluster.AllBrokersUp();
            for (int i = 0; i < 100; i++)
                logger.Info("o{0}", next++);
            factory.Flush(TimeSpan.FromSeconds(30));
            factory.Shutdown();

            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "outage", 3, next, ReadTimeout);
            var unique = new HashSet<string>(records.Select(r => JsonDocument.Parse(r.Value).RootElement.GetProperty("message").GetString()!));
            Assert.AreEqual(next, unique.Count, "every event written before, during and after the outage arrives");
            Assert.AreEqual(0, (long)metrics.Sum("pylog.events.dropped"));
            Assert.IsTrue((long)metrics.Sum("pylog.send.failures") > 0, "the outage was seen as failed attempts and retried");
        }

        [TestMethod]
        public void PushedRetriableProduceErrors_NothingLost()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("flaky", 2);
            using var metrics = new MetricCollector("k4");
            var factory = CreateFactory(KafkaXml("k4", cluster, "flaky", attributes: "batchSize='100'",
                inner: "<producerConfig name='retry.backoff.ms' value='20' />"));
            var logger = factory.GetLogger("Flaky");
            logger.Info("warm-up");
            factory.Flush(TimeSpan.FromSeconds(10));

            cluster.PushRequestErrors(KafkaMockCluster.ProduceApiKey,
                KafkaMockCluster.ErrNotLeaderForPartition, KafkaMockCluster.ErrRequestTimedOut, KafkaMockCluster.ErrNotEnoughReplicas,
                KafkaMockCluster.ErrRequestTimedOut, KafkaMockCluster.ErrNotLeaderForPartition);
            const int count = 500;
            for (int i = 0; i < count; i++)
                logger.Info("f{0}", i);
            factory.Flush(TimeSpan.FromSeconds(20));
            factory.Shutdown();

            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "flaky", 2, count + 1, ReadTimeout);
            var unique = new HashSet<string>(records.Select(r => JsonDocument.Parse(r.Value).RootElement.GetProperty("message").GetString()!));
            Assert.AreEqual(count + 1, unique.Count);
            Assert.AreEqual(0, (long)metrics.Sum("pylog.events.dropped"));
            Assert.AreEqual(count + 1, metrics.Sent);
        }

        [TestMethod]
        public void BrokerRejectsMessageTooLarge_CountedAsRejected()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("strict", 1);
            using var metrics = new MetricCollector("k5");
            var factory = CreateFactory(KafkaXml("k5", cluster, "strict", attributes: "batchSize='10' lingerMilliseconds='0'"));
            var target = factory.Configuration!.FindTargetByName<KafkaTarget>("k5")!;
            var dropped = new ConcurrentQueue<EventDroppedEventArgs>();
            target.EventDropped += (_, e) => dropped.Enqueue(e);
            var logger = factory.GetLogger("Strict");
            logger.Info("warm-up");
            factory.Flush(TimeSpan.FromSeconds(10));

            // The next produce request fails for good: its messages are dropped, the rest flows.
            cluster.PushRequestErrors(KafkaMockCluster.ProduceApiKey, KafkaMockCluster.ErrMessageTooLarge);
            logger.Warn("too-large");
            factory.Flush(TimeSpan.FromSeconds(10));
            for (int i = 0; i < 20; i++)
                logger.Info("after{0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            Assert.AreEqual(1, metrics.Dropped(DropReasons.Rejected));
            Assert.AreEqual(1, (long)metrics.Sum("pylog.events.dropped"));
            Assert.AreEqual(21, metrics.Sent);
            Assert.IsTrue(dropped.TryDequeue(out var drop));
            Assert.AreEqual(DropReasons.Rejected, drop!.Reason);
            Assert.AreEqual(LogLevel.Warn, drop.Level);
            StringAssert.Contains(drop.Exception!.Message, "MsgSizeTooLarge");

            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "strict", 1, 21, ReadTimeout);
            Assert.AreEqual(21, records.Count);
            Assert.IsFalse(records.Any(r => r.Value.Contains("too-large")));
        }

        [TestMethod]
        public void MessageAboveMessageMaxBytes_RejectedAloneOthersDelivered()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("limits", 1);
            using var metrics = new MetricCollector("k6");
            var factory = CreateFactory(KafkaXml("k6", cluster, "limits",
                inner: "<producerConfig name='message.max.bytes' value='2000' />"));
            var logger = factory.GetLogger("Limits");
            for (int i = 0; i < 30; i++)
                logger.Info(i == 15 ? new string('x', 5000) : "small" + i);
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            Assert.AreEqual(1, metrics.Dropped(DropReasons.Rejected));
            Assert.AreEqual(29, metrics.Sent);
            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "limits", 1, 29, ReadTimeout);
            Assert.AreEqual(29, records.Count);
        }

        [TestMethod]
        public void UnknownTopicWithAutoCreateOff_CountedAsRejected()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("known", 1);
            // The mock cluster would auto-create any topic; make it answer "unknown" for this one.
            cluster.SetTopicError("missing", KafkaMockCluster.ErrUnknownTopicOrPartition);
            using var metrics = new MetricCollector("k10");
            var factory = CreateFactory(KafkaXml("k10", cluster, "${event-properties:Topic:whenEmpty=known}",
                inner: "<producerConfig name='allow.auto.create.topics' value='false' /><producerConfig name='topic.metadata.propagation.max.ms' value='500' />"));
            var logger = factory.GetLogger("Topics");
            for (int i = 0; i < 5; i++)
                logger.WithProperty("Topic", "missing").Error("lost{0}", i);
            for (int i = 0; i < 10; i++)
                logger.Info("kept{0}", i);
            factory.Flush(TimeSpan.FromSeconds(15));
            factory.Shutdown();

            Assert.AreEqual(5, metrics.Dropped(DropReasons.Rejected));
            Assert.AreEqual(5, (long)metrics.Sum("pylog.events.dropped"));
            Assert.AreEqual(10, metrics.Sent);
            Assert.AreEqual(10, KafkaTopicReader.Read(cluster.BootstrapServers, "known", 1, 10, ReadTimeout).Count);
        }

        [TestMethod]
        public void TopicAuthorizationFailure_CountedAsRejected()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("locked", 1);
            using var metrics = new MetricCollector("k11");
            var factory = CreateFactory(KafkaXml("k11", cluster, "locked", attributes: "lingerMilliseconds='0'"));
            var target = factory.Configuration!.FindTargetByName<KafkaTarget>("k11")!;
            var dropped = new ConcurrentQueue<EventDroppedEventArgs>();
            target.EventDropped += (_, e) => dropped.Enqueue(e);
            var logger = factory.GetLogger("Auth");
            logger.Info("warm-up");
            factory.Flush(TimeSpan.FromSeconds(10));

            cluster.PushRequestErrors(KafkaMockCluster.ProduceApiKey, KafkaMockCluster.ErrTopicAuthorizationFailed);
            logger.Error("denied");
            factory.Flush(TimeSpan.FromSeconds(10));
            for (int i = 0; i < 6; i++)
                logger.Info("a{0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            // librdkafka keeps the topic's authorization error until its next metadata refresh, so
            // the events after "denied" may be refused too: each one is counted, none retried.
            long rejected = metrics.Dropped(DropReasons.Rejected);
            Assert.IsTrue(rejected >= 1, "the denied event is counted as rejected");
            Assert.AreEqual(rejected, (long)metrics.Sum("pylog.events.dropped"));
            Assert.AreEqual(8, rejected + metrics.Sent);
            Assert.AreEqual(0, (long)metrics.Sum("pylog.send.failures"), "a permanent error is not retried");
            Assert.IsTrue(dropped.TryPeek(out var drop));
            Assert.AreEqual(LogLevel.Error, drop!.Level);
            StringAssert.Contains(drop.Exception!.Message, "TopicAuthorizationFailed");
        }

        [TestMethod]
        public void FullLocalQueueWaitsInsteadOfDropping()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("narrow", 1);
            using var metrics = new MetricCollector("k7");
            var factory = CreateFactory(KafkaXml("k7", cluster, "narrow", attributes: "batchSize='1000'",
                inner: "<producerConfig name='queue.buffering.max.messages' value='10' />"));
            var logger = factory.GetLogger("Narrow");
            const int count = 1000;
            for (int i = 0; i < count; i++)
                logger.Info("n{0}", i);
            factory.Flush(TimeSpan.FromSeconds(20));
            factory.Shutdown();

            Assert.AreEqual(0, (long)metrics.Sum("pylog.events.dropped"));
            Assert.AreEqual(0, (long)metrics.Sum("pylog.send.failures"), "a full queue is waited on, not failed and retried");
            Assert.AreEqual(count, metrics.Sent);
            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "narrow", 1, count, ReadTimeout);
            Assert.AreEqual(count, records.Count);
            CollectionAssert.AreEqual(Enumerable.Range(0, count).Select(i => "n" + i).ToList(),
                records.Select(r => JsonDocument.Parse(r.Value).RootElement.GetProperty("message").GetString()).ToList(),
                "one partition keeps the order");
        }

        [TestMethod]
        public void ShutdownWithWorkInFlightDeliversIt()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("closing", 1);
            using var metrics = new MetricCollector("k8");
            // A long linger keeps the batch open: only the close sends it.
            var factory = CreateFactory(KafkaXml("k8", cluster, "closing", attributes: "batchSize='5000' lingerMilliseconds='60000'"));
            var logger = factory.GetLogger("Closing");
            const int count = 2000;
            for (int i = 0; i < count; i++)
                logger.Info("c{0}", i);
            var clock = Stopwatch.StartNew();
            factory.Shutdown();
            Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(10), "close is bounded");

            Assert.AreEqual(count, metrics.Sent);
            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "closing", 1, count, ReadTimeout);
            Assert.AreEqual(count, records.Count);
        }

        [TestMethod]
        public void ShutdownWithBrokersDownIsBoundedAndCountsTheLoss()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("dead", 1);
            using var metrics = new MetricCollector("k9");
            var factory = CreateFactory(KafkaXml("k9", cluster, "dead", attributes: "closeTimeoutMilliseconds='1500'"));
            var logger = factory.GetLogger("Dead");
            logger.Info("warm-up");
            factory.Flush(TimeSpan.FromSeconds(10));
            cluster.AllBrokersDown();
            for (int i = 0; i < 50; i++)
                logger.Info("d{0}", i);

            // The target's own close (LogFactory.Shutdown first runs NLog's flush, bounded by its 15 s default).
            var target = factory.Configuration!.FindTargetByName<KafkaTarget>("k9")!;
            var clock = Stopwatch.StartNew();
            ((IDisposable)target).Dispose();
            Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(5), "close took " + clock.Elapsed);
            factory.Shutdown();
            Assert.AreEqual(50, metrics.Dropped(DropReasons.Shutdown));
        }

        [TestMethod]
        public void SampleConfigLoadsAndDelivers()
        {
            using var cluster = KafkaMockCluster.Start(3);
            cluster.CreateTopic("app-logs", 3);
            string xml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "kafka.config"));
            const string placeholder = "${environment:KAFKA_BOOTSTRAP_SERVERS:whenEmpty=localhost\\:9092}";
            StringAssert.Contains(xml, placeholder);
            var factory = CreateFactory(xml.Replace(placeholder, cluster.BootstrapServers));
            var target = factory.Configuration!.FindTargetByName<KafkaTarget>("kafka");
            Assert.IsNotNull(target);
            for (int i = 0; i < 50; i++)
                factory.GetLogger("Sample" + (i % 3)).Info("s{0}", i);
            factory.GetLogger("Sample").Debug("below minlevel");
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "app-logs", 3, 50, ReadTimeout);
            Assert.AreEqual(50, records.Count);
            Assert.IsTrue(records.All(r => r.Key!.StartsWith("Sample", StringComparison.Ordinal)));
            Assert.IsTrue(records.All(r => r.Headers["level"] == "Info" && r.Headers.ContainsKey("host")));
        }

        [TestMethod]
        public void MissingBootstrapServersFailsAtConfigLoad()
        {
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => CreateFactory(
                "<nlog throwConfigExceptions='true'><targets><target type='Kafka' name='nb' topic='t' /></targets>" +
                "<rules><logger name='*' writeTo='nb' /></rules></nlog>"));
            StringAssert.Contains(AllMessages(ex), "BootstrapServers");
        }

        [TestMethod]
        public void MissingTopicFailsAtConfigLoad()
        {
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => CreateFactory(
                "<nlog throwConfigExceptions='true'><targets><target type='Kafka' name='nt' bootstrapServers='127.0.0.1:1' /></targets>" +
                "<rules><logger name='*' writeTo='nt' /></rules></nlog>"));
            StringAssert.Contains(AllMessages(ex), "Topic");
        }

        [TestMethod]
        public void UnknownProducerPropertyFailsAtConfigLoadWithoutSecrets()
        {
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => CreateFactory(
                "<nlog throwConfigExceptions='true'><targets><target type='Kafka' name='np' bootstrapServers='127.0.0.1:1' topic='t'>" +
                "<producerConfig name='sasl.password' value='hunter2-secret' /><producerConfig name='no.such.property' value='1' />" +
                "</target></targets><rules><logger name='*' writeTo='np' /></rules></nlog>"));
            var text = AllMessages(ex);
            StringAssert.Contains(text, "no.such.property");
            Assert.IsFalse(text.Contains("hunter2-secret"), text);
        }

        [TestMethod]
        public void SecretValuesAreRedacted()
        {
            var settings = new KafkaClientSettings();
            settings.Set("sasl.username", "alice");
            settings.Set("sasl.password", "hunter2");
            settings.Set("ssl.key.password", "pem-pass");
            settings.Set("sasl.oauthbearer.config", "principal=admin");
            Assert.AreEqual("auth failed for alice with *** and *** (***)",
                settings.Redact("auth failed for alice with hunter2 and pem-pass (principal=admin)"));
            Assert.IsTrue(KafkaClientSettings.IsSecret("sasl.jaas.config"));
            Assert.IsFalse(KafkaClientSettings.IsSecret("bootstrap.servers"));

            var property = new KafkaProducerProperty("sasl.password", "hunter2");
            Assert.IsFalse(property.ToString().Contains("hunter2"));
            var target = new KafkaTarget("secret") { BootstrapServers = "127.0.0.1:1", Topic = "t" };
            target.ProducerConfig.Add(property);
            Assert.IsFalse(target.ToString().Contains("hunter2"));
        }

        [TestMethod]
        public void Librdkafka_comes_from_the_bundled_redist_in_the_output_folder_not_the_OS()
        {
            StringAssert.StartsWith(KafkaNativeLibrary.EnsureLoaded(), "2.16.");
            var loaded = KafkaMockCluster.LoadedLibraryPath();
            StringAssert.StartsWith(loaded, System.IO.Path.Combine(AppContext.BaseDirectory, "runtimes"), "librdkafka must be librdkafka.redist's copy in the output folder");
            Assert.IsFalse(loaded.StartsWith("/usr/", StringComparison.Ordinal), loaded);
        }

        [TestMethod]
        public void Librdkafka_load_failure_names_the_library_and_every_reason_the_loader_gave()
        {
            var failure = new DllNotFoundException("all variants failed", new DllNotFoundException("libsasl2.so.3: cannot open shared object file"));
            var message = KafkaNativeLibrary.FailureMessage(failure);
            StringAssert.Contains(message, "librdkafka");
            StringAssert.Contains(message, "librdkafka.redist");
            StringAssert.Contains(message, "all variants failed");
            StringAssert.Contains(message, "libsasl2.so.3: cannot open shared object file");
        }

        private static LogFactory CreateFactory(string xml) => KafkaTestConfig.CreateFactory(xml);

        /// <summary>A Kafka target that sends quickly (lingerMilliseconds 10 unless given, linger.ms 1).</summary>
        private static string KafkaXml(string name, KafkaMockCluster cluster, string topic, string? key = null, string attributes = "", string inner = "")
        {
            return KafkaTestConfig.Xml(name, cluster, topic, key,
                (attributes.Contains("lingerMilliseconds") ? string.Empty : "lingerMilliseconds='10' ") + attributes,
                "<producerConfig name='linger.ms' value='1' />" + inner);
        }

        private static string AllMessages(Exception ex)
        {
            var text = string.Empty;
            for (Exception? e = ex; e != null; e = e.InnerException)
                text += e.Message + " | ";
            return text;
        }

        private sealed class MarkerUtf8Layout : NLog.Layouts.Layout, IUtf8Layout
        {
            public void RenderUtf8(LogEventInfo logEvent, System.Buffers.IBufferWriter<byte> output)
            {
                System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, ("utf8:" + logEvent.FormattedMessage).AsSpan(), output);
            }

            protected override string GetFormattedMessage(LogEventInfo logEvent) => "string:" + logEvent.FormattedMessage;
        }
    }
}
