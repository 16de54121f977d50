using System.Net;
using System.Net.Sockets;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>Loopback ports for tests that need a server that is not there.</summary>
    public static class LoopbackPort
    {
        /// <summary>A port on 127.0.0.1 that was free a moment ago: connecting to it is refused.</summary>
        public static int Closed()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }
    }
}
