using System;
using System.Buffers;
using System.Buffers.Text;
using System.Collections.Generic;
using System.Globalization;
using System.Threading.Tasks;
using K4os.Compression.LZ4;
using NLog.Targets.PyLog.Core;
using StackExchange.Redis;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// Plumelog's compressed batch (<c>plumelog.redis.compressor=true</c>), written as its Java client
    /// does (fayechenlong/plumelog, <c>MessageAppenderFactory.compress</c>): the records of a batch as
    /// one JSON array of strings, UTF-8; that array compressed as one LZ4 raw block (no frame, no size
    /// header, as <c>LZ4Compressor.compress</c>); pushed as one list entry
    /// <c>{"length":n,"body":"base64"}</c> where <c>n</c> is the array's uncompressed byte length,
    /// which the server's <c>LZ4FastDecompressor</c> needs exactly. A server in compressor mode reads
    /// only <c>plume_log_list_compress</c>, so records addressed to <c>plume_log_list</c> go there.
    /// </summary>
    internal sealed class PlumelogEnvelope
    {
        /// <summary>The list a Plumelog server reads in normal mode.</summary>
        public const string PlainKey = "plume_log_list";

        /// <summary>The list a Plumelog server reads in compressor mode.</summary>
        public const string CompressedKey = "plume_log_list_compress";

        private static readonly SearchValues<byte> s_needsEscape = SearchValues.Create(
            "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F"u8 +
            "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\"\\"u8);

        private byte[] _array = new byte[64 * 1024];
        private byte[] _compressed = new byte[64 * 1024];

        /// <summary>The list a record addressed to <paramref name="key"/> is pushed to in compressor mode.</summary>
        public static string CompressedKeyFor(string key) => key == PlainKey ? CompressedKey : key;

        /// <summary>One envelope per key of the unsettled items, one round trip; marks the items of each envelope that was stored.</summary>
        public async Task SendAsync(IDatabase database, NetworkBatch<byte[]> batch)
        {
            // A copy: the batch's key list is reused, and the pushes complete after this method returns.
            var keys = new List<string>(batch.PendingKeys().Count);
            foreach (var pending in batch.PendingKeys())
                keys.Add(pending!);
            if (keys.Count == 1)
            {
                await database.ListRightPushAsync(CompressedKeyFor(keys[0]), Build(batch, keys[0])).ConfigureAwait(false);
                batch.MarkDeliveredWithKey(keys[0]);
                return;
            }

            // Several keys (a layout Key): one envelope each, pipelined.
            var redisBatch = database.CreateBatch();
            var pushes = new Task<long>[keys.Count];
            for (int k = 0; k < keys.Count; k++)
                pushes[k] = redisBatch.ListRightPushAsync(CompressedKeyFor(keys[k]), Build(batch, keys[k]));
            redisBatch.Execute();
            Exception? first = null;
            for (int k = 0; k < pushes.Length; k++)
            {
                try
                {
                    await pushes[k].ConfigureAwait(false);
                    batch.MarkDeliveredWithKey(keys[k]);
                }
                catch (Exception ex)
                {
                    first ??= ex;
                }
            }
            if (first != null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }

        /// <summary>The envelope of the unsettled records of <paramref name="key"/>, as UTF-8 JSON.</summary>
        internal byte[] Build(NetworkBatch<byte[]> batch, string key)
        {
            int length = WriteArray(batch, key);
            int bound = LZ4Codec.MaximumOutputSize(length);
            if (_compressed.Length < bound)
                _compressed = new byte[Math.Max(bound, _compressed.Length * 2)];
            int compressed = LZ4Codec.Encode(_array, 0, length, _compressed, 0, _compressed.Length, LZ4Level.L00_FAST);
            if (compressed <= 0)
                throw new InvalidOperationException("LZ4 compression of a Plumelog batch failed.");

            Span<byte> digits = stackalloc byte[11];
            length.TryFormat(digits, out int digitCount, default, CultureInfo.InvariantCulture);
            ReadOnlySpan<byte> head = "{\"length\":"u8;
            ReadOnlySpan<byte> middle = ",\"body\":\""u8;
            int base64 = Base64.GetMaxEncodedToUtf8Length(compressed);
            var envelope = new byte[head.Length + digitCount + middle.Length + base64 + 2];
            var span = envelope.AsSpan();
            head.CopyTo(span);
            int at = head.Length;
            digits.Slice(0, digitCount).CopyTo(span.Slice(at));
            at += digitCount;
            middle.CopyTo(span.Slice(at));
            at += middle.Length;
            Base64.EncodeToUtf8(_compressed.AsSpan(0, compressed), span.Slice(at), out _, out int encoded);
            at += encoded;
            span[at++] = (byte)'"';
            span[at++] = (byte)'}';
            return at == envelope.Length ? envelope : span.Slice(0, at).ToArray();
        }

        /// <summary>Writes <c>["record","record",…]</c> (each record escaped as a JSON string) into <c>_array</c>; returns its length.</summary>
        private int WriteArray(NetworkBatch<byte[]> batch, string key)
        {
            int at = 0;
            Put(ref at, (byte)'[');
            bool first = true;
            for (int i = 0; i < batch.Count; i++)
            {
                if (!batch.IsPendingWithKey(i, key))
                    continue;
                if (!first)
                    Put(ref at, (byte)',');
                first = false;
                Put(ref at, (byte)'"');
                ReadOnlySpan<byte> record = batch[i];
                while (!record.IsEmpty)
                {
                    int run = record.IndexOfAny(s_needsEscape);
                    if (run < 0)
                        run = record.Length;
                    Ensure(at, run + 6);
                    record.Slice(0, run).CopyTo(_array.AsSpan(at));
                    at += run;
                    if (run == record.Length)
                        break;
                    at += Escape(record[run], _array.AsSpan(at));
                    record = record.Slice(run + 1);
                }
                Put(ref at, (byte)'"');
            }
            Put(ref at, (byte)']');
            return at;
        }

        private static int Escape(byte b, Span<byte> target)
        {
            target[0] = (byte)'\\';
            switch (b)
            {
                case (byte)'"': target[1] = (byte)'"'; return 2;
                case (byte)'\\': target[1] = (byte)'\\'; return 2;
                case (byte)'\n': target[1] = (byte)'n'; return 2;
                case (byte)'\r': target[1] = (byte)'r'; return 2;
                case (byte)'\t': target[1] = (byte)'t'; return 2;
            }
            "u00"u8.CopyTo(target.Slice(1));
            target[4] = (byte)"0123456789abcdef"[b >> 4];
            target[5] = (byte)"0123456789abcdef"[b & 0xF];
            return 6;
        }

        private void Put(ref int at, byte value)
        {
            Ensure(at, 1);
            _array[at++] = value;
        }

        private void Ensure(int at, int count)
        {
            if (_array.Length - at < count)
                Array.Resize(ref _array, Math.Max(at + count, _array.Length * 2));
        }
    }
}
