using System;
using System.Buffers;
using System.Collections.Generic;
using System.Threading;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using NLog.Config;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Kafka;

namespace NLog.Targets.PyLog.Benchmarks.Kafka
{
    /// <summary>
    /// <see cref="KafkaTarget"/> vs a bare Confluent.Kafka <c>Produce</c> loop (delivery handler,
    /// then <c>Flush</c>) into the same librdkafka mock cluster (3 brokers, topic of 3 partitions),
    /// same <c>linger.ms</c>, same payloads: the target's default layout (PyLogJson) rendering of
    /// <c>Info("order {Order} processed", i)</c> keyed by the logger name; the bare loop gets those
    /// bytes pre-rendered (<see cref="BareConfluentProduceLoop"/>), or renders each event with the
    /// same layout before producing it (<see cref="BareConfluentProduceLoopRendering"/>: the same work
    /// minus the target's machinery). One logging thread; each invocation sends 50,000 events and
    /// waits until librdkafka has reported on all of them.
    /// </summary>
    [MemoryDiagnoser]
    public class KafkaTargetBenchmarks
    {
        private const int Events = 50_000;
        private const string Topic = "bench";
        private static int s_reports;
        private static readonly Action<DeliveryReport<byte[], byte[]>> s_onDelivery = _ => Interlocked.Increment(ref s_reports);

        private NLog.Targets.PyLog.Tests.Support.KafkaMockCluster _cluster = null!;
        private IProducer<byte[], byte[]> _bare = null!;
        private byte[][] _payloads = null!;
        private byte[] _key = null!;
        private LogFactory _factory = null!;
        private NLog.Layouts.Layout _layout = null!;
        private readonly ArrayBufferWriter<byte> _renderScratch = new ArrayBufferWriter<byte>();
        private Logger _logger = null!;

        /// <summary>librdkafka's <c>linger.ms</c>, the same for both.</summary>
        [Params("0", "5")]
        public string LingerMs { get; set; } = "5";

        /// <summary>The target's BatchSize (events per produce-and-await round; 2000 is its default).</summary>
        [Params(500, 2000)]
        public int BatchSize { get; set; } = 2000;

        [GlobalSetup]
        public void Setup()
        {
            KafkaNativeLibrary.EnsureLoaded();
            _cluster = NLog.Targets.PyLog.Tests.Support.KafkaMockCluster.Start(3);
            _cluster.CreateTopic(Topic, 3);

            var target = new KafkaTarget("kafka")
            {
                BootstrapServers = _cluster.BootstrapServers,
                Topic = Topic,
                Key = "${logger}",
                BatchSize = BatchSize,
                QueueLimit = Events * 2,
            };
            target.ProducerConfig.Add(new KafkaProducerProperty("linger.ms", LingerMs));
            _factory = new LogFactory();
            var config = new LoggingConfiguration(_factory);
            config.AddRuleForAllLevels(target);
            _factory.Configuration = config;
            _logger = _factory.GetLogger("bench");

            // The same bytes the target's layout renders, for the bare loop.
            _layout = Utf8LayoutRenderer.Unwrap(target.Layout);
            _payloads = new byte[1000][];
            var scratch = new ArrayBufferWriter<byte>();
            for (int i = 0; i < _payloads.Length; i++)
            {
                var logEvent = LogEventInfo.Create(LogLevel.Info, "bench", null, "order {Order} processed", new object[] { i });
                _payloads[i] = Utf8LayoutRenderer.RenderToArray(_layout, logEvent, scratch);
            }
            _key = System.Text.Encoding.UTF8.GetBytes("bench");

            _bare = new ProducerBuilder<byte[], byte[]>(new Dictionary<string, string>
            {
                ["bootstrap.servers"] = _cluster.BootstrapServers,
                ["linger.ms"] = LingerMs,
            }).Build();
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            _factory.Shutdown();
            _bare.Flush(TimeSpan.FromSeconds(10));
            _bare.Dispose();
            _cluster.Dispose();
        }

        [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
        public void BareConfluentProduceLoop()
        {
            var message = new Message<byte[], byte[]> { Key = _key };
            for (int i = 0; i < Events; i++)
            {
                message.Value = _payloads[i % _payloads.Length];
                while (true)
                {
                    try
                    {
                        _bare.Produce(Topic, message, s_onDelivery);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        _bare.Poll(TimeSpan.FromMilliseconds(1));
                    }
                }
            }
            _bare.Flush(TimeSpan.FromSeconds(60));
        }

        [Benchmark(OperationsPerInvoke = Events)]
        public void BareConfluentProduceLoopRendering()
        {
            var message = new Message<byte[], byte[]>();
            for (int i = 0; i < Events; i++)
            {
                var logEvent = LogEventInfo.Create(LogLevel.Info, "bench", null, "order {Order} processed", new object[] { i });
                message.Key = _key;
                message.Value = Utf8LayoutRenderer.RenderToArray(_layout, logEvent, _renderScratch);
                while (true)
                {
                    try
                    {
                        _bare.Produce(Topic, message, s_onDelivery);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        _bare.Poll(TimeSpan.FromMilliseconds(1));
                    }
                }
            }
            _bare.Flush(TimeSpan.FromSeconds(60));
        }

        [Benchmark(OperationsPerInvoke = Events)]
        public void KafkaTarget()
        {
            for (int i = 0; i < Events; i++)
                _logger.Info("order {Order} processed", i);
            _factory.Flush(TimeSpan.FromSeconds(60));
        }
    }
}
