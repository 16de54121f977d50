using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using NLog.Config;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Benchmarks.Core
{
    /// <summary>
    /// The network base over a no-op transport vs NLog's AsyncTaskTarget over a no-op write,
    /// same BatchSize (500) and a QueueLimit (200,000) above the burst, so nothing is dropped;
    /// one logging thread; each invocation logs 100,000 events then flushes.
    /// </summary>
    [MemoryDiagnoser]
    public class NetworkBaseBenchmarks
    {
        private const int Events = 100_000;
        private LogFactory _pylog = null!;
        private LogFactory _nlog = null!;
        private Logger _pylogLogger = null!;
        private Logger _nlogLogger = null!;

        [GlobalSetup]
        public void Setup()
        {
            _pylog = Create(new NoOpNetworkTarget { Name = "pylog", BatchSize = 500, QueueLimit = 200_000 });
            _nlog = Create(new NoOpAsyncTaskTarget { Name = "nlog", BatchSize = 500, QueueLimit = 200_000 });
            _pylogLogger = _pylog.GetLogger("bench");
            _nlogLogger = _nlog.GetLogger("bench");
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            _pylog.Dispose();
            _nlog.Dispose();
        }

        [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
        public void NLogAsyncTaskTarget() => Burst(_nlog, _nlogLogger);

        [Benchmark(OperationsPerInvoke = Events)]
        public void PyLogNetworkTarget() => Burst(_pylog, _pylogLogger);

        private static void Burst(LogFactory factory, Logger logger)
        {
            for (int i = 0; i < Events; i++)
                logger.Info("order {Order} processed", i);
            factory.Flush(TimeSpan.FromSeconds(30));
        }

        private static LogFactory Create(Target target)
        {
            var factory = new LogFactory();
            var config = new LoggingConfiguration(factory);
            config.AddRuleForAllLevels(target);
            factory.Configuration = config;
            return factory;
        }

        private sealed class NoOpNetworkTarget : PyLogNetworkTarget
        {
            private protected override NetworkTransport CreateTransport() => new NoOpTransport();

            private sealed class NoOpTransport : BatchTransport<int>
            {
                public override int Render(LogEventInfo logEvent, out int sizeBytes, out string? key)
                {
                    sizeBytes = 100;
                    key = null;
                    return 0;
                }

                public override Task SendAsync(NetworkBatch<int> batch, CancellationToken cancellationToken) => Task.CompletedTask;
            }
        }

        private sealed class NoOpAsyncTaskTarget : AsyncTaskTarget
        {
            protected override Task WriteAsyncTask(LogEventInfo logEvent, CancellationToken cancellationToken) => Task.CompletedTask;

            protected override Task WriteAsyncTask(IList<LogEventInfo> logEvents, CancellationToken cancellationToken) => Task.CompletedTask;
        }
    }
}
