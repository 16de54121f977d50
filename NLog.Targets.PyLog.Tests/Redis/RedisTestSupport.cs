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
}
