using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using NLog.Config;
using NLog.Targets.PyLog.Redis;
using NLog.Targets.PyLog.Tests.Support;
using NLog.Targets.Wrappers;
using StackExchange.Redis;

namespace NLog.Targets.PyLog.Benchmarks.Redis
{
    /// <summary>
    /// <see cref="RedisTarget"/> with the <see cref="PlumelogLayout"/> against a bare StackExchange.Redis
    /// loop that renders the same record by hand (<see cref="Utf8JsonWriter"/>, no NLog) and pushes
    /// batches of 500 with one batch in flight (the next batch is rendered while the previous RPUSH is
    /// on the wire), against the same local redis-server, in one process and one run. Rounds
    /// alternate the two; the target (one LogFactory, <c>overflowAction="Block"</c>, default
    /// QueueLimit) is reused across rounds. Each round is timed from the first event to the last
    /// acknowledged push (the target: <c>Flush()</c> returned), and checks that Redis holds every event.
    /// </summary>
    internal static class RedisPlumelogSideBySide
    {
        internal const int BatchSize = 500;
        private const string Template = "order {0} placed by {1} for {2} items";
        private const string LoggerName = "Bench.Orders";

        private static long s_bareSequence;

        public static string Run(int rounds = 7, int events = 200_000)
        {
            using var server = RedisServer.Start();
            using var bare = ConnectionMultiplexer.Connect(server.Endpoint);
            var database = bare.GetDatabase();

            var target = new RedisTarget
            {
                Name = "bench-redis",
                Host = "127.0.0.1",
                Port = server.Port,
                Key = "bench-target",
                BatchSize = BatchSize,
                OverflowAction = AsyncTargetWrapperOverflowAction.Block,
                Layout = new PlumelogLayout { AppName = "bench", Env = "bench" },
            };
            // PYLOG_BENCH_LAYOUT=message: the same comparison with a ${message} layout (the pipeline without the Plumelog record);
            // the header of the table still names the Plumelog layout for "capture".
            bool messageLayout = Environment.GetEnvironmentVariable("PYLOG_BENCH_LAYOUT") == "message";
            if (messageLayout)
                target.Layout = "${message}";
            // PYLOG_BENCH_LAYOUT=capture: ${message} plus one value cached per event on the logging thread (what any
            // thread-bound layout costs through NLog's layout cache), to tell that cost from the record's.
            if (Environment.GetEnvironmentVariable("PYLOG_BENCH_LAYOUT") == "capture")
                target.Layout = new CapturingMessageLayout();
            var config = new LoggingConfiguration();
            config.AddRuleForAllLevels(target);
            var factory = new LogFactory { Configuration = config };
            var logger = factory.GetLogger(LoggerName);

            var bareRates = new List<double>();
            var targetRates = new List<double>();
            var bareCpu = new List<double>();
            var bareAllocated = new List<double>();
            var targetAllocated = new List<double>();
            var targetCpu = new List<double>();
            long recordBytes = 0;
            try
            {
                // Warm-up round of each (JIT, connection), not counted.
                BareRound(database, events / 10);
                TargetRound(factory, logger, database, events / 10);
                for (int round = 0; round < rounds; round++)
                {
                    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    long allocated = GC.GetTotalAllocatedBytes(true);
                    bareRates.Add(BareRound(database, events));
                    var between = Process.GetCurrentProcess().TotalProcessorTime;
                    long allocatedBetween = GC.GetTotalAllocatedBytes(true);
                    targetRates.Add(TargetRound(factory, logger, database, events));
                    var after = Process.GetCurrentProcess().TotalProcessorTime;
                    long allocatedAfter = GC.GetTotalAllocatedBytes(true);
                    bareAllocated.Add((allocatedBetween - allocated) / (double)events);
                    targetAllocated.Add((allocatedAfter - allocatedBetween) / (double)events);
                    bareCpu.Add((between - cpu).TotalMilliseconds * 1000 / events);
                    targetCpu.Add((after - between).TotalMilliseconds * 1000 / events);
                }
                recordBytes = ((byte[]?)database.ListGetByIndex("bench-target", 0))?.Length ?? 0;
                database.KeyDelete("bench-target");
            }
            finally
            {
                factory.Shutdown();
            }

            double bareMedian = Median(bareRates);
            double targetMedian = Median(targetRates);
            var report = new StringBuilder();
            report.AppendLine("### Redis with the Plumelog layout vs a bare StackExchange.Redis loop (one run, side by side)");
            report.AppendLine();
            report.AppendLine(string.Format(CultureInfo.InvariantCulture,
                "Config: {0:N0} events per round from one thread, {1} alternating rounds (+1 warm-up each), median; batches of {2}, one in flight; " +
                "target record {3} bytes (bare: the same 13 fields, the twelve of RunLogMessage plus appNameWithEnv); target reused across rounds, overflowAction=Block, QueueLimit={4}; " +
                "local redis-server {5} without persistence; {6} processors; {7}; load before: {8}.",
                events, rounds, BatchSize, recordBytes, target.QueueLimit, RedisVersion(database), Environment.ProcessorCount,
                System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, Uptime()));
            report.AppendLine();
            report.AppendLine(messageLayout
                ? "| | bare loop (Utf8JsonWriter + RPUSH) | RedisTarget + ${message} | ratio | process CPU per event, bare / target |"
                : "| | bare loop (Utf8JsonWriter + RPUSH) | RedisTarget + PlumelogLayout | ratio | process CPU per event, bare / target |");
            report.AppendLine("|---|---:|---:|---:|---:|");
            report.AppendLine(string.Format(CultureInfo.InvariantCulture, "| median | {0:N0} ev/s | {1:N0} ev/s | {2:F2}x | {3:F2} µs / {4:F2} µs |",
                bareMedian, targetMedian, targetMedian / bareMedian, Median(bareCpu), Median(targetCpu)));
            for (int i = 0; i < rounds; i++)
                report.AppendLine(string.Format(CultureInfo.InvariantCulture, "| round {0} | {1:N0} ev/s | {2:N0} ev/s | {3:F2}x | {4:F2} µs / {5:F2} µs |",
                    i + 1, bareRates[i], targetRates[i], targetRates[i] / bareRates[i], bareCpu[i], targetCpu[i]));
            report.AppendLine();
            report.AppendLine(string.Format(CultureInfo.InvariantCulture, "Allocated per event (whole process, median): bare {0:F0} B, target {1:F0} B.", Median(bareAllocated), Median(targetAllocated)));
            report.AppendLine();
            report.AppendLine("Load after: " + Uptime());
            return report.ToString();
        }

        /// <summary>CPU cost per event of the pieces, single thread, no Redis: where the target's time goes.</summary>
        public static string Probe(int events = 300_000)
        {
            var report = new StringBuilder();
            var layout = new PlumelogLayout { AppName = "bench", Env = "bench" };
            var scratch = new ArrayBufferWriter<byte>(1024);
            var buffer = new ArrayBufferWriter<byte>(1024);
            var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
            using var writer = new Utf8JsonWriter(buffer, options);
            var steps = new (string Name, Action<int> Step)[]
            {
                ("create", i => LogEventInfo.Create(LogLevel.Info, LoggerName, CultureInfo.InvariantCulture, Template, new object[] { i, "alice", 3 })),
                ("create+format", i => _ = LogEventInfo.Create(LogLevel.Info, LoggerName, CultureInfo.InvariantCulture, Template, new object[] { i, "alice", 3 }).FormattedMessage),
                ("create+precalculate", i => layout.Precalculate(LogEventInfo.Create(LogLevel.Info, LoggerName, CultureInfo.InvariantCulture, Template, new object[] { i, "alice", 3 }))),
                ("create+precalculate+render+copy", i =>
                {
                    var logEvent = LogEventInfo.Create(LogLevel.Info, LoggerName, CultureInfo.InvariantCulture, Template, new object[] { i, "alice", 3 });
                    layout.Precalculate(logEvent);
                    scratch.ResetWrittenCount();
                    layout.RenderUtf8(logEvent, scratch);
                    _ = scratch.WrittenSpan.ToArray();
                }),
                ("bare format+render+copy", i =>
                {
                    buffer.ResetWrittenCount();
                    writer.Reset(buffer);
                    WriteRecord(writer, "10.0.0.1", "1", string.Format(CultureInfo.InvariantCulture, Template, i, "alice", 3));
                    writer.Flush();
                    _ = buffer.WrittenSpan.ToArray();
                }),
            };
            for (int pass = 0; pass < 3; pass++)
            {
                report.Append("pass ").Append(pass).Append(':');
                foreach (var (name, step) in steps)
                {
                    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    for (int i = 0; i < events; i++)
                        step(i);
                    double ns = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds * 1e6 / events;
                    report.Append(string.Format(CultureInfo.InvariantCulture, " {0} {1:F0} ns;", name, ns));
                }
                report.AppendLine();
            }
            return report.ToString();
        }

        private static double TargetRound(LogFactory factory, Logger logger, IDatabase database, int events)
        {
            database.KeyDelete("bench-target");
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < events; i++)
                logger.Info(Template, i, "alice", 3);
            factory.Flush(TimeSpan.FromMinutes(2));
            watch.Stop();
            Verify(database, "bench-target", events);
            return events / watch.Elapsed.TotalSeconds;
        }

        private static double BareRound(IDatabase database, int events)
        {
            database.KeyDelete("bench-bare");
            var buffer = new ArrayBufferWriter<byte>(1024);
            var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
            using var writer = new Utf8JsonWriter(buffer, options);
            string serverName = HostAddress.Value;
            string thread = Thread.CurrentThread.Name ?? Environment.CurrentManagedThreadId.ToString(CultureInfo.InvariantCulture);

            var watch = Stopwatch.StartNew();
            Task inFlight = Task.CompletedTask;
            var values = new RedisValue[BatchSize];
            int count = 0;
            for (int i = 0; i < events; i++)
            {
                buffer.ResetWrittenCount();
                writer.Reset(buffer);
                WriteRecord(writer, serverName, thread, string.Format(CultureInfo.InvariantCulture, Template, i, "alice", 3));
                writer.Flush();
                values[count++] = buffer.WrittenSpan.ToArray();
                if (count == BatchSize || i == events - 1)
                {
                    inFlight.GetAwaiter().GetResult();
                    var batch = values;
                    if (count < BatchSize)
                        Array.Resize(ref batch, count);
                    inFlight = database.ListRightPushAsync("bench-bare", batch);
                    values = new RedisValue[BatchSize];
                    count = 0;
                }
            }
            inFlight.GetAwaiter().GetResult();
            watch.Stop();
            Verify(database, "bench-bare", events);
            return events / watch.Elapsed.TotalSeconds;
        }

        private static void WriteRecord(Utf8JsonWriter writer, string serverName, string thread, string content)
        {
            DateTime utc = DateTime.UtcNow;
            DateTime local = utc.ToLocalTime();
            writer.WriteStartObject();
            writer.WriteString("appName", "bench");
            writer.WriteString("env", "bench");
            writer.WriteString("appNameWithEnv", "bench-_-bench");
            writer.WriteString("serverName", serverName);
            writer.WriteString("traceId", string.Empty);
            writer.WriteString("method", thread);
            writer.WriteString("className", LoggerName);
            writer.WriteString("threadName", thread);
            writer.WriteString("logLevel", "INFO");
            writer.WriteString("content", content);
            writer.WriteNumber("dtTime", (utc.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond);
            Span<char> dateTime = stackalloc char[23];
            local.TryFormat(dateTime, out int written, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
            writer.WriteString("dateTime", dateTime.Slice(0, written));
            writer.WriteNumber("seq", Interlocked.Increment(ref s_bareSequence));
            writer.WriteEndObject();
        }

        private static void Verify(IDatabase database, string key, int events)
        {
            long stored = database.ListLength(key);
            if (stored != events)
                throw new InvalidOperationException($"{key}: Redis holds {stored} records, {events} were sent.");
        }

        private static string RedisVersion(IDatabase database)
        {
            var info = (string?)database.Execute("INFO", "server") ?? string.Empty;
            foreach (var line in info.Split('\n'))
            {
                if (line.StartsWith("redis_version:", StringComparison.Ordinal))
                    return line.Substring("redis_version:".Length).Trim();
            }
            return "?";
        }

        private static string Uptime()
        {
            try
            {
                return "load average " + File.ReadAllText("/proc/loadavg").Trim();
            }
            catch (IOException)
            {
                return "load unknown";
            }
        }

        private static double Median(List<double> values)
        {
            var sorted = new List<double>(values);
            sorted.Sort();
            return sorted[sorted.Count / 2];
        }
    }

    /// <summary>The message plus the logging thread's id, captured through NLog's per-event layout cache.</summary>
    internal sealed class CapturingMessageLayout : NLog.Layouts.Layout
    {
        private readonly ThreadCapture _thread = new ThreadCapture();

        public override void Precalculate(LogEventInfo logEvent) => _thread.Precalculate(logEvent);

        protected override string GetFormattedMessage(LogEventInfo logEvent)
        {
            _thread.Precalculate(logEvent);
            return logEvent.FormattedMessage + _thread.Render(logEvent);
        }

        private sealed class ThreadCapture : NLog.Layouts.Layout
        {
            protected override string GetFormattedMessage(LogEventInfo logEvent) => Environment.CurrentManagedThreadId.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// Hosts <see cref="RedisPlumelogSideBySide"/> as one invocation (Stopwatch-based, one process, one run).
    /// The Markdown table is printed and written to <c>BenchmarkDotNet.Artifacts/redis-plumelog-side-by-side.md</c>.
    /// Run: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*RedisPlumelogSideBySide*'</c>.
    /// </summary>
    [SimpleJob(RunStrategy.ColdStart, launchCount: 1, warmupCount: 0, iterationCount: 1)]
    public class RedisPlumelogSideBySideReport
    {
        /// <summary>Runs the rounds and prints the table.</summary>
        [Benchmark]
        public void SideBySide()
        {
            string table = RedisPlumelogSideBySide.Run();
            Console.WriteLine(table);
            Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
            File.WriteAllText(Path.Combine("BenchmarkDotNet.Artifacts", "redis-plumelog-side-by-side.md"), table);
        }
    }
}
