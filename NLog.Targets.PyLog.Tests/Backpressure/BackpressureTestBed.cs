using System;
using System.Threading;
using NLog.Config;

namespace NLog.Targets.PyLog.Tests.Backpressure
{
    /// <summary>One isolated <see cref="LogFactory"/> with a <see cref="BackpressureTargetWrapper"/> around a <see cref="SlowRecordingTarget"/>.</summary>
    internal sealed class BackpressureTestBed : IDisposable
    {
        public const int Levels = 6;

        public BackpressureTestBed(Action<BackpressureTargetWrapper> configure, int batchDelayMilliseconds = 0)
        {
            Name = "bp-" + Guid.NewGuid().ToString("N").Substring(0, 12);
            Inner = new SlowRecordingTarget { Name = Name + "-inner", BatchDelayMilliseconds = batchDelayMilliseconds };
            Wrapper = new BackpressureTargetWrapper(Name, Inner);
            configure(Wrapper);

            var config = new LoggingConfiguration();
            config.AddRule(LogLevel.Trace, LogLevel.Fatal, Wrapper);
            Factory = new LogFactory { ThrowConfigExceptions = true };
            Factory.Configuration = config;
            Logger = Factory.GetLogger("test");
        }

        public string Name { get; }

        public SlowRecordingTarget Inner { get; }

        public BackpressureTargetWrapper Wrapper { get; }

        public LogFactory Factory { get; }

        public Logger Logger { get; }

        /// <summary>
        /// <paramref name="producers"/> threads, started together, each log <paramref name="perProducer"/>
        /// events cycling Trace..Fatal, with messages <c>"p{producer} {sequence}"</c>. Returns the count logged per level.
        /// </summary>
        public long[] Flood(int producers, int perProducer)
        {
            var logged = new long[Levels];
            var start = new Barrier(producers);
            var threads = new Thread[producers];
            for (int p = 0; p < producers; p++)
            {
                int producer = p;
                threads[p] = new Thread(() =>
                {
                    start.SignalAndWait();
                    for (int i = 0; i < perProducer; i++)
                        Logger.Log(LogLevel.FromOrdinal(i % Levels), "p" + producer + " " + i);
                });
                threads[p].Start();
            }
            foreach (var thread in threads)
                thread.Join();
            for (int i = 0; i < perProducer; i++)
                logged[i % Levels] += producers;
            return logged;
        }

        public void Dispose()
        {
            Inner.Gate.Set();
            Factory.Dispose();
        }
    }
}
