using System;
using System.Buffers;
using System.Threading;
using System.Threading.Tasks;
using NLog.Common;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// The Redis side of <see cref="RedisTarget"/>: renders each event's payload (its key is the
    /// batch key, so one command per key), and sends a batch in one round trip over the shared connection.
    /// </summary>
    internal sealed class RedisTransport : BatchTransport<byte[]>
    {
        private readonly RedisTarget _target;
        private readonly RedisConnection _connection;
        private readonly RedisBatchSender _sender;
        private readonly PlumelogEnvelope? _envelope;
        private readonly Layout _key;
        private readonly string? _fixedKey;
        private readonly Layout _payloadLayout;
        private readonly TimeSpan _timeout;
        private readonly ArrayBufferWriter<byte> _scratch = new ArrayBufferWriter<byte>(1024);
        private int _fatalFailureLogged;

        public RedisTransport(RedisTarget target, RedisConnection connection, RedisBatchSender sender, PlumelogEnvelope? envelope, Layout key, Layout payloadLayout, TimeSpan timeout)
        {
            _envelope = envelope;
            _target = target;
            _connection = connection;
            _sender = sender;
            _key = key;
            _fixedKey = key is SimpleLayout { IsFixedText: true } fixedKey ? fixedKey.FixedText : null;
            _payloadLayout = payloadLayout;
            _timeout = timeout;
        }

        public bool IsConnected => _connection.IsConnected;

        /// <inheritdoc/>
        public override byte[] Render(LogEventInfo logEvent, out int sizeBytes, out string? key)
        {
            key = _fixedKey ?? _key.Render(logEvent);
            if (key.Length == 0)
                throw new InvalidOperationException("Key rendered an empty name.");
            var payload = Utf8LayoutRenderer.RenderToArray(_payloadLayout, logEvent, _scratch);
            sizeBytes = payload.Length;
            return payload;
        }

        /// <inheritdoc/>
        public override async Task SendAsync(NetworkBatch<byte[]> batch, CancellationToken cancellationToken)
        {
            try
            {
                var database = await _connection.GetDatabaseAsync(_timeout, cancellationToken).ConfigureAwait(false);
                // A bound of our own per batch: the client's async timeout applies per command and only when it checks its queue.
                var send = _envelope is null ? _sender.SendAsync(database, batch) : _envelope.SendAsync(database, batch);
                await send.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisFailures.IsTlsFailure(ex) || RedisFailures.IsAuthenticationFailure(ex))
            {
                // Remembered so that the "no connection available" errors that follow are read as this refusal.
                _connection.NoteAuthenticationFailure(ex);
                throw;
            }
        }

        /// <inheritdoc/>
        public override FailureKind Classify(Exception exception)
        {
            var kind = RedisFailures.Classify(exception);
            if (RedisFailures.IsTlsFailure(exception) || RedisFailures.IsAuthenticationFailure(exception))
                return FailureKind.Fatal;
            // "No connection available" while the last handshake was refused: same cause, same verdict.
            if (kind == FailureKind.Retriable && RedisFailures.IsConnectionFailure(exception) && _connection.AuthenticationFailure != null)
                return FailureKind.Fatal;
            return kind;
        }

        /// <inheritdoc/>
        public override void OnFatal(Exception exception)
        {
            if (Interlocked.Exchange(ref _fatalFailureLogged, 1) != 0)
                return;
            // Once per target: the base also warns per dropped batch, this says what to fix.
            var cause = RedisFailures.IsConnectionFailure(exception) && _connection.AuthenticationFailure is { } handshake ? handshake : exception;
            if (RedisFailures.IsTlsFailure(cause))
                InternalLogger.Error(cause, "{0}: the TLS handshake with Redis failed (server certificate not trusted or name mismatch); set SslCaCertificateFile or SslHost. Batches are dropped as 'rejected' until it is fixed.", _target);
            else if (RedisFailures.IsAuthenticationFailure(cause))
                InternalLogger.Error(cause, "{0}: Redis refused authentication (NOAUTH/WRONGPASS); check Password or password= of ConnectionString. Batches are dropped as 'rejected' until it is fixed.", _target);
            else
                InternalLogger.Error(cause, "{0}: Redis refused the batch permanently; it is dropped as 'rejected'.", _target);
        }

        /// <inheritdoc/>
        public override void Close(TimeSpan timeout) => _connection.Close(timeout);
    }
}
