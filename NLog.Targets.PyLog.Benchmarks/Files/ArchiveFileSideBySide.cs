using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using NLog.Config;

namespace NLog.Targets.PyLog.Benchmarks.Files
{
    /// <summary>
    /// Stopwatch-based side by side of ArchiveFile and NLog's FileTarget in one process and one run:
    /// one thread, the same layout, a fresh folder per round, rounds alternating the configurations,
    /// the median round reported; a round is the logging calls plus the <c>Flush()</c> that hands the
    /// last buffer to the OS. Configurations: NLog FileTarget (KeepFileOpen, AutoFlush=false);
    /// ArchiveFile rolling off; rolling + gzip (8 MB files, %d{minute}-%i.log.gz, 20 kept);
    /// ConcurrentWrites (rolling off, the only writer of the file).
    /// Run: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*ArchiveFileSideBySide*'</c>;
    /// the table is printed and written to <c>BenchmarkDotNet.Artifacts/archivefile-side-by-side.md</c>.
    /// </summary>
    [SimpleJob(RunStrategy.ColdStart, launchCount: 1, warmupCount: 0, iterationCount: 1)]
    public class ArchiveFileSideBySide
    {
        private const string LineLayout = "${longdate}|${level:uppercase=true}|${logger}|${message}";
        private static readonly string[] s_configurations = { "NLog FileTarget", "ArchiveFile, rolling off", "ArchiveFile, rolling + gzip", "ArchiveFile, ConcurrentWrites" };

        /// <summary>Runs every configuration <c>rounds</c> times, alternating, and prints the table.</summary>
        [Benchmark]
        public void SideBySide()
        {
            string table = Run(rounds: 15, events: 500_000);
            Console.WriteLine(table);
            Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
            File.WriteAllText(Path.Combine("BenchmarkDotNet.Artifacts", "archivefile-side-by-side.md"), table);
        }

        internal static string Run(int rounds, int events)
        {
            string loadBefore = LoadAverage();
            var rates = s_configurations.ToDictionary(c => c, _ => new List<double>());
            Round(s_configurations[1], events / 5);     // warm-up: JIT, page cache
            Round(s_configurations[0], events / 5);
            for (int round = 0; round < rounds; round++)
            {
                foreach (var configuration in s_configurations)
                    rates[configuration].Add(Round(configuration, events));
            }

            var report = new StringBuilder();
            report.AppendLine(string.Format(CultureInfo.InvariantCulture,
                "One thread, {0:N0} events per round, layout `{1}`, fresh folder per round, median of {2} alternating rounds; {3} processors, {4}; load average before {5}, after {6}.",
                events, LineLayout, rounds, Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, loadBefore, LoadAverage()));
            report.AppendLine();
            report.AppendLine("| configuration | median events/s | ratio | best round | best-round ratio | rounds (M events/s) |");
            report.AppendLine("|---|---:|---:|---:|---:|---|");
            double nlog = Median(rates[s_configurations[0]]);
            double off = Median(rates[s_configurations[1]]);
            double nlogBest = rates[s_configurations[0]].Max();
            double offBest = rates[s_configurations[1]].Max();
            foreach (var configuration in s_configurations)
            {
                double median = Median(rates[configuration]);
                string ratio = configuration == s_configurations[0] ? "1.00× (baseline)"
                    : configuration == s_configurations[1] ? (median / nlog).ToString("F2", CultureInfo.InvariantCulture) + "× of NLog"
                    : (median / off).ToString("F2", CultureInfo.InvariantCulture) + "× of rolling off";
                double best = rates[configuration].Max();
                double bestRatio = configuration == s_configurations[0] ? 1 : best / (configuration == s_configurations[1] ? nlogBest : offBest);
                report.AppendLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1:N0} | {2} | {3:N0} | {4:F2}× | {5} |", configuration, median, ratio, best, bestRatio,
                    string.Join(" ", rates[configuration].Select(r => (r / 1e6).ToString("F2", CultureInfo.InvariantCulture)))));
            }
            return report.ToString();
        }

        private static double Round(string configuration, int events)
        {
            string folder = Path.Combine(Path.GetTempPath(), "pylog-af-bench-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                Target target = configuration switch
                {
                    "NLog FileTarget" => new FileTarget("nlog") { FileName = Path.Combine(folder, "nlog.log"), Layout = LineLayout, KeepFileOpen = true, AutoFlush = false },
                    "ArchiveFile, rolling off" => new ArchiveFileTarget { Name = "off", FileName = Path.Combine(folder, "app.log"), Layout = LineLayout },
                    "ArchiveFile, rolling + gzip" => new ArchiveFileTarget
                    {
                        Name = "gzip",
                        FileName = Path.Combine(folder, "app.log"),
                        ArchiveFileName = Path.Combine(folder, "app-%d{yyyy-MM-dd-HH-mm}-%i.log.gz"),
                        ArchiveAboveSize = 8 * 1024 * 1024,
                        MaxArchiveFiles = 20,
                        Layout = LineLayout,
                    },
                    _ => new ArchiveFileTarget { Name = "concurrent", FileName = Path.Combine(folder, "app.log"), Layout = LineLayout, ConcurrentWrites = true },
                };
                var factory = new LogFactory();
                var config = new LoggingConfiguration(factory);
                config.AddRuleForAllLevels(target);
                factory.Configuration = config;
                var logger = factory.GetLogger("Benchmarks.Orders");

                var watch = Stopwatch.StartNew();
                for (int i = 0; i < events; i++)
                    logger.Info("Order {0} shipped to warehouse", i);
                factory.Flush();
                watch.Stop();
                factory.Shutdown();
                return events / watch.Elapsed.TotalSeconds;
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        private static string LoadAverage()
        {
            try
            {
                return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
            }
            catch (IOException)
            {
                return "n/a";
            }
        }

        private static double Median(List<double> values)
        {
            var sorted = values.OrderBy(v => v).ToList();
            return sorted[sorted.Count / 2];
        }
    }
}
