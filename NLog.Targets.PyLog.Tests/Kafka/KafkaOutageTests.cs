using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Kafka;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Kafka
{
    /// <summary>
    /// Broker outages, leader changes and pushed errors against librdkafka's mock cluster, read back
    /// with kcat (an independent client). Logging runs at a paced rate on two threads while the fault
    /// lasts; every assertion is on counts (logged = delivered + dropped by reason, no duplicates),
    /// never on how fast the loaded machine got there.
    /// </summary>
    [TestClass]
    public sealed class KafkaOutageTests
    {
        private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);

        [ClassInitialize]
        public static void ClassInitialize(TestContext context)
        {
            KafkaNativeLibrary.EnsureLoaded();
        }

        [TestMethod]
        public void All_brokers_down_for_3_s_at_2000_events_per_s_loses_and_duplicates_nothing()
        {
            using var cluster = KafkaMockCluster.Start(3);
            cluster.CreateTopic("outage3s", 3);
            using var metrics = new MetricCollector("o1");
            // The defaults, as a user would have them (linger.ms=5 is the target's own default).
            var factory = CreateFactory(KafkaXml("o1", cluster, "outage3s", key: "${logger}"));
            var target = factory.Configuration!.FindTargetByName<KafkaTarget>("o1")!;
            var reported = new ReportCounter(target);

            using (var load = new PacedLoad(factory, threads: 2, eventsPerSecond: 2000))
            {
                load.RunFor(TimeSpan.FromSeconds(2));
                cluster.AllBrokersDown();
                load.RunFor(TimeSpan.FromSeconds(3));
                cluster.AllBrokersUp();
                load.RunFor(TimeSpan.FromSeconds(2));
                load.Stop();

                var records = AssertEveryEventDeliveredOnce(cluster, "outage3s", load.Logged, metrics, factory, "3 s outage");
                Assert.AreEqual(load.Logged, metrics.Sent, "pylog.events.sent counts each delivered event once");
                Assert.AreEqual(load.Logged, reported.Delivered, "DeliveryReported reports each event once");
                AssertKeysStayOnOnePartition(records);
            }
        }

        [TestMethod]
        public void Outage_beyond_the_in_flight_bound_holds_the_bound_and_counts_the_rest_as_queue_full()
        {
            // Scaled down so the suite stays short: a bound of 1000 messages in librdkafka plus
            // QueueLimit 1000 in NLog is exceeded within seconds (the default bound, 100000 messages,
            // takes 50 s at 2000 events/s). The outage outlasts the logging, so nothing times out.
            using var cluster = KafkaMockCluster.Start(3);
            cluster.CreateTopic("bounded", 3);
            using var metrics = new MetricCollector("o2");
            var factory = CreateFactory(KafkaXml("o2", cluster, "bounded", key: "${logger}", attributes: "queueLimit='1000' batchSize='200'",
                inner: "<producerConfig name='queue.buffering.max.messages' value='1000' />"));
            var logger = factory.GetLogger("Bounded");
            logger.Info("warm-up");
            factory.Flush(TimeSpan.FromSeconds(20));

            cluster.AllBrokersDown();
            const int count = 8000;
            for (int i = 0; i < count; i++)
            {
                logger.Info("b{0}", i);
                if (i % 100 == 0)
                    Thread.Sleep(1);
            }
            Poll.Until(() => metrics.Dropped(DropReasons.QueueFull) > 0, "the bound is reached and overflow counted", 60000);
            cluster.AllBrokersUp();

            Poll.Until(() => metrics.Sent + DroppedTotal(metrics) >= count + 1, "every logged event has its outcome", 120000);
            var records = KcatReader.Read(cluster.BootstrapServers, "bounded", (int)metrics.Sent, ReadTimeout);
            factory.Shutdown();

            var outcome = Outcome.Of(records, count + 1, metrics);
            Console.WriteLine("bounded outage: " + outcome);
            Assert.AreEqual(0, outcome.Duplicates, outcome.ToString());
            Assert.AreEqual(outcome.Dropped, metrics.Dropped(DropReasons.QueueFull), "overflow is the only loss: " + outcome);
            Assert.AreEqual(count + 1, outcome.Unique + outcome.Dropped, "every event delivered or counted: " + outcome);
            Assert.IsTrue(outcome.Unique >= 1000 + 1000, "at least librdkafka's bound plus NLog's QueueLimit is held and delivered: " + outcome);
        }

        [TestMethod]
        public void One_broker_of_three_down_delays_only_its_partitions_and_loses_nothing()
        {
            using var cluster = KafkaMockCluster.Start(3);
            cluster.CreateTopic("onedown", 3);
            // Pipelined (the default MaxBatchesInFlight), so the other partitions keep flowing.
            // Partition p led by broker p + 1: broker 2 down takes partition 1 away, 0 and 2 stay.
            for (int partition = 0; partition < 3; partition++)
                cluster.SetPartitionLeader("onedown", partition, partition + 1);
            using var metrics = new MetricCollector("o3");
            var factory = CreateFactory(KafkaXml("o3", cluster, "onedown", key: "${logger}"));

            using (var load = new PacedLoad(factory, threads: 2, eventsPerSecond: 1000))
            {
                load.RunFor(TimeSpan.FromSeconds(1));
                cluster.BrokerDown(2);
                int onPartition0 = KcatReader.ReadPartition(cluster.BootstrapServers, "onedown", 0).Count;
                load.RunFor(TimeSpan.FromSeconds(3));
                int onPartition0Later = KcatReader.ReadPartition(cluster.BootstrapServers, "onedown", 0).Count;
                Assert.IsTrue(onPartition0Later > onPartition0, $"partition 0 (broker 1) keeps receiving while broker 2 is down: {onPartition0} then {onPartition0Later}");
                cluster.BrokerUp(2);
                load.RunFor(TimeSpan.FromSeconds(1));
                load.Stop();

                var records = AssertEveryEventDeliveredOnce(cluster, "onedown", load.Logged, metrics, factory, "one broker down");
                AssertKeysStayOnOnePartition(records);
            }
        }

        [TestMethod]
        public void Partition_leader_change_mid_stream_loses_nothing_and_keeps_each_key_in_order_on_its_partition()
        {
            using var cluster = KafkaMockCluster.Start(3);
            cluster.CreateTopic("leaders", 3);
            using var metrics = new MetricCollector("o4");
            var factory = CreateFactory(KafkaXml("o4", cluster, "leaders", key: "${logger}"));

            using (var load = new PacedLoad(factory, threads: 2, eventsPerSecond: 1000))
            {
                load.RunFor(TimeSpan.FromSeconds(1));
                for (int partition = 0; partition < 3; partition++)
                    cluster.SetPartitionLeader("leaders", partition, (partition + 1) % 3 + 1);
                load.RunFor(TimeSpan.FromSeconds(1.5));
                for (int partition = 0; partition < 3; partition++)
                    cluster.SetPartitionLeader("leaders", partition, (partition + 2) % 3 + 1);
                load.RunFor(TimeSpan.FromSeconds(1.5));
                load.Stop();

                var records = AssertEveryEventDeliveredOnce(cluster, "leaders", load.Logged, metrics, factory, "leader change");
                AssertKeysStayOnOnePartition(records);
                AssertEachKeyInOrder(records);
            }
        }

        [TestMethod]
        public void Pushed_retriable_produce_errors_lose_duplicate_and_reorder_nothing()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("retriable", 1);
            using var metrics = new MetricCollector("o5");
            var factory = CreateFactory(KafkaXml("o5", cluster, "retriable",
                inner: "<producerConfig name='retry.backoff.ms' value='20' />"));
            var logger = factory.GetLogger("Retriable");
            logger.Info("e-1");
            factory.Flush(TimeSpan.FromSeconds(20));

            cluster.PushRequestErrors(KafkaMockCluster.ProduceApiKey,
                KafkaMockCluster.ErrNotLeaderForPartition, KafkaMockCluster.ErrRequestTimedOut, KafkaMockCluster.ErrNotEnoughReplicas,
                KafkaMockCluster.ErrRequestTimedOut, KafkaMockCluster.ErrNotLeaderForPartition);
            const int count = 2000;
            for (int i = 0; i < count; i++)
                logger.Info("e{0}", i);
            Poll.Until(() => metrics.Sent + DroppedTotal(metrics) >= count + 1, "every logged event has its outcome", 120000);
            var records = KcatReader.Read(cluster.BootstrapServers, "retriable", count + 1, ReadTimeout);
            factory.Shutdown();

            var outcome = Outcome.Of(records, count + 1, metrics);
            Console.WriteLine("retriable errors: " + outcome);
            Assert.AreEqual(0, outcome.Duplicates, outcome.ToString());
            Assert.AreEqual(0, outcome.Dropped, outcome.ToString());
            CollectionAssert.AreEqual(new[] { "e-1" }.Concat(Enumerable.Range(0, count).Select(i => "e" + i)).ToList(),
                records.Select(r => MessageOf(r)).ToList(), "one partition, idempotent retries: the order is kept");
        }

        [TestMethod]
        public void Pushed_fatal_produce_error_rejects_only_that_request_and_the_rest_flows()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("fatal", 1);
            using var metrics = new MetricCollector("o6");
            var factory = CreateFactory(KafkaXml("o6", cluster, "fatal", attributes: "lingerMilliseconds='0'"));
            var target = factory.Configuration!.FindTargetByName<KafkaTarget>("o6")!;
            var dropped = new ConcurrentQueue<EventDroppedEventArgs>();
            target.EventDropped += (_, e) => dropped.Enqueue(e);
            var logger = factory.GetLogger("Fatal");
            logger.Info("warm-up");
            factory.Flush(TimeSpan.FromSeconds(20));

            // A retriable error first (retried by librdkafka), then a permanent one for the retry.
            cluster.PushRequestErrors(KafkaMockCluster.ProduceApiKey, KafkaMockCluster.ErrRequestTimedOut, KafkaMockCluster.ErrInvalidRecord);
            logger.Error("refused");
            factory.Flush(TimeSpan.FromSeconds(20));
            for (int i = 0; i < 50; i++)
                logger.Info("after{0}", i);
            Poll.Until(() => metrics.Sent + DroppedTotal(metrics) >= 52, "every logged event has its outcome", 60000);
            var records = KcatReader.Read(cluster.BootstrapServers, "fatal", 51, ReadTimeout);
            factory.Shutdown();

            Assert.AreEqual(1, metrics.Dropped(DropReasons.Rejected), "the refused event is rejected, not retried forever");
            Assert.AreEqual(1, DroppedTotal(metrics));
            Assert.AreEqual(51, metrics.Sent);
            Assert.AreEqual(51, records.Count);
            Assert.IsFalse(records.Any(r => MessageOf(r) == "refused"));
            Assert.IsTrue(dropped.TryDequeue(out var drop));
            Assert.AreEqual(LogLevel.Error, drop!.Level);
            StringAssert.Contains(drop.Exception!.Message, "InvalidRecord");
        }

        [TestMethod]
        public void Librdkafka_fatal_error_replaces_the_producer_and_loses_nothing()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("fatalstate", 1);
            using var metrics = new MetricCollector("o8");
            var factory = CreateFactory(KafkaXml("o8", cluster, "fatalstate", attributes: "retryDelayMilliseconds='50' maxRetryDelayMilliseconds='200'"));
            var target = factory.Configuration!.FindTargetByName<KafkaTarget>("o8")!;
            var logger = factory.GetLogger("FatalState");
            for (int i = 0; i < 100; i++)
                logger.Info("before{0}", i);
            factory.Flush(TimeSpan.FromSeconds(20));

            // What an idempotent producer does when the broker lost its sequence: fatal, for good.
            var host = target.Transport!.Producer;
            var first = host.Acquire();
            KafkaMockCluster.RaiseFatalError(first, 45 /* OUT_OF_ORDER_SEQUENCE_NUMBER */);
            for (int i = 0; i < 100; i++)
                logger.Info("after{0}", i);
            Poll.Until(() => metrics.Sent + DroppedTotal(metrics) >= 200, "every logged event has its outcome", 60000);
            var records = KcatReader.Read(cluster.BootstrapServers, "fatalstate", 200, ReadTimeout);
            factory.Shutdown();

            var outcome = Outcome.Of(records, 200, metrics);
            Console.WriteLine("fatal error: " + outcome);
            Assert.AreEqual(1, host.Replacements, "the fatal producer was replaced once");
            Assert.AreEqual(0, outcome.Dropped, outcome.ToString());
            Assert.AreEqual(0, outcome.Duplicates, outcome.ToString());
            Assert.AreEqual(200, outcome.Unique, outcome.ToString());
        }

        [TestMethod]
        public void Kafka_child_of_a_FailoverGroup_with_bounded_retries_fails_over_while_all_brokers_are_down()
        {
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("failover", 1);
            // RetryCount 0, no message.timeout.ms given: the bounded-retry default (5 s) lets the attempt fail.
            var kafka = new KafkaTarget("o9") { BootstrapServers = cluster.BootstrapServers, Topic = "failover", RetryCount = 0, LingerMilliseconds = 10 };
            var secondary = new NLog.Targets.PyLog.Tests.Failover.FlakyTarget("o9-secondary");
            using var factory = TestLogFactory.With(new FailoverTarget("o9-group", kafka, secondary));
            var logger = factory.GetLogger("Failover");
            logger.Info("warm-up");
            factory.Flush(TimeSpan.FromSeconds(20));

            cluster.AllBrokersDown();
            for (int i = 0; i < 100; i++)
                logger.Info("f{0}", i);
            Poll.Until(() => secondary.Written.Count >= 100, "the events the Kafka child could not deliver reach the secondary", 60000);
            factory.Shutdown();

            var written = secondary.Written.ToList();
            CollectionAssert.AreEquivalent(Enumerable.Range(0, 100).Select(i => "f" + i).ToList(), written, "each failed event re-sent once");
        }

        [TestMethod]
        public void Shutdown_during_an_outage_returns_within_the_close_timeout_and_counts_what_it_abandoned()
        {
            using var cluster = KafkaMockCluster.Start(3);
            cluster.CreateTopic("abandon", 3);
            using var metrics = new MetricCollector("o7");
            var factory = CreateFactory(KafkaXml("o7", cluster, "abandon", key: "${logger}", attributes: "closeTimeoutMilliseconds='2000'"));
            var target = factory.Configuration!.FindTargetByName<KafkaTarget>("o7")!;
            var reported = new ReportCounter(target);
            var logger = factory.GetLogger("Abandon");
            logger.Info("warm-up");
            factory.Flush(TimeSpan.FromSeconds(20));

            cluster.AllBrokersDown();
            const int count = 3000;
            for (int i = 0; i < count; i++)
                logger.Info("a{0}", i);
            var clock = Stopwatch.StartNew();
            factory.Shutdown();
            var took = clock.Elapsed;
            Console.WriteLine("shutdown during outage took " + took.TotalMilliseconds + " ms; sent " + metrics.Sent + ", shutdown drops " + metrics.Dropped(DropReasons.Shutdown));

            // Close timeout plus NLog's own flush on shutdown plus slack for a loaded machine; without the
            // bound librdkafka would wait forever (message.timeout.ms=0).
            Assert.IsTrue(took < TimeSpan.FromSeconds(40), "shutdown took " + took);
            Assert.AreEqual(1, metrics.Sent, "only the warm-up reached a broker");
            Assert.AreEqual(count, metrics.Dropped(DropReasons.Shutdown), "every abandoned event is counted as shutdown");
            Assert.AreEqual(count, DroppedTotal(metrics));
            Assert.AreEqual(count, reported.Failed, "DeliveryReported reports the abandoned events as failed");
        }

        private static long DroppedTotal(MetricCollector metrics) => (long)metrics.Sum("pylog.events.dropped");

        /// <summary>Waits for every outcome, shuts the factory down, reads the topic back with kcat: each event exactly once, nothing dropped.</summary>
        private static List<KafkaRecord> AssertEveryEventDeliveredOnce(KafkaMockCluster cluster, string topic, int logged, MetricCollector metrics, LogFactory factory, string scenario)
        {
            Poll.Until(() => metrics.Sent + DroppedTotal(metrics) >= logged, "every logged event has its outcome", 120000,
                () => $"{scenario}: logged {logged}, sent {metrics.Sent}, dropped {DroppedTotal(metrics)}, on the topic {KcatReader.Read(cluster.BootstrapServers, topic, logged, TimeSpan.FromSeconds(5)).Count}");
            var records = KcatReader.Read(cluster.BootstrapServers, topic, logged, ReadTimeout);
            factory.Shutdown();

            var outcome = Outcome.Of(records, logged, metrics);
            Console.WriteLine(scenario + ": " + outcome);
            Assert.AreEqual(0, outcome.Duplicates, outcome.ToString());
            Assert.AreEqual(0, outcome.Dropped, outcome.ToString());
            Assert.AreEqual(logged, outcome.Unique, outcome.ToString());
            return records;
        }

        private static string MessageOf(KafkaRecord record) => JsonDocument.Parse(record.Value).RootElement.GetProperty("message").GetString()!;

        private static void AssertKeysStayOnOnePartition(List<KafkaRecord> records)
        {
            foreach (var key in records.GroupBy(r => r.Key ?? string.Empty))
            {
                var partitions = key.Select(r => r.Partition).Distinct().ToList();
                Assert.AreEqual(1, partitions.Count, "key '" + key.Key + "' spread over partitions " + string.Join(",", partitions));
            }
        }

        /// <summary>Each logger (key) logs a rising sequence number; on its partition the offsets must follow it.</summary>
        private static void AssertEachKeyInOrder(List<KafkaRecord> records)
        {
            foreach (var key in records.GroupBy(r => r.Key ?? string.Empty))
            {
                var sequence = key.OrderBy(r => r.Offset).Select(r => PacedLoad.SequenceOf(MessageOf(r))).ToList();
                for (int i = 1; i < sequence.Count; i++)
                    Assert.IsTrue(sequence[i] > sequence[i - 1], "key '" + key.Key + "' out of order at offset index " + i + ": " + sequence[i - 1] + " then " + sequence[i]);
            }
        }

        private static LogFactory CreateFactory(string xml) => KafkaTestConfig.CreateFactory(xml);

        /// <summary>A Kafka target with the target's own defaults, plus what the test gives.</summary>
        private static string KafkaXml(string name, KafkaMockCluster cluster, string topic, string? key = null, string attributes = "", string inner = "")
            => KafkaTestConfig.Xml(name, cluster, topic, key, attributes, inner);

        /// <summary>What a topic read back says about the events logged.</summary>
        private sealed record Outcome(int Logged, int Unique, int Duplicates, long Dropped, string DroppedByReason)
        {
            public static Outcome Of(List<KafkaRecord> records, int logged, MetricCollector metrics)
            {
                var messages = records.Select(MessageOf).ToList();
                int unique = messages.Distinct().Count();
                var reasons = string.Join(", ", new[] { DropReasons.Rejected, DropReasons.RetriesExhausted, DropReasons.QueueFull, DropReasons.Shutdown, DropReasons.Invalid }
                    .Select(reason => reason + "=" + metrics.Dropped(reason)));
                return new Outcome(logged, unique, messages.Count - unique, DroppedTotal(metrics), reasons);
            }

            public override string ToString() =>
                $"logged {Logged}, delivered {Unique} distinct, {Duplicates} duplicates, dropped {Dropped} ({DroppedByReason})";
        }

        private sealed class ReportCounter
        {
            private int _delivered;
            private int _failed;

            public ReportCounter(KafkaTarget target)
            {
                target.DeliveryReported += (_, e) =>
                {
                    Interlocked.Add(ref _delivered, e.Delivered);
                    Interlocked.Add(ref _failed, e.Failed);
                };
            }

            public int Delivered => Volatile.Read(ref _delivered);

            public int Failed => Volatile.Read(ref _failed);
        }

        /// <summary>
        /// Logs from several threads at a steady total rate (paced by the clock, so a stalled thread
        /// catches up): thread t logs "t{t}-{n}" with logger "Load{t}-{n % 4}" (the record key).
        /// </summary>
        private sealed class PacedLoad : IDisposable
        {
            private readonly LogFactory _factory;
            private readonly int _threads;
            private readonly double _perThreadPerMs;
            private readonly int[] _logged;
            private readonly Thread[] _workers;
            private readonly Stopwatch _clock = new Stopwatch();
            private volatile bool _stop;

            public PacedLoad(LogFactory factory, int threads, int eventsPerSecond)
            {
                _factory = factory;
                _threads = threads;
                _perThreadPerMs = eventsPerSecond / (double)threads / 1000.0;
                _logged = new int[threads];
                _workers = new Thread[threads];
                _clock.Start();
                for (int t = 0; t < threads; t++)
                {
                    int id = t;
                    _workers[t] = new Thread(() => Run(id)) { IsBackground = true, Name = "load-" + t };
                    _workers[t].Start();
                }
            }

            public int Logged
            {
                get
                {
                    int total = 0;
                    for (int t = 0; t < _threads; t++)
                        total += Volatile.Read(ref _logged[t]);
                    return total;
                }
            }

            public static int SequenceOf(string message) => int.Parse(message.Substring(message.IndexOf('-') + 1));

            /// <summary>Lets the load run for <paramref name="duration"/> (the test thread only waits).</summary>
            public void RunFor(TimeSpan duration) => Thread.Sleep(duration);

            public void Stop()
            {
                _stop = true;
                foreach (var worker in _workers)
                    worker.Join();
            }

            public void Dispose()
            {
                if (!_stop)
                    Stop();
            }

            private void Run(int id)
            {
                var loggers = new Logger[4];
                for (int k = 0; k < loggers.Length; k++)
                    loggers[k] = _factory.GetLogger("Load" + id + "-" + k);
                int n = 0;
                while (!_stop)
                {
                    long due = (long)(_clock.Elapsed.TotalMilliseconds * _perThreadPerMs);
                    while (n < due && !_stop)
                    {
                        loggers[n % loggers.Length].Info("t" + id + "-{0}", n);
                        n++;
                        Volatile.Write(ref _logged[id], n);
                    }
                    Thread.Sleep(1);
                }
            }
        }
    }
}
