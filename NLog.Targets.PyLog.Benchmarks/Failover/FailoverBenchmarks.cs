using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using NLog.Config;
using NLog.Targets;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Benchmarks.Failover
{
    /// <summary>
    /// Cost of routing through a failover group, one logging thread, children that render
    /// <c>${message}</c> and discard it: a bare child (baseline), NLog's <c>FallbackGroup</c> and
    /// the <c>FailoverGroup</c> with a healthy primary, and both groups after the primary has
    /// failed (steady state on the secondary, the dead primary not probed within the run).
    /// </summary>
    [MemoryDiagnoser]
    public class FailoverBenchmarks
    {
        private const int Events = 100_000;
        private Logger _direct = null!;
        private Logger _fallback = null!;
        private Logger _failover = null!;
        private Logger _fallbackDown = null!;
        private Logger _failoverDown = null!;
        private LogFactory[] _factories = Array.Empty<LogFactory>();

        [GlobalSetup]
        public void Setup()
        {
            _direct = Create(new RenderAndDiscardTarget());
            _fallback = Create(new FallbackGroupTarget("fallback", new RenderAndDiscardTarget(), new RenderAndDiscardTarget()));
            _failover = Create(new FailoverTarget("failover", new RenderAndDiscardTarget(), new RenderAndDiscardTarget()));
            _fallbackDown = Create(new FallbackGroupTarget("fallback-down", new RenderAndDiscardTarget { Down = true }, new RenderAndDiscardTarget()));
            _failoverDown = Create(new FailoverTarget("failover-down", new RenderAndDiscardTarget { Down = true }, new RenderAndDiscardTarget()) { RetryPrimaryAfterSeconds = 3600 });
            _fallbackDown.Info("switch");
            _failoverDown.Info("switch");
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            foreach (var factory in _factories)
                factory.Dispose();
        }

        [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
        public void BareTarget() => Burst(_direct);

        [Benchmark(OperationsPerInvoke = Events)]
        public void NLogFallbackGroup() => Burst(_fallback);

        [Benchmark(OperationsPerInvoke = Events)]
        public void PyLogFailoverGroup() => Burst(_failover);

        [Benchmark(OperationsPerInvoke = Events)]
        public void NLogFallbackGroupPrimaryDown() => Burst(_fallbackDown);

        [Benchmark(OperationsPerInvoke = Events)]
        public void PyLogFailoverGroupPrimaryDown() => Burst(_failoverDown);

        private static void Burst(Logger logger)
        {
            for (int i = 0; i < Events; i++)
                logger.Info("order {Order} processed", i);
        }

        private Logger Create(Target target)
        {
            var factory = new LogFactory();
            var config = new LoggingConfiguration(factory);
            config.AddRuleForAllLevels(target);
            factory.Configuration = config;
            var all = new LogFactory[_factories.Length + 1];
            _factories.CopyTo(all, 0);
            all[_factories.Length] = factory;
            _factories = all;
            return factory.GetLogger("bench");
        }

        private sealed class RenderAndDiscardTarget : TargetWithLayout
        {
            public RenderAndDiscardTarget()
            {
                Layout = "${message}";
            }

            public bool Down { get; set; }

            public int Length { get; private set; }

            protected override void Write(LogEventInfo logEvent)
            {
                if (Down)
                    throw new IOException("down");
                Length = RenderLogEvent(Layout, logEvent).Length;
            }
        }
    }
}
