using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.Extensions.Logging;
using NLog.Extensions.Logging;
using NLog.Layouts;
using NLog.Targets;
using NLog.Targets.PyLog.Core;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Demo
{
    /// <summary>
    /// Logs a burst of events through a sample nlog.config and reports throughput, what was
    /// delivered and dropped (read from the package's metrics) and where the output went.
    /// </summary>
    internal static class Program
    {
        private const string Usage = @"NLog.Targets.PyLog demo
  --count N       events to log (default 200000)
  --threads T     logging threads (default 2)
  --config PATH   an nlog.config (default samples/demo.config, which needs no server);
                  try samples/kafka.config, samples/redis.config, samples/aliyun-sls.config
  --mel           log through Microsoft.Extensions.Logging (AddNLog) instead of NLog's API";

        private static int Main(string[] args)
        {
            var options = DemoOptions.Parse(args);
            if (options is null)
            {
                Console.WriteLine(Usage);
                return 2;
            }

            string configPath = Path.IsPathRooted(options.Config) ? options.Config : Path.Combine(AppContext.BaseDirectory, options.Config);
            if (!File.Exists(configPath) && File.Exists(options.Config))
                configPath = Path.GetFullPath(options.Config);
            if (!File.Exists(configPath))
            {
                Console.Error.WriteLine($"Config not found: {options.Config}");
                return 2;
            }

            using var metrics = new DemoMetrics();
            LogManager.ThrowConfigExceptions = true;
            LogManager.Setup().LoadConfigurationFromFile(configPath);
            Console.WriteLine($"Config:  {configPath}");
            Console.WriteLine($"Logging: {options.Count:N0} events on {options.Threads} thread(s) through {(options.UseMel ? "Microsoft.Extensions.Logging (AddNLog)" : "LogManager.GetCurrentClassLogger()")}");

            var watch = Stopwatch.StartNew();
            long logged = options.UseMel ? RunWithMel(options) : RunWithNLog(options);
            var loggingTime = watch.Elapsed;
            LogManager.Flush(TimeSpan.FromSeconds(60));
            var deliveredTime = watch.Elapsed;
            var targets = LogManager.Configuration?.AllTargets ?? (IReadOnlyCollection<Target>)Array.Empty<Target>();
            var outputs = Describe(targets);
            var wrappersOverCountingTargets = new HashSet<string>(targets.OfType<WrapperTargetBase>()
                .Where(t => t.WrappedTarget?.GetType().Assembly == typeof(PyLogMetrics).Assembly)
                .Select(t => t.Name));
            LogManager.Shutdown();

            Console.WriteLine();
            Console.WriteLine($"Logged:    {logged:N0} events in {loggingTime.TotalSeconds:F2} s = {logged / loggingTime.TotalSeconds:N0} events/s (logging calls)");
            Console.WriteLine($"Flushed:   after {deliveredTime.TotalSeconds:F2} s = {logged / deliveredTime.TotalSeconds:N0} events/s end to end");
            metrics.Print(Console.Out, wrappersOverCountingTargets);
            Console.WriteLine("Output:");
            foreach (var line in outputs)
                Console.WriteLine("  " + line);
            return 0;
        }

        private static long RunWithNLog(DemoOptions options)
        {
            var logger = LogManager.GetCurrentClassLogger();
            return RunThreads(options, (thread, i) =>
            {
                if (i % 1000 == 999)
                    logger.Error("order {Order} failed on thread {Thread}", i, thread);
                else if (i % 100 == 99)
                    logger.Warn("order {Order} slow on thread {Thread}", i, thread);
                else
                    logger.Info("order {Order} processed on thread {Thread}", i, thread);
            });
        }

        private static long RunWithMel(DemoOptions options)
        {
            using var factory = LoggerFactory.Create(builder =>
            {
                builder.ClearProviders();
                builder.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace);
                builder.AddNLog();
            });
            var logger = factory.CreateLogger("NLog.Targets.PyLog.Demo.Orders");
            return RunThreads(options, (thread, i) =>
            {
                if (i % 1000 == 999)
                    logger.LogError("order {Order} failed on thread {Thread}", i, thread);
                else if (i % 100 == 99)
                    logger.LogWarning("order {Order} slow on thread {Thread}", i, thread);
                else
                    logger.LogInformation("order {Order} processed on thread {Thread}", i, thread);
            });
        }

        private static long RunThreads(DemoOptions options, Action<int, long> logOne)
        {
            long done = 0;
            long perThread = options.Count / options.Threads;
            long total = perThread * options.Threads;
            var threads = new Thread[options.Threads];
            for (int t = 0; t < threads.Length; t++)
            {
                int thread = t;
                threads[t] = new Thread(() =>
                {
                    for (long i = 0; i < perThread; i++)
                    {
                        logOne(thread, i);
                        if ((i & 1023) == 1023)
                            Interlocked.Add(ref done, 1024);
                    }
                }) { Name = "demo-" + t, IsBackground = true };
                threads[t].Start();
            }

            var watch = Stopwatch.StartNew();
            foreach (var thread in threads)
            {
                while (!thread.Join(1000))
                    Console.WriteLine($"  ... {Interlocked.Read(ref done):N0} / {total:N0} events after {watch.Elapsed.TotalSeconds:F0} s");
            }
            return total;
        }

        private static List<string> Describe(IEnumerable<Target> targets)
        {
            var lines = new List<string>();
            foreach (var target in targets)
            {
                string kind = target.GetType().Name;
                string detail = target switch
                {
                    WrapperTargetBase wrapper => $"wraps '{wrapper.WrappedTarget?.Name}'",
                    KafkaTarget kafka => $"Kafka topic '{Render(kafka.Topic)}' on {Render(kafka.BootstrapServers)}",
                    RedisTarget redis => redis.Host is null
                        ? $"Redis {redis.DataType} '{Render(redis.Key)}' (connection string)"
                        : $"Redis {redis.DataType} '{Render(redis.Key)}' on {Render(redis.Host)}:{redis.Port}",
                    SlsTarget sls => $"SLS logstore '{Render(sls.Logstore)}' of project '{Render(sls.Project)}' at {Render(sls.Endpoint)}",
                    _ => FileOf(target) ?? target.ToString() ?? kind,
                };
                lines.Add($"{target.Name} ({kind}): {detail}");
            }
            return lines;
        }

        private static string? FileOf(Target target)
        {
            string? file = PathOf(target, "FileName");
            if (file is null)
                return null;
            string? archives = PathOf(target, "ArchiveFileName");
            return archives is null ? file : $"{file} (archives: {archives})";
        }

        private static string Render(Layout? layout) => layout?.Render(LogEventInfo.CreateNullEvent()) ?? "";

        private static string? PathOf(Target target, string property)
        {
            if (target.GetType().GetProperty(property)?.GetValue(target) is Layout layout)
                return Path.GetFullPath(layout.Render(LogEventInfo.CreateNullEvent()), AppContext.BaseDirectory);
            return null;
        }
    }
}
