using System;
using System.IO;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using NLog.Common;
using StackExchange.Redis;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// The target's one <see cref="ConnectionMultiplexer"/>, created on first use and shared by
    /// every batch. It is created with <c>abortConnect=false</c>, so a server that is down at
    /// startup or restarts later is reconnected to in the background (exponential backoff).
    /// </summary>
    internal sealed class RedisConnection : IDisposable
    {
        private readonly ConfigurationOptions _options;
        private readonly Action<string, Exception?> _onConnectionEvent;
        private readonly int _database;
        private readonly object _lock = new object();
        private Task<ConnectionMultiplexer>? _connecting;
        private ConnectionMultiplexer? _multiplexer;
        private bool _disposed;
        private Exception? _authenticationFailure;

        public RedisConnection(ConfigurationOptions options, int database, string? caCertificateFile, Action<string, Exception?> onConnectionEvent)
        {
            _options = options;
            _database = database;
            _onConnectionEvent = onConnectionEvent;
            if (caCertificateFile != null)
            {
                var ca = LoadCertificate(caCertificateFile);
                _options.CertificateValidation += (_, certificate, _, errors) => ValidateWithCa(certificate, errors, ca);
            }
        }

        /// <summary>The configuration with the password masked: safe to log.</summary>
        public string Description => _options.ToString(includePassword: false);

        public bool IsConnected => _multiplexer?.IsConnected == true;

        /// <summary>
        /// The last handshake refusal (bad password, untrusted certificate) not followed by a successful
        /// reconnect. While set, "no connection available" errors are that refusal, not an outage:
        /// the client does not always repeat the cause in them.
        /// </summary>
        public Exception? AuthenticationFailure => Volatile.Read(ref _authenticationFailure);

        public void NoteAuthenticationFailure(Exception exception) => Volatile.Write(ref _authenticationFailure, exception);

        /// <summary>The database, connecting on first use. Called from the writer task only.</summary>
        public async Task<IDatabase> GetDatabaseAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            var multiplexer = _multiplexer;
            if (multiplexer is null)
            {
                Task<ConnectionMultiplexer> connecting;
                lock (_lock)
                {
                    if (_disposed)
                        throw new ObjectDisposedException(nameof(RedisConnection));
                    connecting = _connecting ??= ConnectAsync();
                }
                try
                {
                    multiplexer = await connecting.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (connecting.IsFaulted)
                {
                    // Creation itself failed (not just "not connected yet"): try again on the next attempt.
                    lock (_lock)
                    {
                        if (ReferenceEquals(_connecting, connecting))
                            _connecting = null;
                    }
                    throw;
                }
                _multiplexer = multiplexer;
            }
            return multiplexer.GetDatabase(_database);
        }

        public void Close(TimeSpan timeout)
        {
            Task<ConnectionMultiplexer>? connecting;
            lock (_lock)
            {
                _disposed = true;
                connecting = _connecting;
                _connecting = null;
            }
            var multiplexer = _multiplexer;
            _multiplexer = null;
            if (multiplexer is null && connecting != null)
            {
                if (connecting.Wait(timeout) && connecting.Status == TaskStatus.RanToCompletion)
                    multiplexer = connecting.Result;
                else
                    connecting.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
            if (multiplexer is null)
                return;
            try
            {
                // Everything was already awaited by the target; do not wait for a dead server.
                multiplexer.CloseAsync(allowCommandsToComplete: false).Wait(timeout);
            }
            catch (Exception ex)
            {
                InternalLogger.Debug(ex, "Redis connection close failed");
            }
            multiplexer.Dispose();
        }

        public void Dispose() => Close(TimeSpan.FromSeconds(1));

        private async Task<ConnectionMultiplexer> ConnectAsync()
        {
            // The connect log is where the client reports why the first handshake failed; the
            // ConnectionFailed event cannot be subscribed before the multiplexer exists.
            var connectLog = new StringWriter();
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(_options, connectLog).ConfigureAwait(false);
            if (!multiplexer.IsConnected)
                NoteHandshakeRefusal(connectLog.ToString());
            multiplexer.ConnectionFailed += (_, e) =>
            {
                if (e.FailureType == ConnectionFailureType.AuthenticationFailure && e.Exception != null)
                    NoteAuthenticationFailure(e.Exception);
                _onConnectionEvent("connection lost or refused (" + e.FailureType + ")", e.Exception);
            };
            multiplexer.ConnectionRestored += (_, _) =>
            {
                Volatile.Write(ref _authenticationFailure, null);
                _onConnectionEvent("connection restored", null);
            };
            if (!multiplexer.IsConnected)
                _onConnectionEvent("not connected yet; reconnecting in the background", null);
            return multiplexer;
        }

        private void NoteHandshakeRefusal(string connectLog)
        {
            if (!connectLog.Contains("AuthenticationFailure", StringComparison.Ordinal))
                return;
            bool passwordRefused = connectLog.Contains("NOAUTH", StringComparison.Ordinal) || connectLog.Contains("WRONGPASS", StringComparison.Ordinal);
            if (_options.Ssl && !passwordRefused)
                NoteAuthenticationFailure(new System.Security.Authentication.AuthenticationException("The TLS handshake with Redis failed while connecting."));
            else
                NoteAuthenticationFailure(new InvalidOperationException("NOAUTH: Redis refused the password while connecting."));
        }

        private static X509Certificate2 LoadCertificate(string path)
        {
#if NET9_0_OR_GREATER
            return X509CertificateLoader.LoadCertificateFromFile(path);
#else
            return new X509Certificate2(path);
#endif
        }

        private static bool ValidateWithCa(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 ca)
        {
            if (errors == SslPolicyErrors.None)
                return true;
            // Only the chain may fail (issued by our CA rather than a system root); never a name mismatch.
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            using var leaf = new X509Certificate2(certificate);
            return chain.Build(leaf);
        }
    }
}
