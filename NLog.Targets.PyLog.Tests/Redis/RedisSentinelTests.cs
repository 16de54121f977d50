using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Redis
{
    /// <summary>Sentinel through StackExchange.Redis's configuration string (<c>serviceName=</c>), against a real <c>redis-server --sentinel</c>.</summary>
    [TestClass]
    public sealed class RedisSentinelTests
    {
        [TestMethod]
        public void ServiceName_in_the_connection_string_finds_the_master_through_sentinel()
        {
            using var master = RedisServer.Start();
            using var sentinel = Sentinel.Start(master.Port, "pylogmaster");
            var target = RedisTestSupport.Target(master, "sentinel");
            target.Host = null;
            target.ConnectionString = "127.0.0.1:" + sentinel.Port.ToString(CultureInfo.InvariantCulture) + ",serviceName=pylogmaster";
            target.Key = "sentinel-" + target.Name;
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("Sentinel.Test");
            for (int i = 0; i < 20; i++)
                logger.Info("via sentinel {0}", i);
            factory.Flush(TimeSpan.FromSeconds(20));
            factory.Shutdown();

            using var client = master.Client();
            var records = client.ListRange(target.Key.ToString()!);
            Assert.AreEqual(20, records.Count, "every event reached the master the sentinel named");
            Assert.AreEqual("via sentinel 19", PlumelogServerView.ParseRecord(records[19]).GetProperty("content").GetString());
        }

        /// <summary>A <c>redis-server --sentinel</c> monitoring one master, with its config file in a temp folder (sentinel rewrites it).</summary>
        private sealed class Sentinel : IDisposable
        {
            private readonly Process _process;
            private readonly string _folder;

            private Sentinel(Process process, string folder, int port)
            {
                _process = process;
                _folder = folder;
                Port = port;
            }

            public int Port { get; }

            public static Sentinel Start(int masterPort, string serviceName)
            {
                if (!File.Exists(RedisServer.Binary))
                    throw new InvalidOperationException($"{RedisServer.Binary} is missing: install the Debian package 'redis-server' to run the Redis tests.");
                int port = FreePort();
                string folder = Path.Combine(Path.GetTempPath(), "pylog-sentinel-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(folder);
                string config = Path.Combine(folder, "sentinel.conf");
                File.WriteAllText(config, string.Join("\n",
                    "bind 127.0.0.1",
                    "port " + port.ToString(CultureInfo.InvariantCulture),
                    "protected-mode no",
                    "daemonize no",
                    "dir " + folder,
                    $"sentinel monitor {serviceName} 127.0.0.1 {masterPort.ToString(CultureInfo.InvariantCulture)} 1",
                    $"sentinel down-after-milliseconds {serviceName} 60000",
                    ""));
                var start = new ProcessStartInfo(RedisServer.Binary)
                {
                    UseShellExecute = false,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                };
                start.ArgumentList.Add(config);
                start.ArgumentList.Add("--sentinel");
                var output = new StringBuilder();
                var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server --sentinel did not start.");
                process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
                process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                var sentinel = new Sentinel(process, folder, port);
                try
                {
                    Poll.Until(() => !process.HasExited && KnowsMaster(port, serviceName), "sentinel answers for " + serviceName, 20_000);
                }
                catch
                {
                    string log;
                    lock (output) log = output.ToString();
                    sentinel.Dispose();
                    throw new InvalidOperationException("redis-server --sentinel did not come up: " + log);
                }
                return sentinel;
            }

            public void Dispose()
            {
                ChildProcess.KillAndDispose(_process);
                try
                {
                    Directory.Delete(_folder, true);
                }
                catch (IOException)
                {
                }
            }

            private static bool KnowsMaster(int port, string serviceName)
            {
                try
                {
                    using var client = new RespClient(port, null);
                    return client.Call("SENTINEL", "get-master-addr-by-name", serviceName) is object?[] { Length: 2 };
                }
                catch (Exception ex) when (ex is SocketException || ex is IOException || ex is InvalidOperationException)
                {
                    return false;
                }
            }

            private static int FreePort()
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                return port;
            }
        }
    }
}
