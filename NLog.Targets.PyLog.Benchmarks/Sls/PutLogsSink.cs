using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace NLog.Targets.PyLog.Benchmarks.Sls
{
    /// <summary>
    /// A loopback HTTP/1.1 endpoint that accepts every PutLogs request (reads the Content-Length
    /// body, answers 200 with an x-log-requestid). It verifies nothing, so that the benchmark
    /// measures the target, not the receiver; the test project's SlsEmulator does the checking.
    /// </summary>
    internal sealed class PutLogsSink : IDisposable
    {
        private static readonly byte[] s_ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nx-log-requestid: BENCH\r\nContent-Length: 0\r\n\r\n");
        private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private long _requests;
        private long _bodyBytes;

        public PutLogsSink()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = Task.Run(AcceptAsync);
        }

        public int Port { get; }

        public long Requests => Interlocked.Read(ref _requests);

        public long BodyBytes => Interlocked.Read(ref _bodyBytes);

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    return;
                }
                _ = Task.Run(() => ServeAsync(socket));
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            var buffer = new byte[256 * 1024];
            int start = 0, end = 0;
            try
            {
                while (true)
                {
                    int headerEnd;
                    while ((headerEnd = buffer.AsSpan(start, end - start).IndexOf("\r\n\r\n"u8)) < 0)
                    {
                        if (start > 0)
                        {
                            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                            end -= start;
                            start = 0;
                        }
                        int n = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None).ConfigureAwait(false);
                        if (n == 0)
                            return;
                        end += n;
                    }
                    long length = ContentLength(buffer.AsSpan(start, headerEnd));
                    start += headerEnd + 4;
                    long remaining = length;
                    while (remaining > 0)
                    {
                        if (start == end)
                        {
                            start = end = 0;
                            int n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                            if (n == 0)
                                return;
                            end = n;
                        }
                        int take = (int)Math.Min(remaining, end - start);
                        start += take;
                        remaining -= take;
                    }
                    Interlocked.Increment(ref _requests);
                    Interlocked.Add(ref _bodyBytes, length);
                    await socket.SendAsync(s_ok, SocketFlags.None).ConfigureAwait(false);
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            finally
            {
                socket.Dispose();
            }
        }

        private static long ContentLength(ReadOnlySpan<byte> head)
        {
            var text = Encoding.ASCII.GetString(head);
            foreach (var line in text.Split("\r\n"))
            {
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    return long.Parse(line.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
            }
            return 0;
        }
    }
}
