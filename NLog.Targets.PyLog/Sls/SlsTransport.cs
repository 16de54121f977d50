using System;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Sls
{
    /// <summary>
    /// The SLS side of <see cref="SlsTarget"/>: encodes each event as a protobuf <c>Log</c> (its key
    /// is the shard hash key, when set), and sends one LogGroup per distinct key through PutLogs.
    /// </summary>
    internal sealed class SlsTransport : BatchTransport<byte[]>
    {
        private readonly SlsTarget _target;
        private readonly LogGroupEncoder _encoder;
        private readonly SlsPutLogsClient _client;
        private readonly Layout? _shardHashKey;
        private readonly long _maxRawBytes;
        private readonly ProtoBuffer _body = new ProtoBuffer(64 * 1024);

        public SlsTransport(SlsTarget target, LogGroupEncoder encoder, SlsPutLogsClient client, Layout? shardHashKey)
        {
            _target = target;
            _encoder = encoder;
            _client = client;
            _shardHashKey = shardHashKey;
            _maxRawBytes = SlsTarget.MaxRawBytesPerRequest - encoder.GroupSuffix.Length;
        }

        public SlsPutLogsClient Client => _client;

        /// <inheritdoc/>
        public override int MaxRequestEvents => SlsTarget.MaxLogsPerRequest;

        /// <inheritdoc/>
        public override long MaxRequestBytes => _maxRawBytes;

        /// <inheritdoc/>
        public override byte[] Render(LogEventInfo logEvent, out int sizeBytes, out string? key)
        {
            var log = _encoder.EncodeLog(logEvent);
            sizeBytes = LogGroupEncoder.SizeInGroup(log);
            if (sizeBytes > _maxRawBytes)
                throw new InvalidOperationException("One log encodes to " + sizeBytes + " bytes; a PutLogs request holds at most " + _maxRawBytes + ".");
            key = _shardHashKey is null ? null : HashKey(_shardHashKey.Render(logEvent));
            return log;
        }

        /// <inheritdoc/>
        public override async Task SendAsync(NetworkBatch<byte[]> batch, CancellationToken cancellationToken)
        {
            // One request per distinct shard key (a single one unless ShardHashKey varies).
            var keys = batch.PendingKeys();
            for (int k = keys.Count - 1; k >= 0; k--)
            {
                string? key = keys[k];
                var body = _body;
                body.Reset();
                for (int i = 0; i < batch.Count; i++)
                {
                    if (batch.IsPendingWithKey(i, key))
                        LogGroupEncoder.AppendLog(body, batch[i]);
                }
                body.WriteRaw(_encoder.GroupSuffix);

                await _client.PutLogsAsync(new ArraySegment<byte>(body.Data, 0, body.Length), key, cancellationToken).ConfigureAwait(false);

                // Settled per key, so that a failure of a later key does not send this one again.
                batch.MarkDeliveredWithKey(key);
            }
        }

        /// <inheritdoc/>
        public override FailureKind Classify(Exception exception) => SlsErrorClassifier.Classify(exception);

        /// <inheritdoc/>
        public override void Close(TimeSpan timeout) => _client.Dispose();

        private static string HashKey(string key)
        {
            if (key.Length == 32 && IsHex(key))
                return key.ToLowerInvariant();
            Span<byte> hash = stackalloc byte[16];
            MD5.HashData(Encoding.UTF8.GetBytes(key), hash);
            return Convert.ToHexString(hash).ToLowerInvariant();
        }

        private static bool IsHex(string value)
        {
            foreach (char c in value)
            {
                if (!char.IsAsciiHexDigit(c))
                    return false;
            }
            return true;
        }
    }
}
