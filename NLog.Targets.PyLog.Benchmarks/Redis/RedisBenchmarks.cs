using System;
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using BenchmarkDotNet.Attributes;
using NLog.Config;
using StackExchange.Redis;

namespace NLog.Targets.PyLog.Benchmarks.Redis
{
    /// <summary>
    /// <see cref="RedisTarget"/> against a hand-written StackExchange.Redis loop that renders the same
    /// Plumelog records and pushes them with the same batch size (one variadic RPUSH per batch, one
    /// batch in flight at a time). Both talk to a local redis-server (no persistence) started here.
    /// Per-event figures: each operation handles <see cref="Events"/> events.
    /// Run: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*RedisBenchmarks*' --job short</c>.
    /// </summary>
    [MemoryDiagnoser]
    public class RedisBenchmarks
    {
        private const int Events = 20_000;
        private const int BatchSize = 500;
        private const string Template = "order {0} placed by {1} for {2} items";

        private Process? _server;
        private ConnectionMultiplexer? _bare;
        private IDatabase? _database;
        private LogFactory? _factory;
        private Logger? _logger;
        private PlumelogLayout _layout = new PlumelogLayout { AppName = "bench", Env = "bench" };
        private byte[][] _prerendered = Array.Empty<byte[]>();
        private readonly ArrayBufferWriter<byte> _scratch = new ArrayBufferWriter<byte>(1024);

        [GlobalSetup]
        public void Setup()
        {
            int port = FreePort();
            var start = new ProcessStartInfo("/usr/bin/redis-server")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
            };
            foreach (var argument in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning" })
                start.ArgumentList.Add(argument);
            _server = Process.Start(start) ?? throw new InvalidOperationException("redis-server (Debian package redis-server) did not start");
            WaitForPort(port);

            _bare = ConnectionMultiplexer.Connect("127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
            _database = _bare.GetDatabase();

            var target = new RedisTarget
            {
                Name = "bench-redis",
                Host = "127.0.0.1",
                Port = port,
                Key = "bench-target",
                BatchSize = BatchSize,
                QueueLimit = Events * 2,
                Layout = new PlumelogLayout { AppName = "bench", Env = "bench" },
            };
            var config = new LoggingConfiguration();
            config.AddRuleForAllLevels(target);
            _factory = new LogFactory { Configuration = config };
            _logger = _factory.GetLogger("Bench.Orders");

            _prerendered = new byte[Events][];
            for (int i = 0; i < Events; i++)
                _prerendered[i] = Render(CreateEvent(i));
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            _factory?.Shutdown();
            _bare?.Dispose();
            if (_server is { HasExited: false })
            {
                _server.Kill();
                _server.WaitForExit(5000);
            }
            _server?.Dispose();
        }

        [IterationSetup]
        public void Clear()
        {
            _database!.KeyDelete("bench-target");
            _database.KeyDelete("bench-bare");
        }

        /// <summary>Render each event with the Plumelog layout, RPUSH every 500 values, await each batch.</summary>
        [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
        public void BareRenderAndRpush()
        {
            var values = new RedisValue[BatchSize];
            int count = 0;
            for (int i = 0; i < Events; i++)
            {
                values[count++] = Render(CreateEvent(i));
                if (count == BatchSize)
                {
                    _database!.ListRightPushAsync("bench-bare", values).GetAwaiter().GetResult();
                    count = 0;
                }
            }
        }

        /// <summary>The same payloads already rendered: the cost of Redis alone.</summary>
        [Benchmark(OperationsPerInvoke = Events)]
        public void BarePrerenderedRpush()
        {
            var values = new RedisValue[BatchSize];
            int count = 0;
            for (int i = 0; i < Events; i++)
            {
                values[count++] = _prerendered[i];
                if (count == BatchSize)
                {
                    _database!.ListRightPushAsync("bench-bare", values).GetAwaiter().GetResult();
                    count = 0;
                }
            }
        }

        /// <summary>Log through NLog into <see cref="RedisTarget"/> (BatchSize 500), then flush: every event delivered.</summary>
        [Benchmark(OperationsPerInvoke = Events)]
        public void RedisTargetLogAndFlush()
        {
            var logger = _logger!;
            for (int i = 0; i < Events; i++)
                logger.Info(Template, i, "alice", 3);
            _factory!.Flush(TimeSpan.FromSeconds(60));
        }

        private static LogEventInfo CreateEvent(int i)
            => LogEventInfo.Create(LogLevel.Info, "Bench.Orders", CultureInfo.InvariantCulture, Template, new object[] { i, "alice", 3 });

        private byte[] Render(LogEventInfo logEvent)
        {
            _scratch.ResetWrittenCount();
            _layout.RenderUtf8(logEvent, _scratch);
            return _scratch.WrittenSpan.ToArray();
        }

        private static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        private static void WaitForPort(int port)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, port);
                    return;
                }
                catch (SocketException)
                {
                    Thread.Sleep(20);
                }
            }
            throw new IOException("redis-server did not listen on port " + port.ToString(CultureInfo.InvariantCulture));
        }
    }
}
