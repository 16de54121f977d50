using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text.Json;
using NLog.Common;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Redis
{
    internal static class RedisTestSupport
    {
        /// <summary>A target pointed at <paramref name="server"/>, fast linger and retry for tests, with a unique name.</summary>
        public static RedisTarget Target(RedisServer server, string prefix)
        {
            return new RedisTarget
            {
                Name = prefix + "-" + Guid.NewGuid().ToString("N").Substring(0, 8),
                Host = "127.0.0.1",
                Port = server.Port,
                LingerMilliseconds = 20,
                RetryDelayMilliseconds = 50,
                MaxRetryDelayMilliseconds = 500,
                CloseTimeoutMilliseconds = 3000,
                Layout = new PlumelogLayout { AppName = "redis-tests", Env = "test" },
            };
        }

        public static JsonElement Parse(string json)
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
    }

    /// <summary>Collects NLog internal-log lines while alive (restores the previous level after).</summary>
    internal sealed class InternalLogCapture : IDisposable
    {
        private readonly LogLevel _previous;
        private readonly ConcurrentQueue<string> _lines = new ConcurrentQueue<string>();

        public InternalLogCapture(LogLevel level)
        {
            _previous = InternalLogger.LogLevel;
            InternalLogger.LogLevel = level;
            InternalLogger.InternalEventOccurred += OnEvent;
        }

        public IReadOnlyCollection<string> Lines => _lines.ToArray();

        public string All => string.Join("\n", _lines);

        public void Dispose()
        {
            InternalLogger.InternalEventOccurred -= OnEvent;
            InternalLogger.LogLevel = _previous;
        }

        private void OnEvent(object? sender, InternalLogEventArgs e)
        {
            _lines.Enqueue(e.Level + " " + e.Message + (e.Exception is null ? string.Empty : " | " + e.Exception));
        }
    }
}
