using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Confluent.Kafka;
using NLog.Config;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Kafka;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Benchmarks.Kafka
{
    /// <summary>
    /// Stopwatch-based side-by-side run of <see cref="KafkaTarget"/> against a bare Confluent.Kafka
    /// <c>Produce</c> loop that does what a user would write by hand: create the event, render it with
    /// the same layout (PyLogJson) to UTF-8, produce it keyed by the logger name with a delivery
    /// handler, and at the end wait until every delivery report is in. Same mock cluster (3 brokers,
    /// topic of 3 partitions), same librdkafka settings (the target's defaults: idempotent, acks=all,
    /// linger.ms=5), one logging thread, rounds alternating between the two; the median round is
    /// reported with bytes allocated per event (whole process, GC.GetTotalAllocatedBytes).
    /// Run: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- kafka-side-by-side [rounds] [events]</c>.
    /// </summary>
    internal static class KafkaSideBySide
    {
        private const string Topic = "bench";
        private static int s_reports;
        private static readonly Action<DeliveryReport<byte[], byte[]>> s_onDelivery = report =>
        {
            if (!report.Error.IsError)
                Interlocked.Increment(ref s_reports);
        };

        public static string Run(int rounds, int events)
        {
            KafkaNativeLibrary.EnsureLoaded();
            using var cluster = KafkaMockCluster.Start(3);
            cluster.CreateTopic(Topic, 3);

            var settings = new KafkaClientSettings();
            settings.Set("bootstrap.servers", cluster.BootstrapServers);
            using var bare = new ProducerBuilder<byte[], byte[]>(settings.Properties.Where(p => !p.Key.StartsWith("dotnet.", StringComparison.Ordinal)))
                .SetLogHandler((_, _) => { })
                .Build();

            var target = new KafkaTarget("kafka")
            {
                BootstrapServers = cluster.BootstrapServers,
                Topic = Topic,
                Key = "${logger}",
                OverflowAction = NLog.Targets.Wrappers.AsyncTargetWrapperOverflowAction.Block,
            };
            // Diagnosis knobs (not used for the recorded figures unless stated there): PYLOG_BENCH_INFLIGHT,
            // _QUEUELIMIT, _BATCHSIZE, _TASKDELAY, _LOCKINGQUEUE=1 (NLog's locking queue), _MAXMSGS (queue.buffering.max.messages),
            // _GCINFO=1 (the last GC of each round: generation, promoted bytes, generation sizes).
            if (Environment.GetEnvironmentVariable("PYLOG_BENCH_INFLIGHT") is string inFlight)
                target.MaxBatchesInFlight = int.Parse(inFlight, CultureInfo.InvariantCulture);
            if (Environment.GetEnvironmentVariable("PYLOG_BENCH_QUEUELIMIT") is string queueLimit)
                target.QueueLimit = int.Parse(queueLimit, CultureInfo.InvariantCulture);
            if (Environment.GetEnvironmentVariable("PYLOG_BENCH_TASKDELAY") is string taskDelay)
                target.TaskDelayMilliseconds = int.Parse(taskDelay, CultureInfo.InvariantCulture);
            if (Environment.GetEnvironmentVariable("PYLOG_BENCH_BATCHSIZE") is string batchSize)
                target.BatchSize = int.Parse(batchSize, CultureInfo.InvariantCulture);
            if (Environment.GetEnvironmentVariable("PYLOG_BENCH_LOCKINGQUEUE") == "1")
                target.ForceLockingQueue = true;
            if (Environment.GetEnvironmentVariable("PYLOG_BENCH_MAXMSGS") is string maxMessages)
                target.ProducerConfig.Add(new KafkaProducerProperty { Name = "queue.buffering.max.messages", Value = maxMessages });
            long delivered = 0;
            target.DeliveryReported += (_, e) => Interlocked.Add(ref delivered, e.Delivered);
            var factory = new LogFactory();
            var config = new LoggingConfiguration(factory);
            config.AddRuleForAllLevels(target);
            factory.Configuration = config;
            var logger = factory.GetLogger("bench");
            var layout = Utf8LayoutRenderer.Unwrap(target.Layout);

            // Warm-up: connections, metadata, idempotent producer ids, JIT.
            RunBare(bare, layout, 5000);
            RunTarget(factory, logger, 5000, ref delivered);

            var bareRounds = new List<(double Rate, double Bytes, string Gcs)>();
            var targetRounds = new List<(double Rate, double Bytes, string Gcs)>();
            // PYLOG_BENCH_ONLY=target|bare runs one side only (for a profiler); the ratio is then meaningless.
            string? only = Environment.GetEnvironmentVariable("PYLOG_BENCH_ONLY");
            for (int round = 0; round < rounds; round++)
            {
                if (only != "target")
                    bareRounds.Add(RunBare(bare, layout, events));
                if (only != "bare")
                    targetRounds.Add(RunTarget(factory, logger, events, ref delivered));
            }
            if (bareRounds.Count == 0)
                bareRounds.Add((double.NaN, double.NaN, string.Empty));
            if (targetRounds.Count == 0)
                targetRounds.Add((double.NaN, double.NaN, string.Empty));
            factory.Shutdown();

            var b = Median(bareRounds);
            var t = Median(targetRounds);
            var report = new StringBuilder();
            report.AppendLine(string.Format(CultureInfo.InvariantCulture,
                "Config: {0:N0} events per round, {1} alternating rounds (median), 1 logging thread, {2} processors, {3}; librdkafka {4}; target defaults (BatchSize {5}, LingerMilliseconds {6}, MaxBatchesInFlight {7}, QueueLimit {8}, TaskDelayMilliseconds {9}, linger.ms 5, idempotent, acks=all), OverflowAction=Block.",
                events, rounds, Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, Library.VersionString, target.BatchSize, target.LingerMilliseconds,
                target.MaxBatchesInFlight, target.QueueLimit, target.TaskDelayMilliseconds));
            report.AppendLine();
            report.AppendLine("| | events/s | B allocated/event | GCs gen0/1/2, pause (median round) | rounds (events/s) |");
            report.AppendLine("|---|---:|---:|---|---|");
            report.AppendLine(Row("bare Produce loop, rendering", b, bareRounds));
            report.AppendLine(Row("KafkaTarget", t, targetRounds));
            report.AppendLine(string.Format(CultureInfo.InvariantCulture, "| ratio | **{0:F2}x** | | | |", t.Rate / b.Rate));
            return report.ToString();
        }

        private static (double Rate, double Bytes, string Gcs) RunBare(IProducer<byte[], byte[]> producer, NLog.Layouts.Layout layout, int events)
        {
            var scratch = new ArrayBufferWriter<byte>(1024);
            var key = Encoding.UTF8.GetBytes("bench");
            Volatile.Write(ref s_reports, 0);
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            var gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var pause = GC.GetTotalPauseDuration();
            var clock = Stopwatch.StartNew();
            var message = new Message<byte[], byte[]> { Key = key };
            for (int i = 0; i < events; i++)
            {
                var logEvent = LogEventInfo.Create(LogLevel.Info, "bench", null, "order {Order} processed", new object[] { i });
                message.Value = Utf8LayoutRenderer.RenderToArray(layout, logEvent, scratch);
                message.Timestamp = new Timestamp(logEvent.TimeStamp.ToUniversalTime(), TimestampType.CreateTime);
                while (true)
                {
                    try
                    {
                        producer.Produce(Topic, message, s_onDelivery);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(1));
                    }
                }
            }
            producer.Flush(TimeSpan.FromMinutes(2));
            clock.Stop();
            if (Volatile.Read(ref s_reports) != events)
                throw new InvalidOperationException($"bare loop: {s_reports} of {events} delivered");
            return (events / clock.Elapsed.TotalSeconds, (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)events, Collections(gcs, pause));
        }

        private static (double Rate, double Bytes, string Gcs) RunTarget(LogFactory factory, Logger logger, int events, ref long delivered)
        {
            long before = Interlocked.Read(ref delivered);
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            var gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var pause = GC.GetTotalPauseDuration();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < events; i++)
                logger.Info("order {Order} processed", i);
            factory.Flush(TimeSpan.FromMinutes(2));
            clock.Stop();
            long got = Interlocked.Read(ref delivered) - before;
            if (got != events)
                throw new InvalidOperationException($"target: {got} of {events} delivered when Flush returned");
            return (events / clock.Elapsed.TotalSeconds, (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)events, Collections(gcs, pause));
        }

        /// <summary>Garbage collections of each generation and the GC pause time since <paramref name="before"/>.</summary>
        private static string Collections((int Gen0, int Gen1, int Gen2) before, TimeSpan pauseBefore)
        {
            if (Environment.GetEnvironmentVariable("PYLOG_BENCH_GCINFO") == "1")
            {
                var info = GC.GetGCMemoryInfo(GCKind.Any);
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "  last GC: gen{0}, promoted {1:N0} KB, heap {2:N0} KB, gen0/1/2/LOH after {3:N0}/{4:N0}/{5:N0}/{6:N0} KB",
                    info.Generation, info.PromotedBytes / 1024, info.HeapSizeBytes / 1024, info.GenerationInfo[0].SizeAfterBytes / 1024, info.GenerationInfo[1].SizeAfterBytes / 1024,
                    info.GenerationInfo[2].SizeAfterBytes / 1024, info.GenerationInfo[3].SizeAfterBytes / 1024));
            }
            return string.Format(CultureInfo.InvariantCulture, "{0}/{1}/{2}, {3:N0} ms", GC.CollectionCount(0) - before.Gen0, GC.CollectionCount(1) - before.Gen1,
                GC.CollectionCount(2) - before.Gen2, (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds);
        }

        private static (double Rate, double Bytes, string Gcs) Median(List<(double Rate, double Bytes, string Gcs)> rounds)
        {
            var sorted = rounds.OrderBy(r => r.Rate).ToList();
            return sorted[sorted.Count / 2];
        }

        private static string Row(string name, (double Rate, double Bytes, string Gcs) median, List<(double Rate, double Bytes, string Gcs)> rounds)
        {
            return string.Format(CultureInfo.InvariantCulture, "| {0} | {1:N0} | {2:N0} | {4} | {3} |", name, median.Rate, median.Bytes,
                string.Join(", ", rounds.Select(r => r.Rate.ToString("N0", CultureInfo.InvariantCulture))), median.Gcs);
        }
    }
}
