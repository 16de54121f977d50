using System;
using System.Collections.Generic;
using System.Globalization;
using BenchmarkDotNet.Running;

namespace NLog.Targets.PyLog.Benchmarks
{
    /// <summary>
    /// Runs the benchmarks: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*'</c>,
    /// or one of the direct entries below (Stopwatch side-by-side runs that need one process and
    /// alternating rounds, and profiling aids), e.g. <c>-- disk-buffer-side-by-side 5 1000000</c>.
    /// </summary>
    public static class Program
    {
        private static readonly Dictionary<string, Func<string[], string>> s_direct = new Dictionary<string, Func<string[], string>>(StringComparer.Ordinal)
        {
            // kafka-side-by-side [rounds] [events]
            ["kafka-side-by-side"] = a => Kafka.KafkaSideBySide.Run(Arg(a, 1, 5), Arg(a, 2, 200_000)),
            // redis-plumelog [rounds] [events]
            ["redis-plumelog"] = a => Redis.RedisPlumelogSideBySide.Run(Arg(a, 1, 7), Arg(a, 2, 200_000)),
            ["redis-plumelog-probe"] = _ => Redis.RedisPlumelogSideBySide.Probe(),
            // disk-buffer-side-by-side [rounds] [events]
            ["disk-buffer-side-by-side"] = a => DiskBuffer.DiskBufferSideBySide.Run(Arg(a, 1, 3), Arg(a, 2, 1_000_000)),
            // Profiling aids for DiskBufferWrapper: disk-buffer-probe [events] (serializer alone, where the replay thread takes events from)
            ["disk-buffer-probe"] = a => DiskBuffer.DiskBufferProbe.Run(Arg(a, 1, 2_000_000)),
            // disk-buffer-serializer [events]
            ["disk-buffer-serializer"] = a => DiskBuffer.DiskBufferProbe.SerializerLoop(Arg(a, 1, 20_000_000)),
            // A steady wrapper loop for a profiler: disk-buffer-profile [events] [threads] [rounds] [live window capacity]
            ["disk-buffer-profile"] = a => DiskBuffer.DiskBufferProbe.Profile(Arg(a, 1, 1_000_000), Arg(a, 2, 1), Arg(a, 3, 5), Arg(a, 4, NLog.Targets.PyLog.DiskBuffer.LiveWindow.DefaultCapacity)),
        };

        public static void Main(string[] args)
        {
            if (args.Length > 0 && s_direct.TryGetValue(args[0], out var run))
            {
                Console.WriteLine(run(args));
                return;
            }
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        }

        private static int Arg(string[] args, int index, int defaultValue)
            => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : defaultValue;
    }
}
