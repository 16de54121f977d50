using System;
using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using NLog.Layouts;

namespace NLog.Targets.PyLog.Benchmarks.Layouts
{
    /// <summary>
    /// PyLogJson against NLog's JsonLayout with the same fields (time, level, logger, message,
    /// exception, event properties, scope properties), one thread, rendering the same event
    /// repeatedly (the layout's own cost; NLog formats the message once per event and caches it).
    /// <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*PyLogJsonLayoutBenchmark*' --job short</c>
    /// (on a shared machine add <c>--iterationCount 15</c> and compare the Min column).
    /// </summary>
    [MemoryDiagnoser]
    [MinColumn]
    [MedianColumn]
    public class PyLogJsonLayoutBenchmark
    {
        private readonly StringBuilder _builder = new StringBuilder(1024);
        private readonly ArrayBufferWriter<byte> _bytes = new ArrayBufferWriter<byte>(4096);
        private JsonLayout _nlogJson = null!;
        private PyLogJsonLayout _pyLogJson = null!;
        private LogEventInfo _logEvent = null!;

        /// <summary>Typical: a template with three parameters and two more event properties; WithException adds an exception with an inner one.</summary>
        [Params(false, true)]
        public bool WithException { get; set; }

        [GlobalSetup]
        public void Setup()
        {
            _nlogJson = new JsonLayout { IncludeEventProperties = true, IncludeScopeProperties = true };
            _nlogJson.Attributes.Add(new JsonAttribute("time", "${date:universalTime=true:format=o}"));
            _nlogJson.Attributes.Add(new JsonAttribute("level", "${level}"));
            _nlogJson.Attributes.Add(new JsonAttribute("logger", "${logger}"));
            _nlogJson.Attributes.Add(new JsonAttribute("message", "${message}"));
            _nlogJson.Attributes.Add(new JsonAttribute("exception", "${exception:format=@}") { Encode = false });

            _pyLogJson = new PyLogJsonLayout();

            _logEvent = new LogEventInfo(LogLevel.Info, "Orders.Api.CheckoutController", null, "Order {OrderId} shipped to {City} in {ElapsedMs} ms", new object[] { 42, "Zürich", 12.5 });
            _logEvent.Properties["UserId"] = 1001L;
            _logEvent.Properties["Success"] = true;
            if (WithException)
            {
                try
                {
                    throw new InvalidOperationException("Payment gateway failed", new TimeoutException("No answer in 30 s"));
                }
                catch (InvalidOperationException ex)
                {
                    _logEvent.Exception = ex;
                    _logEvent.Level = LogLevel.Error;
                }
            }

            // Warm both up, then report the steady-state allocation of the byte path directly.
            NLogJsonLayout_StringBuilder();
            PyLogJson_StringBuilder();
            PyLogJson_Utf8();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                PyLogJson_Utf8();
            }

            long perEvent = (GC.GetAllocatedBytesForCurrentThread() - before) / 10_000;
            Console.WriteLine("// PyLogJson RenderUtf8 allocated bytes/event (GC.GetAllocatedBytesForCurrentThread, 10000 events): " + perEvent);
            ReportInterleaved();
            Console.WriteLine("// NLog JsonLayout: " + _nlogJson.Render(_logEvent));
            Console.WriteLine("// PyLogJson:       " + _pyLogJson.Render(_logEvent));
        }

        /// <summary>
        /// On a shared machine BenchmarkDotNet's one-method-after-another runs see different load;
        /// this alternates the four methods in short rounds and keeps each one's best round, so
        /// the ratios compare like with like.
        /// </summary>
        private void ReportInterleaved()
        {
            const int EventsPerRound = 20_000;
            Func<int>[] methods = { NLogJsonLayout_StringBuilder, NLogJsonLayout_ToUtf8, PyLogJson_StringBuilder, PyLogJson_Utf8 };
            string[] names = { "NLog JsonLayout (StringBuilder)", "NLog JsonLayout + UTF-8 encode", "PyLogJson (StringBuilder)", "PyLogJson (UTF-8)" };
            var best = new double[methods.Length];
            Array.Fill(best, double.MaxValue);
            for (int round = 0; round < 15; round++)
            {
                for (int m = 0; m < methods.Length; m++)
                {
                    long start = System.Diagnostics.Stopwatch.GetTimestamp();
                    for (int i = 0; i < EventsPerRound; i++)
                    {
                        methods[m]();
                    }

                    double ns = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1_000_000 / EventsPerRound;
                    best[m] = Math.Min(best[m], ns);
                }
            }

            for (int m = 0; m < methods.Length; m++)
            {
                Console.WriteLine($"// interleaved best of 15 rounds: {names[m],-32} {best[m],8:F0} ns/event {1e9 / best[m],12:N0} events/s  NLog(StringBuilder)/this = {best[0] / best[m]:F2}x");
            }
        }

        /// <summary>NLog JsonLayout into a reused StringBuilder (how NLog targets render).</summary>
        [Benchmark(Baseline = true)]
        public int NLogJsonLayout_StringBuilder()
        {
            _builder.Clear();
            _nlogJson.Render(_logEvent, _builder);
            return _builder.Length;
        }

        /// <summary>NLog JsonLayout, then UTF-8 encoded: what a network target without a byte path does.</summary>
        [Benchmark]
        public int NLogJsonLayout_ToUtf8()
        {
            _builder.Clear();
            _nlogJson.Render(_logEvent, _builder);
            _bytes.ResetWrittenCount();
            foreach (ReadOnlyMemory<char> chunk in _builder.GetChunks())
            {
                Encoding.UTF8.GetBytes(chunk.Span, _bytes);
            }

            return _bytes.WrittenCount;
        }

        /// <summary>PyLogJson through the string path into a reused StringBuilder.</summary>
        [Benchmark]
        public int PyLogJson_StringBuilder()
        {
            _builder.Clear();
            _pyLogJson.Render(_logEvent, _builder);
            return _builder.Length;
        }

        /// <summary>PyLogJson straight to UTF-8 (IUtf8Layout), the network targets' path.</summary>
        [Benchmark]
        public int PyLogJson_Utf8()
        {
            _bytes.ResetWrittenCount();
            _pyLogJson.RenderUtf8(_logEvent, _bytes);
            return _bytes.WrittenCount;
        }
    }
}
