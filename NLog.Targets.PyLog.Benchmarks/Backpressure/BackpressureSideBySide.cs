using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using NLog.Config;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Benchmarks.Backpressure
{
    /// <summary>
    /// Stopwatch-based side-by-side comparison of <see cref="BackpressureTargetWrapper"/> and NLog's
    /// <see cref="AsyncTargetWrapper"/> over the same inner target, in one process and one run:
    /// Block throughput, Discard delivered vs dropped, and logging-call latency percentiles while the
    /// inner target is slow. Rounds alternate the two wrappers; the median round is reported.
    /// </summary>
    internal static class BackpressureSideBySide
    {
        internal const int Producers = 4;
        internal const int QueueLimit = 10000;
        internal const int BatchSize = 200;

        public static string Run(int rounds = 3, int throughputEvents = 1_000_000, int latencyEventsPerProducer = 50_000)
        {
            var report = new StringBuilder();
            report.AppendLine("### BackpressureWrapper vs NLog AsyncTargetWrapper (one run, side by side)");
            report.AppendLine();
            report.AppendLine(string.Format(CultureInfo.InvariantCulture,
                "Config: {0} producer threads, QueueLimit={1}, BatchSize={2} for both wrappers (AsyncWrapper: TimeToSleepBetweenBatches=1 default); " +
                "{3} processors; {4}; median of {5} alternating rounds; Stopwatch timing, logging start to Flush() done.",
                Producers, QueueLimit, BatchSize, Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, rounds));
            report.AppendLine();

            string folder = Path.Combine(Path.GetTempPath(), "pylog-bp-bench-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                report.AppendLine("| scenario | inner target | AsyncTargetWrapper | BackpressureWrapper | ratio |");
                report.AppendLine("|---|---|---:|---:|---:|");
                foreach (var inner in new[] { "counting (no-op)", "File keepFileOpen autoFlush=false" })
                {
                    var asyncRates = new List<double>();
                    var ourRates = new List<double>();
                    for (int round = 0; round < rounds; round++)
                    {
                        asyncRates.Add(Throughput(useBackpressure: false, inner, folder, throughputEvents));
                        ourRates.Add(Throughput(useBackpressure: true, inner, folder, throughputEvents));
                    }
                    double a = Median(asyncRates), b = Median(ourRates);
                    report.AppendLine(string.Format(CultureInfo.InvariantCulture, "| Block, {0:N0} events | {1} | {2:N0} ev/s | {3:N0} ev/s | {4:F2}x |", throughputEvents, inner, a, b, b / a));
                }

                foreach (var inner in new[] { "File keepFileOpen autoFlush=false" })
                {
                    var (aDelivered, aElapsed) = Discard(useBackpressure: false, inner, folder, throughputEvents);
                    var (bDelivered, bElapsed) = Discard(useBackpressure: true, inner, folder, throughputEvents);
                    report.AppendLine(string.Format(CultureInfo.InvariantCulture,
                        "| Discard, {0:N0}-event burst: delivered / dropped | {1} | {2:N0} / {3:N0} ({4:F0} ms) | {5:N0} / {6:N0} ({7:F0} ms) | |",
                        throughputEvents, inner, aDelivered, throughputEvents - aDelivered, aElapsed, bDelivered, throughputEvents - bDelivered, bElapsed));
                }
                report.AppendLine();

                report.AppendLine(string.Format(CultureInfo.InvariantCulture,
                    "Logging-call latency, {0} threads x {1:N0} calls flat out, inner target sleeps 1 ms per batch (slow):", Producers, latencyEventsPerProducer));
                report.AppendLine();
                report.AppendLine("| policy | wrapper | p50 | p99 | p99.9 | max | delivered |");
                report.AppendLine("|---|---|---:|---:|---:|---:|---:|");
                foreach (bool block in new[] { false, true })
                {
                    foreach (bool ours in new[] { false, true })
                    {
                        var (p50, p99, p999, max, delivered) = Latency(ours, block, latencyEventsPerProducer);
                        report.AppendLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1} | {2:F2} µs | {3:F2} µs | {4:F2} µs | {5:F1} ms | {6:N0} |",
                            block ? "Block" : "Discard", ours ? "BackpressureWrapper" : "AsyncTargetWrapper", p50, p99, p999, max / 1000, delivered));
                    }
                }
            }
            finally
            {
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
            }
            return report.ToString();
        }

        private static double Throughput(bool useBackpressure, string inner, string folder, int events)
        {
            var (factory, counter) = Build(useBackpressure, inner, folder, block: true, slow: false);
            using (factory)
            {
                var elapsed = Flood(factory.GetLogger("bench"), events / Producers, null);
                factory.Flush(TimeSpan.FromMinutes(2));
                double seconds = elapsed.Elapsed.TotalSeconds;
                long delivered = counter();
                if (delivered >= 0 && delivered != events)
                    throw new InvalidOperationException("Block lost events: " + delivered + " of " + events);
                return events / seconds;
            }
        }

        private static (long Delivered, double Milliseconds) Discard(bool useBackpressure, string inner, string folder, int events)
        {
            string file = Path.Combine(folder, (useBackpressure ? "bp" : "async") + "-discard.log");
            var (factory, _) = Build(useBackpressure, inner, folder, block: false, slow: false, fileName: file);
            Stopwatch watch;
            using (factory)
            {
                watch = Flood(factory.GetLogger("bench"), events / Producers, null);
                factory.Flush(TimeSpan.FromMinutes(2));
            }
            return (File.ReadLines(file).LongCount(), watch.Elapsed.TotalMilliseconds);
        }

        private static (double P50, double P99, double P999, double Max, long Delivered) Latency(bool useBackpressure, bool block, int perProducer)
        {
            var (factory, counter) = Build(useBackpressure, "slow", null, block, slow: true);
            var samples = new long[Producers][];
            using (factory)
            {
                Flood(factory.GetLogger("bench"), perProducer, samples);
                factory.Flush(TimeSpan.FromMinutes(2));
                var all = samples.SelectMany(s => s).Select(t => t * 1_000_000.0 / Stopwatch.Frequency).OrderBy(x => x).ToArray();
                return (Percentile(all, 0.50), Percentile(all, 0.99), Percentile(all, 0.999), all[all.Length - 1], counter());
            }
        }

        private static (LogFactory Factory, Func<long> Delivered) Build(bool useBackpressure, string inner, string? folder, bool block, bool slow, string? fileName = null)
        {
            Target target;
            Func<long> delivered;
            if (slow)
            {
                var slowTarget = new SlowCountingTarget { Name = "inner" };
                target = slowTarget;
                delivered = () => slowTarget.Count;
            }
            else if (inner.StartsWith("File", StringComparison.Ordinal))
            {
                target = new FileTarget
                {
                    Name = "inner",
                    FileName = fileName ?? Path.Combine(folder!, Guid.NewGuid().ToString("N") + ".log"),
                    KeepFileOpen = true,
                    AutoFlush = false,
                    Layout = "${longdate}|${level}|${logger}|${message}",
                };
                delivered = () => -1;
            }
            else
            {
                var counting = new CountingTarget { Name = "inner" };
                target = counting;
                delivered = () => counting.Count;
            }

            Target wrapper = useBackpressure
                ? new BackpressureTargetWrapper("wrapper", target)
                {
                    QueueLimit = QueueLimit,
                    BatchSize = BatchSize,
                    FullPolicy = block ? BackpressureFullPolicy.Block : BackpressureFullPolicy.Discard,
                    BlockTimeoutMilliseconds = 60_000,
                }
                : new AsyncTargetWrapper("wrapper", target)
                {
                    QueueLimit = QueueLimit,
                    BatchSize = BatchSize,
                    OverflowAction = block ? AsyncTargetWrapperOverflowAction.Block : AsyncTargetWrapperOverflowAction.Discard,
                };

            var config = new LoggingConfiguration();
            config.AddRuleForAllLevels(wrapper);
            return (new LogFactory { Configuration = config }, delivered);
        }

        /// <summary>Every producer logs <paramref name="perProducer"/> Info events; when <paramref name="samples"/> is given, times each call.</summary>
        private static Stopwatch Flood(Logger logger, int perProducer, long[][]? samples)
        {
            var start = new Barrier(Producers + 1);
            var threads = new Thread[Producers];
            for (int p = 0; p < Producers; p++)
            {
                var timings = samples is null ? null : samples[p] = new long[perProducer];
                threads[p] = new Thread(() =>
                {
                    start.SignalAndWait();
                    for (int i = 0; i < perProducer; i++)
                    {
                        if (timings is null)
                        {
                            logger.Info("Order {OrderId} processed", i);
                        }
                        else
                        {
                            long before = Stopwatch.GetTimestamp();
                            logger.Info("Order {OrderId} processed", i);
                            timings[i] = Stopwatch.GetTimestamp() - before;
                        }
                    }
                });
                threads[p].Start();
            }
            start.SignalAndWait();
            var watch = Stopwatch.StartNew();
            foreach (var thread in threads)
                thread.Join();
            return watch;
        }

        private static double Median(List<double> values)
        {
            var sorted = values.OrderBy(x => x).ToArray();
            return sorted[sorted.Length / 2];
        }

        private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }
}
