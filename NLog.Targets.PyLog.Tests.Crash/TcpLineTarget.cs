using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Text;
using NLog;
using NLog.Common;
using NLog.Layouts;
using NLog.Targets;

namespace NLog.Targets.PyLog.Tests.Crash
{
    /// <summary>
    /// A plain NLog target (no outcome reports, judged by its continuation) that writes each
    /// event's line to a loopback TCP port, synchronously: a refused connection fails the write.
    /// </summary>
    [Target("CrashTcpLine")]
    public sealed class TcpLineTarget : Target
    {
        private TcpClient? _client;
        private Stream? _stream;

        /// <summary>The loopback port.</summary>
        public int Port { get; set; }

        /// <summary>The line.</summary>
        public Layout Layout { get; set; } = "${message}";

        protected override void Write(IList<AsyncLogEventInfo> logEvents)
        {
            try
            {
                var stream = Connect();
                var text = new StringBuilder();
                foreach (var logEvent in logEvents)
                    text.Append(Layout.Render(logEvent.LogEvent)).Append('\n');
                var bytes = Encoding.UTF8.GetBytes(text.ToString());
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush();
            }
            catch (Exception ex) when (ex is IOException || ex is SocketException)
            {
                Disconnect();
                foreach (var logEvent in logEvents)
                    logEvent.Continuation(ex);
                return;
            }
            foreach (var logEvent in logEvents)
                logEvent.Continuation(null);
        }

        protected override void Write(LogEventInfo logEvent) => Write(new[] { new AsyncLogEventInfo(logEvent, _ => { }) });

        protected override void CloseTarget()
        {
            Disconnect();
            base.CloseTarget();
        }

        private Stream Connect()
        {
            if (_stream != null)
                return _stream;
            var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            _client = client;
            _stream = client.GetStream();
            return _stream;
        }

        private void Disconnect()
        {
            _stream?.Dispose();
            _client?.Dispose();
            _stream = null;
            _client = null;
        }
    }
}
