using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using NLog.Config;
using NLog.Layouts;
using NLog.Targets.PyLog.Sls;

namespace NLog.Targets.PyLog.Benchmarks.Sls
{
    /// <summary>
    /// The SLS target end to end (logger → batching → LogGroup encoding → compression → signed
    /// HTTP POST to a loopback PutLogs sink) vs encoding and compressing the same events in the
    /// same 4096-log batches with no NLog, no HTTP (the baseline). One logging thread; each
    /// invocation logs 50,000 pre-built events (level, logger, message of ~90 bytes, an order
    /// number) and flushes. "Raw MB/s" is uncompressed LogGroup bytes per second of wall time;
    /// "CPU cores" is process CPU time over wall time during the iterations (sink included), so
    /// MB/s per core = Raw MB/s ÷ CPU cores.
    /// </summary>
    [Config(typeof(ColumnsConfig))]
    [MemoryDiagnoser]
    public class SlsThroughputBenchmarks
    {
        private const int Events = 50_000;
        private const int BatchEvents = SlsTarget.MaxLogsPerRequest;

        private LogEventInfo[] _events = null!;
        private LogFactory _factory = null!;
        private Logger _logger = null!;
        private LogFactory _noOpFactory = null!;
        private Logger _noOpLogger = null!;
        private PutLogsSink _sink = null!;
        private LogGroupEncoder _encoder = null!;
        private SlsCompressor _compressor = null!;
        private readonly ProtoBuffer _group = new ProtoBuffer(4 * 1024 * 1024);
        private TimeSpan _cpuStart;
        private long _wallStart;
        private TimeSpan _cpu;
        private TimeSpan _wall;

        [Params(SlsCompression.Lz4, SlsCompression.Deflate)]
        public SlsCompression Compression { get; set; }

        [GlobalSetup]
        public void Setup()
        {
            _events = BuildEvents();
            _encoder = NewEncoder();
            _compressor = SlsCompressor.Create(Compression);

            _sink = new PutLogsSink();
            var target = new SlsTarget
            {
                Name = "sls-bench",
                Endpoint = "http://127.0.0.1:" + _sink.Port,
                Project = "bench",
                Logstore = "bench",
                AccessKeyId = "bench-id",
                AccessKeySecret = "bench-secret",
                Topic = "bench",
                Source = "10.0.0.1",
                Compression = Compression,
                BatchSize = BatchEvents,
                MaxBatchBytes = SlsTarget.MaxRawBytesPerRequest,
                QueueLimit = 2 * Events,
            };
            foreach (var (name, layout) in Contents())
                target.Contents.Add(new TargetPropertyWithContext(name, layout));
            _factory = new LogFactory();
            var config = new LoggingConfiguration(_factory);
            config.AddRuleForAllLevels(target);
            _factory.Configuration = config;
            _logger = _factory.GetLogger("bench");

            var noOp = new EncodeOnlyTarget(NewEncoder()) { Name = "sls-bench-noop", BatchSize = BatchEvents, MaxBatchBytes = SlsTarget.MaxRawBytesPerRequest, QueueLimit = 2 * Events };
            _noOpFactory = new LogFactory();
            var noOpConfig = new LoggingConfiguration(_noOpFactory);
            noOpConfig.AddRuleForAllLevels(noOp);
            _noOpFactory.Configuration = noOpConfig;
            _noOpLogger = _noOpFactory.GetLogger("bench");
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            _factory.Dispose();
            _noOpFactory.Dispose();
            _sink.Dispose();
            Console.WriteLine("// SLS " + Compression + ": CPU cores busy = " + (_cpu.TotalMilliseconds / _wall.TotalMilliseconds).ToString("F2") + ", sink requests = " + _sink.Requests);
        }

        [IterationSetup]
        public void StartMeasuring()
        {
            _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            _wallStart = Stopwatch.GetTimestamp();
        }

        [IterationCleanup]
        public void StopMeasuring()
        {
            _cpu += Process.GetCurrentProcess().TotalProcessorTime - _cpuStart;
            _wall += Stopwatch.GetElapsedTime(_wallStart);
        }

        [Benchmark(Baseline = true, Description = "encode+compress only")]
        public long EncodeAndCompress()
        {
            long sent = 0;
            for (int start = 0; start < _events.Length; start += BatchEvents)
            {
                _group.Reset();
                int end = Math.Min(start + BatchEvents, _events.Length);
                for (int i = start; i < end; i++)
                    LogGroupEncoder.AppendLog(_group, _encoder.EncodeLog(_events[i]));
                _group.WriteRaw(_encoder.GroupSuffix);
                sent += _compressor.Compress(new ArraySegment<byte>(_group.Data, 0, _group.Length)).Count;
            }
            return sent;
        }

        [Benchmark(Description = "AliyunSls target into sink")]
        public void TargetIntoSink()
        {
            for (int i = 0; i < _events.Length; i++)
                _logger.Log(_events[i]);
            _factory.Flush(TimeSpan.FromSeconds(60));
        }

        [Benchmark(Description = "NLog + network base, same encoding, no send")]
        public void NoSendTarget()
        {
            for (int i = 0; i < _events.Length; i++)
                _noOpLogger.Log(_events[i]);
            _noOpFactory.Flush(TimeSpan.FromSeconds(60));
        }

        /// <summary>Uncompressed LogGroup bytes of one invocation (deterministic: fixed events).</summary>
        internal static long RawBytesPerInvocation()
        {
            var events = BuildEvents();
            var encoder = NewEncoder();
            long total = 0;
            for (int start = 0; start < events.Length; start += BatchEvents)
            {
                int end = Math.Min(start + BatchEvents, events.Length);
                for (int i = start; i < end; i++)
                    total += LogGroupEncoder.SizeInGroup(encoder.EncodeLog(events[i]));
                total += encoder.GroupSuffix.Length;
            }
            return total;
        }

        private static LogGroupEncoder NewEncoder()
        {
            var contents = Contents().Select(c => (c.Name, (Layout)c.Layout, false)).ToList();
            return new LogGroupEncoder(contents, "bench", "10.0.0.1", Array.Empty<KeyValuePair<string, string>>());
        }

        private static IEnumerable<(string Name, string Layout)> Contents()
        {
            yield return ("level", "${level}");
            yield return ("logger", "${logger}");
            yield return ("message", "${message}");
            yield return ("order", "${event-properties:order}");
        }

        private static LogEventInfo[] BuildEvents()
        {
            var time = new DateTime(2026, 11, 22, 8, 0, 0, DateTimeKind.Utc);
            var events = new LogEventInfo[Events];
            for (int i = 0; i < Events; i++)
            {
                var e = new LogEventInfo(LogLevel.Info, "Shop.Checkout.OrderService",
                    "order " + i + " placed by customer c" + (i % 977) + " for " + (i % 313) + ".99 EUR, 3 items, express delivery");
                e.TimeStamp = time.AddTicks(i * 1234L);
                e.Properties["order"] = i;
                events[i] = e;
            }
            return events;
        }

        /// <summary>The network base rendering the same Log messages, sending nothing: what NLog and batching cost alone.</summary>
        private sealed class EncodeOnlyTarget : NLog.Targets.PyLog.Core.PyLogNetworkTarget
        {
            private readonly LogGroupEncoder _encoder;

            public EncodeOnlyTarget(LogGroupEncoder encoder) => _encoder = encoder;

            private protected override NLog.Targets.PyLog.Core.NetworkTransport CreateTransport() => new EncodeOnly(_encoder);

            private sealed class EncodeOnly : NLog.Targets.PyLog.Core.BatchTransport<byte[]>
            {
                private readonly LogGroupEncoder _encoder;

                public EncodeOnly(LogGroupEncoder encoder) => _encoder = encoder;

                public override byte[] Render(LogEventInfo logEvent, out int sizeBytes, out string? key)
                {
                    var log = _encoder.EncodeLog(logEvent);
                    sizeBytes = LogGroupEncoder.SizeInGroup(log);
                    key = null;
                    return log;
                }

                public override System.Threading.Tasks.Task SendAsync(NLog.Targets.PyLog.Core.NetworkBatch<byte[]> batch, System.Threading.CancellationToken cancellationToken) => System.Threading.Tasks.Task.CompletedTask;
            }
        }

        private sealed class ColumnsConfig : ManualConfig
        {
            public ColumnsConfig() => AddColumn(new RawThroughputColumn());
        }

        private sealed class RawThroughputColumn : IColumn
        {
            private static readonly Lazy<long> s_rawBytes = new Lazy<long>(RawBytesPerInvocation);

            public string Id => "RawMBps";
            public string ColumnName => "Raw MB/s";
            public bool AlwaysShow => true;
            public ColumnCategory Category => ColumnCategory.Custom;
            public int PriorityInCategory => 0;
            public bool IsNumeric => true;
            public UnitType UnitType => UnitType.Dimensionless;
            public string Legend => "Uncompressed LogGroup megabytes (10^6) per second of wall time";

            public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
            {
                var report = summary[benchmarkCase];
                if (report?.ResultStatistics is null)
                    return "-";
                double seconds = report.ResultStatistics.Mean / 1e9;
                return (s_rawBytes.Value / 1e6 / seconds).ToString("F1");
            }

            public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
            public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
            public bool IsAvailable(Summary summary) => true;
        }
    }
}
