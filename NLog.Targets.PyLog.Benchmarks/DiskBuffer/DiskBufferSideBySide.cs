using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using NLog.Common;
using NLog.Config;

namespace NLog.Targets.PyLog.Benchmarks.DiskBuffer
{
    /// <summary>
    /// DiskBufferWrapper over a no-op target against the no-op target alone, side by side in one
    /// process, rounds alternating: events/s of the logging calls, events/s until the wrapped target
    /// received the last event, bytes allocated per event, with 1 and 4 threads; then the replay rate
    /// of a backlog left on disk by a previous "run". Stopwatch timing; the median round is reported.
    /// </summary>
    internal static class DiskBufferSideBySide
    {
        private const string Message = "order {0} processed";

        public static string Run(int rounds = 3, int events = 1_000_000, int replayEvents = 500_000)
        {
            var report = new StringBuilder();
            report.AppendLine("### DiskBufferWrapper over a no-op target vs the no-op target alone (one run, side by side)");
            report.AppendLine();
            report.AppendLine(string.Format(CultureInfo.InvariantCulture,
                "Config: logger.Info(\"{0}\", i), {1:N0} events per round, median of {2} alternating rounds; wrapper defaults (FlushIntervalMilliseconds=100, FsyncIntervalMilliseconds=1000, SegmentBytes=16 MiB, BatchSize=200) on {3}; {4} processors; {5}.",
                Message, events, rounds, Path.GetTempPath(), Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription));
            report.AppendLine();
            report.AppendLine("| threads | no wrapper: calls ev/s | wrapper: calls ev/s | ratio | wrapper: delivered ev/s | allocated/event, no wrapper | allocated/event, wrapper |");
            report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            foreach (int threads in new[] { 1, 4 })
            {
                var bare = new List<Result>();
                var wrapped = new List<Result>();
                for (int round = 0; round < rounds; round++)
                {
                    bare.Add(Measure(threads, events, useWrapper: false));
                    wrapped.Add(Measure(threads, events, useWrapper: true));
                }
                double bareRate = Median(bare.Select(r => r.CallsPerSecond));
                double wrappedRate = Median(wrapped.Select(r => r.CallsPerSecond));
                report.AppendLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1:N0} | {2:N0} | {3:F2}x | {4:N0} | {5:N0} B | {6:N0} B |",
                    threads, bareRate, wrappedRate, wrappedRate / bareRate, Median(wrapped.Select(r => r.DeliveredPerSecond)),
                    Median(bare.Select(r => r.BytesPerEvent)), Median(wrapped.Select(r => r.BytesPerEvent))));
            }
            report.AppendLine();

            var replay = new List<double>();
            for (int round = 0; round < rounds; round++)
                replay.Add(Replay(replayEvents));
            report.AppendLine(string.Format(CultureInfo.InvariantCulture,
                "Replay after a restart: {0:N0} events left on disk by a wrapper whose target was down, read back and handed to a no-op target by a new wrapper: {1:N0} events/s (median of {2}).",
                replayEvents, Median(replay), rounds));
            return report.ToString();
        }

        private readonly struct Result
        {
            public Result(double calls, double delivered, double bytes)
            {
                CallsPerSecond = calls;
                DeliveredPerSecond = delivered;
                BytesPerEvent = bytes;
            }

            public double CallsPerSecond { get; }

            public double DeliveredPerSecond { get; }

            public double BytesPerEvent { get; }
        }

        private static Result Measure(int threads, int events, bool useWrapper)
        {
            string directory = Path.Combine(Path.GetTempPath(), "pylog-db-bench-" + Guid.NewGuid().ToString("N"));
            var sink = new CountingTarget { Name = "sink" };
            Target target = useWrapper ? new DiskBufferTargetWrapper("buffer", sink, directory) : sink;
            var factory = new LogFactory();
            var config = new LoggingConfiguration(factory);
            config.AddRule(LogLevel.Info, LogLevel.Fatal, target);
            factory.Configuration = config;
            var logger = factory.GetLogger("bench");
            try
            {
                GC.Collect();
                int perThread = events / threads;
                long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                var watch = Stopwatch.StartNew();
                var workers = new Thread[threads];
                for (int t = 0; t < threads; t++)
                {
                    int first = t * perThread;
                    workers[t] = new Thread(() =>
                    {
                        for (int i = first; i < first + perThread; i++)
                            logger.Info(Message, i);
                    });
                    workers[t].Start();
                }
                foreach (var worker in workers)
                    worker.Join();
                double calls = watch.Elapsed.TotalSeconds;
                long total = (long)perThread * threads;
                while (Volatile.Read(ref sink.Count) < total)
                    Thread.Sleep(1);
                double delivered = watch.Elapsed.TotalSeconds;
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                return new Result(total / calls, total / delivered, (double)allocated / total);
            }
            finally
            {
                factory.Shutdown();
                TryDelete(directory);
            }
        }

        private static double Replay(int events)
        {
            string directory = Path.Combine(Path.GetTempPath(), "pylog-db-replay-" + Guid.NewGuid().ToString("N"));
            try
            {
                var down = new CountingTarget { Name = "down", Throw = true };
                var factory = Build(new DiskBufferTargetWrapper("buffer", down, directory) { RetryDelayMilliseconds = 60000, MaxRetryDelayMilliseconds = 60000 });
                var logger = factory.GetLogger("bench");
                for (int i = 0; i < events; i++)
                    logger.Info(Message, i);
                factory.Shutdown();

                var sink = new CountingTarget { Name = "sink" };
                var watch = Stopwatch.StartNew();
                var replaying = Build(new DiskBufferTargetWrapper("buffer", sink, directory));
                while (Volatile.Read(ref sink.Count) < events)
                    Thread.Sleep(1);
                double seconds = watch.Elapsed.TotalSeconds;
                replaying.Shutdown();
                return events / seconds;
            }
            finally
            {
                TryDelete(directory);
            }
        }

        private static LogFactory Build(Target target)
        {
            var factory = new LogFactory();
            var config = new LoggingConfiguration(factory);
            config.AddRule(LogLevel.Info, LogLevel.Fatal, target);
            factory.Configuration = config;
            return factory;
        }

        private static double Median(IEnumerable<double> values)
        {
            var sorted = values.OrderBy(v => v).ToList();
            return sorted[sorted.Count / 2];
        }

        private static void TryDelete(string directory)
        {
            try
            {
                if (Directory.Exists(directory))
                    Directory.Delete(directory, true);
            }
            catch (IOException)
            {
            }
        }

        /// <summary>Counts events; nothing else (or throws, to leave a backlog on disk). Also used by <see cref="DiskBufferProbe"/>.</summary>
        internal sealed class CountingTarget : Target
        {
            public long Count;

            public bool Throw { get; set; }

            protected override void Write(IList<AsyncLogEventInfo> logEvents)
            {
                if (Throw)
                    throw new IOException("down");
                Interlocked.Add(ref Count, logEvents.Count);
                for (int i = 0; i < logEvents.Count; i++)
                    logEvents[i].Continuation(null);
            }

            protected override void Write(LogEventInfo logEvent)
            {
                if (Throw)
                    throw new IOException("down");
                Interlocked.Increment(ref Count);
            }
        }
    }

    /// <summary>
    /// Hosts <see cref="DiskBufferSideBySide"/> as one invocation; the Markdown table is printed and
    /// written to <c>BenchmarkDotNet.Artifacts/disk-buffer-side-by-side.md</c>.
    /// Run: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*DiskBufferSideBySide*'</c>.
    /// </summary>
    [SimpleJob(RunStrategy.ColdStart, launchCount: 1, warmupCount: 0, iterationCount: 1)]
    public class DiskBufferSideBySideReport
    {
        /// <summary>Runs every scenario once and prints the table.</summary>
        [Benchmark]
        public void SideBySide()
        {
            string table = DiskBufferSideBySide.Run();
            Console.WriteLine(table);
            Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
            File.WriteAllText(Path.Combine("BenchmarkDotNet.Artifacts", "disk-buffer-side-by-side.md"), table);
        }
    }
}
