using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>
    /// A dead server of the worst kind: a loopback listener that accepts every connection and
    /// never answers (a hung process, a black-holing proxy). Clients see no refusal, only silence.
    /// </summary>
    public sealed class SilentServer : IDisposable
    {
        private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
        private readonly ConcurrentBag<TcpClient> _accepted = new ConcurrentBag<TcpClient>();
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();

        public SilentServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = AcceptAsync();
        }

        public int Port { get; }

        public int Accepted => _accepted.Count;

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            foreach (var client in _accepted)
                client.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    _accepted.Add(await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false));
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (SocketException)
                {
                    return;
                }
            }
        }
    }
}
