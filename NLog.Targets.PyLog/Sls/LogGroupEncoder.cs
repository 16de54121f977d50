using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Sls
{
    /// <summary>
    /// Encodes events as the SLS <c>LogGroup</c> protobuf (sls.proto of the official SDKs):
    /// <c>Log{Time=1 uint32, Contents=2, TimeNs=4 fixed32}</c>, <c>Log.Content{Key=1, Value=2}</c>,
    /// <c>LogGroup{Logs=1, Topic=3, Source=4, LogTags=6}</c>, <c>LogTag{Key=1, Value=2}</c>.
    /// </summary>
    /// <remarks>
    /// Each event becomes the body of one <c>Log</c> message, rendered straight to UTF-8 into a
    /// reused buffer; a request is then the concatenation of <c>Logs</c> fields followed by the
    /// group fields (topic, source, tags), which never change and are encoded once.
    /// </remarks>
    internal sealed class LogGroupEncoder
    {
        /// <summary>The service refuses a log whose value exceeds 1 MB.</summary>
        public const int MaxValueBytes = 1024 * 1024;

        private const long UnixEpochTicks = 621355968000000000L;

        private readonly byte[][] _keys;
        private readonly Layout[] _layouts;
        private readonly bool[] _includeEmpty;
        private readonly ArrayBufferWriter<byte> _value = new ArrayBufferWriter<byte>(1024);
        private readonly ProtoBuffer _log = new ProtoBuffer(1024);

        public LogGroupEncoder(IReadOnlyList<(string Key, Layout Layout, bool IncludeEmpty)> contents, string? topic, string? source, IReadOnlyList<KeyValuePair<string, string>> tags)
        {
            _keys = new byte[contents.Count][];
            _layouts = new Layout[contents.Count];
            _includeEmpty = new bool[contents.Count];
            for (int i = 0; i < contents.Count; i++)
            {
                _keys[i] = Encoding.UTF8.GetBytes(contents[i].Key);
                _layouts[i] = contents[i].Layout;
                _includeEmpty[i] = contents[i].IncludeEmpty;
            }
            GroupSuffix = EncodeGroupFields(topic, source, tags);
        }

        /// <summary>Topic, source and tags, encoded once; appended after the logs of every request.</summary>
        public byte[] GroupSuffix { get; }

        /// <summary>Encodes the body of one <c>Log</c> message (without its own key and length).</summary>
        public byte[] EncodeLog(LogEventInfo logEvent)
        {
            var log = _log;
            log.Reset();

            long ticks = logEvent.TimeStamp.ToUniversalTime().Ticks - UnixEpochTicks;
            if (ticks < 0)
                ticks = 0;
            log.WriteTag(1, 0);
            log.WriteVarint((uint)(ticks / TimeSpan.TicksPerSecond));

            for (int i = 0; i < _layouts.Length; i++)
            {
                _value.ResetWrittenCount();
                Utf8LayoutRenderer.Render(_layouts[i], logEvent, _value);
                int valueLength = _value.WrittenCount;
                if (valueLength == 0 && !_includeEmpty[i])
                    continue;
                if (valueLength > MaxValueBytes)
                    throw new InvalidOperationException("SLS content '" + Encoding.UTF8.GetString(_keys[i]) + "' is " + valueLength + " bytes; the service accepts at most " + MaxValueBytes + " bytes per value.");

                var key = _keys[i];
                int inner = ProtoBuffer.FieldSize(key.Length) + ProtoBuffer.FieldSize(valueLength);
                log.WriteTag(2, 2);
                log.WriteVarint((uint)inner);
                log.WriteBytesField(1, key);
                log.WriteBytesField(2, _value.WrittenSpan);
            }

            // Optional field: left out for a whole second, as the SDKs that do not set it.
            uint nanoseconds = (uint)(ticks % TimeSpan.TicksPerSecond * 100);
            if (nanoseconds != 0)
            {
                log.WriteTag(4, 5);
                log.WriteFixed32(nanoseconds);
            }
            return log.ToArray();
        }

        /// <summary>Appends one encoded log as a <c>LogGroup.Logs</c> field.</summary>
        public static void AppendLog(ProtoBuffer group, byte[] log) => group.WriteBytesField(1, log);

        /// <summary>Bytes an encoded log occupies inside a LogGroup.</summary>
        public static int SizeInGroup(byte[] log) => ProtoBuffer.FieldSize(log.Length);

        private static byte[] EncodeGroupFields(string? topic, string? source, IReadOnlyList<KeyValuePair<string, string>> tags)
        {
            var buffer = new ProtoBuffer(256);
            if (!string.IsNullOrEmpty(topic))
                buffer.WriteBytesField(3, Encoding.UTF8.GetBytes(topic));
            if (!string.IsNullOrEmpty(source))
                buffer.WriteBytesField(4, Encoding.UTF8.GetBytes(source));
            for (int i = 0; i < tags.Count; i++)
            {
                var key = Encoding.UTF8.GetBytes(tags[i].Key);
                var value = Encoding.UTF8.GetBytes(tags[i].Value);
                buffer.WriteTag(6, 2);
                buffer.WriteVarint((uint)(ProtoBuffer.FieldSize(key.Length) + ProtoBuffer.FieldSize(value.Length)));
                buffer.WriteBytesField(1, key);
                buffer.WriteBytesField(2, value);
            }
            return buffer.ToArray();
        }
    }
}
