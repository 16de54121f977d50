using System;
using NLog.Targets.PyLog.Core;
using StackExchange.Redis;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// Sorts Redis failures into retriable (the server is away, slow or busy) and fatal (the
    /// server answered and will answer the same again: bad credentials, wrong key type, bad command).
    /// </summary>
    internal static class RedisFailures
    {
        // Server errors that clear up by themselves: loading after a restart, a busy script,
        // maxmemory until a consumer drains, a replica being promoted, a full client table.
        private static readonly string[] s_transientPrefixes =
        {
            "LOADING", "BUSY", "OOM", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "MISCONF",
            // The script cache is gone after a restart; the client flushes its own cache and sends EVAL next time.
            "NOSCRIPT",
            "ERR max number of clients",
        };

        public static FailureKind Classify(Exception exception)
        {
            // An untrusted or mismatched server certificate stays so until the configuration changes.
            if (IsTlsFailure(exception))
                return FailureKind.Fatal;
            for (var e = exception; e != null; e = e.InnerException)
            {
                if (IsAuthenticationFailure(e))
                    return FailureKind.Fatal;
                if (e is RedisServerException server)
                    return IsTransient(server.Message) ? FailureKind.Retriable : FailureKind.Fatal;
            }
            // Connection loss, socket errors, timeouts, "no connection available": the server may come back.
            return FailureKind.Retriable;
        }

        /// <summary>The client could not reach a usable connection (as opposed to an answer from the server).</summary>
        public static bool IsConnectionFailure(Exception exception)
        {
            for (var e = exception; e != null; e = e.InnerException)
            {
                if (e is RedisConnectionException)
                    return true;
            }
            return false;
        }

        /// <summary>The TLS handshake failed (the client reports it as an AuthenticationFailure too).</summary>
        public static bool IsTlsFailure(Exception exception)
        {
            for (var e = exception; e != null; e = e.InnerException)
            {
                if (e is System.Security.Authentication.AuthenticationException)
                    return true;
            }
            return false;
        }

        /// <summary>NOAUTH/WRONGPASS, as a server error or folded into a connection error by the client.</summary>
        public static bool IsAuthenticationFailure(Exception exception)
        {
            if (IsTlsFailure(exception))
                return false;
            for (var e = exception; e != null; e = e.InnerException)
            {
                if (e is RedisConnectionException connection && connection.FailureType == ConnectionFailureType.AuthenticationFailure)
                    return true;
                string message = e.Message;
                if (message.Contains("NOAUTH", StringComparison.Ordinal) || message.Contains("WRONGPASS", StringComparison.Ordinal) || message.StartsWith("NOPERM", StringComparison.Ordinal))
                    return true;
            }
            return false;
        }

        private static bool IsTransient(string message)
        {
            foreach (var prefix in s_transientPrefixes)
            {
                if (message.StartsWith(prefix, StringComparison.Ordinal))
                    return true;
            }
            return false;
        }
    }
}
