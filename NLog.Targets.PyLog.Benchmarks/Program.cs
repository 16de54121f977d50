using BenchmarkDotNet.Running;

namespace NLog.Targets.PyLog.Benchmarks
{
    /// <summary>Runs the benchmarks: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*'</c>.</summary>
    public static class Program
    {
        public static void Main(string[] args)
        {
            // Stopwatch side-by-side runs that need one process and alternating rounds, outside BenchmarkDotNet.
            if (args.Length > 0 && args[0] == "kafka-side-by-side")
            {
                int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
                int events = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
                System.Console.WriteLine(Kafka.KafkaSideBySide.Run(rounds, events));
                return;
            }
            // Direct entry for the Stopwatch side-by-side of the Redis target (no BenchmarkDotNet child process):
            // dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- redis-plumelog [rounds] [events]
            if (args.Length > 0 && args[0] == "redis-plumelog")
            {
                int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7;
                int events = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
                System.Console.WriteLine(Redis.RedisPlumelogSideBySide.Run(rounds, events));
                return;
            }
            if (args.Length > 0 && args[0] == "redis-plumelog-probe")
            {
                System.Console.WriteLine(Redis.RedisPlumelogSideBySide.Probe());
                return;
            }
            // Profiling aid for DiskBufferWrapper (serializer alone, where the replay thread takes events from).
            if (args.Length > 0 && args[0] == "disk-buffer-probe")
            {
                int events = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2_000_000;
                System.Console.WriteLine(DiskBuffer.DiskBufferProbe.Run(events));
                return;
            }
            if (args.Length > 0 && args[0] == "disk-buffer-serializer")
            {
                int events = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000_000;
                System.Console.WriteLine(DiskBuffer.DiskBufferProbe.SerializerLoop(events));
                return;
            }
            // A steady wrapper loop for a profiler: disk-buffer-profile [events] [threads] [rounds] [live window capacity]
            if (args.Length > 0 && args[0] == "disk-buffer-profile")
            {
                int events = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
                int threads = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1;
                int rounds = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 5;
                int capacity = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : NLog.Targets.PyLog.DiskBuffer.LiveWindow.DefaultCapacity;
                System.Console.WriteLine(DiskBuffer.DiskBufferProbe.Profile(events, threads, rounds, capacity));
                return;
            }
            // dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- disk-buffer-side-by-side [rounds] [events]
            if (args.Length > 0 && args[0] == "disk-buffer-side-by-side")
            {
                int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
                int events = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
                System.Console.WriteLine(DiskBuffer.DiskBufferSideBySide.Run(rounds, events));
                return;
            }
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        }
    }
}
