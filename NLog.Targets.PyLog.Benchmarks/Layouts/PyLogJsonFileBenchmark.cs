using System;
using System.Diagnostics;
using System.IO;
using BenchmarkDotNet.Attributes;
using NLog.Config;
using NLog.Layouts;
using NLog.Targets;

namespace NLog.Targets.PyLog.Benchmarks.Layouts
{
    /// <summary>
    /// PyLogJson through ArchiveFile against NLog's File (KeepFileOpen, AutoFlush=false) with
    /// JsonLayout, the same fields (time, level, logger, message, event and scope properties) and
    /// a template with three properties, one thread, synchronous logger calls. The comparison is
    /// the interleaved one printed by <see cref="Setup"/> (fresh files every round, rounds
    /// alternating, best round kept), so both sides see the same machine load.
    /// <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*PyLogJsonFileBenchmark*' --job dry</c>
    /// </summary>
    [MemoryDiagnoser]
    public class PyLogJsonFileBenchmark
    {
        private const int EventsPerRound = 100_000;
        private const int Rounds = 10;

        private string _folder = string.Empty;

        /// <summary>With <c>maskProperties</c> set to names the event does not carry (the masking scan on every message).</summary>
        [Params(false, true)]
        public bool WithMaskedNames { get; set; }

        [GlobalSetup]
        public void Setup()
        {
            _folder = Path.Combine(Path.GetTempPath(), "pylog-json-bench-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_folder);
            var best = new[] { double.MaxValue, double.MaxValue };
            var allocated = new long[2];
            for (int round = 0; round < Rounds; round++)
            {
                for (int side = 0; side < 2; side++)
                {
                    string file = Path.Combine(_folder, $"r{round}-{side}.log");
                    LogFactory factory = side == 0 ? NLogFileJson(file) : ArchiveFilePyLogJson(file, WithMaskedNames);
                    Logger logger = factory.GetLogger("Orders.Api.CheckoutController");
                    Write(logger, 10_000); // warm-up: caches, file opened
                    long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
                    long start = Stopwatch.GetTimestamp();
                    Write(logger, EventsPerRound);
                    factory.Flush();
                    double ns = Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1_000_000 / EventsPerRound;
                    allocated[side] = (GC.GetAllocatedBytesForCurrentThread() - bytesBefore) / EventsPerRound;
                    best[side] = Math.Min(best[side], ns);
                    factory.Shutdown();
                    File.Delete(file);
                }
            }

            Console.WriteLine($"// interleaved best of {Rounds} rounds, {EventsPerRound} events each, maskedNames={WithMaskedNames}:");
            Console.WriteLine($"//   NLog File + JsonLayout      {best[0],7:F0} ns/event {1e9 / best[0],12:N0} events/s  {allocated[0]} B/event on the logging thread");
            Console.WriteLine($"//   ArchiveFile + PyLogJson     {best[1],7:F0} ns/event {1e9 / best[1],12:N0} events/s  {allocated[1]} B/event on the logging thread  ratio {best[0] / best[1]:F2}x");
            PyLogJsonLayout layout = NewPyLogJson(WithMaskedNames);
            LogEventInfo sample = LogEventInfo.Create(LogLevel.Info, "Orders.Api.CheckoutController", null, "Order {OrderId} shipped to {City} in {ElapsedMs} ms", new object[] { 42, "Zürich", 12.5 });
            var output = new System.Buffers.ArrayBufferWriter<byte>(4096);
            layout.RenderUtf8(sample, output);
            long layoutBefore = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                output.ResetWrittenCount();
                layout.RenderUtf8(sample, output);
            }

            Console.WriteLine($"//   PyLogJson RenderUtf8 alone: {(GC.GetAllocatedBytesForCurrentThread() - layoutBefore) / 10_000} B/event (10000 renderings of one event)");
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            if (Directory.Exists(_folder))
                Directory.Delete(_folder, recursive: true);
        }

        /// <summary>One event through each side, for BenchmarkDotNet's own table (the interleaved figures above are the comparison).</summary>
        [Benchmark]
        public int LayoutOnly()
        {
            return NewPyLogJson(WithMaskedNames).Render(LogEventInfo.Create(LogLevel.Info, "l", null, "Order {OrderId} shipped to {City} in {ElapsedMs} ms", new object[] { 42, "Zürich", 12.5 })).Length;
        }

        private static void Write(Logger logger, int count)
        {
            for (int i = 0; i < count; i++)
                logger.Info("Order {OrderId} shipped to {City} in {ElapsedMs} ms", i, "Zürich", 12.5);
        }

        private static PyLogJsonLayout NewPyLogJson(bool withMaskedNames) =>
            new PyLogJsonLayout { MaskProperties = withMaskedNames ? "password,*token*,*secret*" : null };

        private static LogFactory NLogFileJson(string file)
        {
            var json = new JsonLayout { IncludeEventProperties = true, IncludeScopeProperties = true };
            json.Attributes.Add(new JsonAttribute("time", "${date:universalTime=true:format=o}"));
            json.Attributes.Add(new JsonAttribute("level", "${level}"));
            json.Attributes.Add(new JsonAttribute("logger", "${logger}"));
            json.Attributes.Add(new JsonAttribute("message", "${message}"));
            json.Attributes.Add(new JsonAttribute("exception", "${exception:format=@}") { Encode = false });
            return Factory(new FileTarget("nlog") { FileName = file, Layout = json, KeepFileOpen = true, AutoFlush = false });
        }

        private static LogFactory ArchiveFilePyLogJson(string file, bool withMaskedNames) =>
            Factory(new ArchiveFileTarget { Name = "archive", FileName = file, Layout = NewPyLogJson(withMaskedNames) });

        private static LogFactory Factory(Target target)
        {
            var factory = new LogFactory();
            var config = new LoggingConfiguration(factory);
            config.AddRuleForAllLevels(target);
            factory.Configuration = config;
            return factory;
        }
    }
}
