using System;
using System.IO;
using System.Threading;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using NLog.Config;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Benchmarks.Backpressure
{
    /// <summary>
    /// Block-policy throughput of <see cref="BackpressureTargetWrapper"/> vs NLog's <see cref="AsyncTargetWrapper"/>
    /// over the same inner target: 4 threads log 200,000 events, then <c>Flush()</c>; one operation = one event.
    /// Run: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*BackpressureThroughput*' --job short</c>.
    /// </summary>
    [MemoryDiagnoser]
    public class BackpressureThroughputBenchmarks
    {
        private const int Events = 200_000;
        private const int Producers = 4;
        private LogFactory? _factory;
        private Logger? _logger;
        private string? _folder;

        /// <summary>Which wrapper.</summary>
        [Params("AsyncTargetWrapper", "BackpressureWrapper")]
        public string Wrapper { get; set; } = "";

        /// <summary>Which inner target: a counting no-op, or NLog's File target (KeepFileOpen, AutoFlush=false).</summary>
        [Params("Counting", "File")]
        public string Inner { get; set; } = "";

        /// <summary>Builds the LogFactory.</summary>
        [GlobalSetup]
        public void Setup()
        {
            _folder = Path.Combine(Path.GetTempPath(), "pylog-bp-bdn-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_folder);
            Target inner = Inner == "File"
                ? new FileTarget { Name = "inner", FileName = Path.Combine(_folder, "bench.log"), KeepFileOpen = true, AutoFlush = false, Layout = "${longdate}|${level}|${logger}|${message}" }
                : new CountingTarget { Name = "inner" };
            Target wrapper = Wrapper == "BackpressureWrapper"
                ? new BackpressureTargetWrapper("wrapper", inner) { QueueLimit = 10000, BatchSize = 200, FullPolicy = BackpressureFullPolicy.Block, BlockTimeoutMilliseconds = 60_000 }
                : new AsyncTargetWrapper("wrapper", inner) { QueueLimit = 10000, BatchSize = 200, OverflowAction = AsyncTargetWrapperOverflowAction.Block };
            var config = new LoggingConfiguration();
            config.AddRuleForAllLevels(wrapper);
            _factory = new LogFactory { Configuration = config };
            _logger = _factory.GetLogger("bench");
        }

        /// <summary>Closes the LogFactory.</summary>
        [GlobalCleanup]
        public void Cleanup()
        {
            _factory?.Dispose();
            try { Directory.Delete(_folder!, recursive: true); } catch (IOException) { }
        }

        /// <summary>4 producers x 50,000 events, then Flush.</summary>
        [Benchmark(OperationsPerInvoke = Events)]
        public void Block4Producers()
        {
            var logger = _logger!;
            var threads = new Thread[Producers];
            for (int p = 0; p < Producers; p++)
            {
                threads[p] = new Thread(() =>
                {
                    for (int i = 0; i < Events / Producers; i++)
                        logger.Info("Order {OrderId} processed", i);
                });
                threads[p].Start();
            }
            foreach (var thread in threads)
                thread.Join();
            _factory!.Flush(TimeSpan.FromMinutes(1));
        }
    }

    /// <summary>
    /// Hosts <see cref="BackpressureSideBySide"/> (Stopwatch-based, independent of BenchmarkDotNet's
    /// statistics) as a single invocation, so Block throughput, Discard delivered/dropped and
    /// call-latency percentiles come from one process and one run. The Markdown table is printed
    /// and written to <c>BenchmarkDotNet.Artifacts/backpressure-side-by-side.md</c>.
    /// Run: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*BackpressureSideBySide*'</c>
    /// (out of process: BenchmarkDotNet's in-process toolchain refuses an invocation this long).
    /// </summary>
    [SimpleJob(RunStrategy.ColdStart, launchCount: 1, warmupCount: 0, iterationCount: 1)]
    public class BackpressureSideBySideReport
    {
        /// <summary>Runs every scenario once and prints the table.</summary>
        [Benchmark]
        public void SideBySide()
        {
            string table = BackpressureSideBySide.Run();
            Console.WriteLine(table);
            Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
            File.WriteAllText(Path.Combine("BenchmarkDotNet.Artifacts", "backpressure-side-by-side.md"), table);
        }
    }
}
