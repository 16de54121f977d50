using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>A loopback TCP server that collects newline-terminated lines (what NLog's own Network target sends); can be stopped and started on the same port.</summary>
    internal sealed class TcpLineCollector : IDisposable
    {
        private readonly ConcurrentQueue<string> _lines = new ConcurrentQueue<string>();
        private TcpListener? _listener;
        private CancellationTokenSource? _stop;

        public TcpLineCollector()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }

        public int Port { get; }

        public int Count => _lines.Count;

        public IReadOnlyCollection<string> Lines => _lines.ToArray();

        public void Start()
        {
            _stop = new CancellationTokenSource();
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            var listener = _listener;
            var token = _stop.Token;
            _ = Task.Run(async () =>
            {
                while (!token.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await listener.AcceptTcpClientAsync(token);
                    }
                    catch (Exception)
                    {
                        return;
                    }
                    _ = Task.Run(() => Read(client, token));
                }
            });
        }

        public void Dispose()
        {
            _stop?.Cancel();
            _listener?.Stop();
        }

        private async Task Read(TcpClient client, CancellationToken token)
        {
            using (client)
            using (var reader = new StreamReader(client.GetStream()))
            {
                try
                {
                    while (!token.IsCancellationRequested)
                    {
                        string? line = await reader.ReadLineAsync(token);
                        if (line is null)
                            return;
                        if (line.Length > 0)
                            _lines.Enqueue(line);
                    }
                }
                catch (Exception)
                {
                    // connection dropped
                }
            }
        }
    }
}
