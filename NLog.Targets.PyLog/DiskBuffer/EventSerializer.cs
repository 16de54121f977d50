using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NLog.Targets.PyLog.Layouts;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// Turns an event into a buffer record payload and back. What is stored is what layouts render:
    /// timestamp (ticks and kind), level, logger, the formatted message and its template and
    /// parameters, event and scope properties (primitives exactly; other objects as the JSON
    /// PyLogJson writes for them, read back as dictionaries and lists), the exception (type,
    /// message, stack trace, text, inner exceptions), the logging thread's name and the call site.
    /// </summary>
    internal static class EventSerializer
    {
        // 2: the thread is stored as its name (null when unnamed) and its managed id; 1 stored one of the two.
        private const byte Version = 2, FirstVersion = 1;

        private const byte TagNull = 0, TagString = 1, TagBool = 2, TagInt = 3, TagLong = 4, TagDouble = 5, TagFloat = 6,
            TagDecimal = 7, TagShort = 8, TagByte = 9, TagSByte = 10, TagUShort = 11, TagUInt = 12, TagULong = 13,
            TagChar = 14, TagDateTime = 15, TagDateTimeOffset = 16, TagTimeSpan = 17, TagGuid = 18, TagJson = 19, TagBytes = 20;

        // Exceptions nest; a pathological chain must not blow the stack.
        private const int MaxExceptionDepth = 16;

        private static readonly JsonValueWriter s_json = new JsonValueWriter(PropertyNameMatcher.Parse(null, out _)!, 10, MaxExceptionDepth);

        [ThreadStatic]
        private static ReadCache? t_readCache;

        [ThreadStatic]
        private static KeyValuePair<object, object?>[]? t_eventProperties;

        [ThreadStatic]
        private static KeyValuePair<string, object?>[]? t_scopeProperties;

        /// <summary>The level ordinal sits at a fixed offset, so a scan can count by level without decoding.</summary>
        public const int LevelOffset = 1 + 8 + 1;

        public static int ReadLevelOrdinal(ReadOnlySpan<byte> payload) => payload.Length > LevelOffset ? payload[LevelOffset] : LogLevel.Info.Ordinal;

        /// <summary>
        /// Appends the payload of <paramref name="logEvent"/> (the thread name is the calling
        /// thread's). Returns what a hand-over of the original event needs: the event itself when
        /// every value it holds is stored exactly (an object stored as JSON may change after the call,
        /// so that event is read back from disk instead), its scope properties and the thread name.
        /// </summary>
        public static LiveEvent Write(PayloadWriter writer, LogEventInfo logEvent)
        {
            bool exact = true;
            writer.WriteByte(Version);
            DateTime timestamp = logEvent.TimeStamp;
            writer.WriteInt64(timestamp.Ticks);
            writer.WriteByte((byte)timestamp.Kind);
            writer.WriteByte((byte)logEvent.Level.Ordinal);
            writer.WriteLoggerName(logEvent.LoggerName);

            // Formatting first: NLog fills the template's properties while it formats.
            string? formatted = logEvent.FormattedMessage;
            string? template = logEvent.Message;
            writer.WriteString(formatted);
            writer.WriteTemplate(ReferenceEquals(template, formatted) || template == formatted ? null : template);

            object?[]? parameters = logEvent.Parameters;
            if (parameters is null)
            {
                writer.WriteVarint(0);
            }
            else
            {
                writer.WriteVarint((ulong)parameters.Length + 1);
                for (int i = 0; i < parameters.Length; i++)
                    exact &= WriteValue(writer, parameters[i]);
            }

            // Copied without an enumerator allocation (PropertySnapshot), then written.
            var eventProperties = t_eventProperties ??= new KeyValuePair<object, object?>[16];
            int propertyCount = logEvent.HasProperties ? PropertySnapshot.CopyEvent(logEvent.Properties, ref eventProperties) : 0;
            t_eventProperties = eventProperties;
            writer.WriteVarint((ulong)propertyCount);
            for (int i = 0; i < propertyCount; i++)
            {
                var property = eventProperties[i];
                writer.WriteString(property.Key as string ?? Convert.ToString(property.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                exact &= WriteValue(writer, property.Value);
            }
            Array.Clear(eventProperties, 0, propertyCount);

            // Most events have no scope: NLog answers that with an empty array, far cheaper than a copy.
            int scopeCount = 0;
            var scopeProperties = t_scopeProperties ??= new KeyValuePair<string, object?>[16];
            if (ScopeContext.GetAllProperties() is not ICollection<KeyValuePair<string, object?>> { Count: 0 })
            {
                scopeCount = PropertySnapshot.CopyScope(ref scopeProperties);
                t_scopeProperties = scopeProperties;
            }
            writer.WriteVarint((ulong)scopeCount);
            for (int i = 0; i < scopeCount; i++)
            {
                writer.WriteString(scopeProperties[i].Key);
                exact &= WriteValue(writer, scopeProperties[i].Value);
            }
            KeyValuePair<string, object?>[]? scope = scopeCount == 0 || !exact ? null : scopeProperties.AsSpan(0, scopeCount).ToArray();
            Array.Clear(scopeProperties, 0, scopeCount);

            WriteException(writer, logEvent.Exception, 0);
            var thread = LoggingThread.Current;
            writer.WriteString(thread.Name);
            writer.WriteString(thread.ManagedId);

            string? callerMember = logEvent.CallerMemberName;
            if (string.IsNullOrEmpty(callerMember) && string.IsNullOrEmpty(logEvent.CallerClassName))
            {
                writer.WriteByte(0);
            }
            else
            {
                writer.WriteByte(1);
                writer.WriteString(logEvent.CallerClassName);
                writer.WriteString(callerMember);
                writer.WriteString(logEvent.CallerFilePath);
                writer.WriteVarint((ulong)Math.Max(0, logEvent.CallerLineNumber));
            }
            return exact ? new LiveEvent(logEvent, scope, thread) : default;
        }

        /// <summary>Reads a payload back into a new event; a malformed payload throws <see cref="FormatException"/>.</summary>
        public static ReplayedEvent Read(ReadOnlySpan<byte> payload)
        {
            var reader = new PayloadReader(payload);
            byte version = reader.ReadByte();
            if (version != Version && version != FirstVersion)
                throw new FormatException("Buffer record has an unknown version.");
            long ticks = reader.ReadInt64();
            var kind = (DateTimeKind)reader.ReadByte();
            int ordinal = reader.ReadByte();
            if (ordinal > LogLevel.Fatal.Ordinal || (int)kind > 2 || ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
                throw new FormatException("Buffer record holds an invalid level or timestamp.");
            var cache = t_readCache ??= new ReadCache();
            string? logger = reader.ReadString(cache.Logger);
            string formatted = reader.ReadString() ?? string.Empty;
            string? template = reader.ReadString(cache.Template);

            object?[]? parameters = null;
            int parameterCount = reader.ReadCount();
            if (parameterCount > 0)
            {
                parameters = new object?[parameterCount - 1];
                for (int i = 0; i < parameters.Length; i++)
                    parameters[i] = ReadValue(ref reader);
            }

            // The text was formatted at logging time with the objects themselves; keep it. NLog's
            // pre-formatted constructor holds it without a formatter object per event, and setting
            // the parameters afterwards (before any property) keeps it.
            var logEvent = new LogEventInfo(LogLevel.FromOrdinal(ordinal), logger, formatted, template ?? formatted, ReadOnlySpan<NLog.MessageTemplates.MessageTemplateParameter>.Empty);
            if (parameters != null)
                logEvent.Parameters = parameters;
            logEvent.TimeStamp = new DateTime(ticks, kind);

            int propertyCount = reader.ReadCount();
            for (int i = 0; i < propertyCount; i++)
            {
                string key = reader.ReadString() ?? string.Empty;
                logEvent.Properties[key] = ReadValue(ref reader);
            }

            int scopeCount = reader.ReadCount();
            KeyValuePair<string, object?>[]? scope = scopeCount == 0 ? null : new KeyValuePair<string, object?>[scopeCount];
            for (int i = 0; i < scopeCount; i++)
            {
                string key = reader.ReadString() ?? string.Empty;
                scope![i] = new KeyValuePair<string, object?>(key, ReadValue(ref reader));
            }

            logEvent.Exception = ReadException(ref reader, 0);
            var thread = cache.Threads.Read(ref reader, withManagedId: version != FirstVersion);
            if (reader.ReadByte() != 0)
            {
                string? className = reader.ReadString();
                string? member = reader.ReadString();
                string? file = reader.ReadString();
                int line = (int)Math.Min(int.MaxValue, reader.ReadVarint());
                logEvent.SetCallerInfo(className, member, file, line);
            }
            return new ReplayedEvent(logEvent, scope, thread);
        }

        private static void WriteException(PayloadWriter writer, Exception? exception, int depth)
        {
            if (exception is null || depth >= MaxExceptionDepth)
            {
                writer.WriteByte(0);
                return;
            }
            writer.WriteByte(1);
            writer.WriteString(exception is ReplayedException replayed ? replayed.OriginalTypeName : exception.GetType().FullName ?? exception.GetType().Name);
            writer.WriteString(Safe(exception, static e => e.Message));
            writer.WriteString(Safe(exception, static e => e.StackTrace));
            writer.WriteString(Safe(exception, static e => e.ToString()) ?? string.Empty);
            if (exception is AggregateException aggregate)
            {
                var inner = aggregate.InnerExceptions;
                writer.WriteVarint((ulong)inner.Count);
                for (int i = 0; i < inner.Count; i++)
                    WriteException(writer, inner[i], depth + 1);
            }
            else if (exception.InnerException != null)
            {
                writer.WriteVarint(1);
                WriteException(writer, exception.InnerException, depth + 1);
            }
            else
            {
                writer.WriteVarint(0);
            }
        }

        private static Exception? ReadException(ref PayloadReader reader, int depth)
        {
            if (reader.ReadByte() == 0)
                return null;
            if (depth >= MaxExceptionDepth)
                throw new FormatException("Buffer record nests exceptions too deeply.");
            string type = reader.ReadString() ?? "System.Exception";
            string message = reader.ReadString() ?? string.Empty;
            string? stack = reader.ReadString();
            string text = reader.ReadString() ?? string.Empty;
            int innerCount = reader.ReadCount();
            Exception? first = null;
            List<Exception>? all = innerCount > 1 ? new List<Exception>(innerCount) : null;
            for (int i = 0; i < innerCount; i++)
            {
                var inner = ReadException(ref reader, depth + 1);
                if (inner is null)
                    continue;
                first ??= inner;
                all?.Add(inner);
            }
            return new ReplayedException(type, message, stack, text, first);
        }

        // An exception's own members may throw (a faulty override); the record keeps what could be read.
        // Static delegates: a capturing lambda would allocate its closure on every call, exception or not.
        private static string? Safe(Exception exception, Func<Exception, string?> read)
        {
            try
            {
                return read(exception);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return "[" + ex.GetType().Name + " while reading the exception]";
            }
        }

        /// <summary>Writes a tagged value; false when it was stored as JSON or bytes (an object that may still change).</summary>
        private static bool WriteValue(PayloadWriter writer, object? value)
        {
            switch (value)
            {
                case null: writer.WriteByte(TagNull); return true;
                case string text: writer.WriteByte(TagString); writer.WriteString(text); return true;
                case bool flag: writer.WriteByte(TagBool); writer.WriteByte(flag ? (byte)1 : (byte)0); return true;
                case int number: writer.WriteByte(TagInt); writer.WriteInt32(number); return true;
                case long number: writer.WriteByte(TagLong); writer.WriteInt64(number); return true;
                case double number: writer.WriteByte(TagDouble); writer.WriteInt64(BitConverter.DoubleToInt64Bits(number)); return true;
                case float number: writer.WriteByte(TagFloat); writer.WriteInt32(BitConverter.SingleToInt32Bits(number)); return true;
                case decimal number:
                    writer.WriteByte(TagDecimal);
                    Span<int> bits = stackalloc int[4];
                    decimal.GetBits(number, bits);
                    for (int i = 0; i < 4; i++)
                        writer.WriteInt32(bits[i]);
                    return true;
                case short number: writer.WriteByte(TagShort); writer.WriteInt32(number); return true;
                case byte number: writer.WriteByte(TagByte); writer.WriteByte(number); return true;
                case sbyte number: writer.WriteByte(TagSByte); writer.WriteByte((byte)number); return true;
                case ushort number: writer.WriteByte(TagUShort); writer.WriteInt32(number); return true;
                case uint number: writer.WriteByte(TagUInt); writer.WriteInt64(number); return true;
                case ulong number: writer.WriteByte(TagULong); writer.WriteInt64((long)number); return true;
                case char character: writer.WriteByte(TagChar); writer.WriteInt32(character); return true;
                case DateTime time: writer.WriteByte(TagDateTime); writer.WriteInt64(time.Ticks); writer.WriteByte((byte)time.Kind); return true;
                case DateTimeOffset time: writer.WriteByte(TagDateTimeOffset); writer.WriteInt64(time.Ticks); writer.WriteInt64(time.Offset.Ticks); return true;
                case TimeSpan span: writer.WriteByte(TagTimeSpan); writer.WriteInt64(span.Ticks); return true;
                case Guid guid:
                    writer.WriteByte(TagGuid);
                    Span<byte> raw = stackalloc byte[16];
                    guid.TryWriteBytes(raw);
                    writer.WriteBytes(raw);
                    return true;
                case byte[] bytes: writer.WriteByte(TagBytes); writer.WriteBytes(bytes); return false;
                case Enum:
                    writer.WriteByte(TagString);
                    writer.WriteString(value.ToString());
                    return true;
            }
            writer.WriteByte(TagJson);
            writer.WriteBytes(ToJson(value));
            return false;
        }

        private static ReadOnlySpan<byte> ToJson(object value)
        {
            // The same JSON PyLogJson writes for the object; rendered on a context of its own.
            var context = JsonRenderContext.Acquire();
            try
            {
                s_json.WriteValueSafe(context, value, 0);
                return context.Buffer.WrittenSpan.ToArray();
            }
            finally
            {
                JsonRenderContext.Release(context);
            }
        }

        private static object? ReadValue(ref PayloadReader reader)
        {
            byte tag = reader.ReadByte();
            switch (tag)
            {
                case TagNull: return null;
                case TagString: return reader.ReadString() ?? string.Empty;
                case TagBool: return reader.ReadByte() != 0;
                case TagInt: return reader.ReadInt32();
                case TagLong: return reader.ReadInt64();
                case TagDouble: return BitConverter.Int64BitsToDouble(reader.ReadInt64());
                case TagFloat: return BitConverter.Int32BitsToSingle(reader.ReadInt32());
                case TagDecimal: return new decimal(new[] { reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32() });
                case TagShort: return (short)reader.ReadInt32();
                case TagByte: return reader.ReadByte();
                case TagSByte: return (sbyte)reader.ReadByte();
                case TagUShort: return (ushort)reader.ReadInt32();
                case TagUInt: return (uint)reader.ReadInt64();
                case TagULong: return (ulong)reader.ReadInt64();
                case TagChar: return (char)reader.ReadInt32();
                case TagDateTime:
                    {
                        long ticks = reader.ReadInt64();
                        return new DateTime(ticks, (DateTimeKind)(reader.ReadByte() & 3));
                    }
                case TagDateTimeOffset:
                    {
                        long ticks = reader.ReadInt64();
                        return new DateTimeOffset(ticks, new TimeSpan(reader.ReadInt64()));
                    }
                case TagTimeSpan: return new TimeSpan(reader.ReadInt64());
                case TagGuid: return new Guid(reader.ReadBytes());
                case TagBytes: return reader.ReadBytes();
                case TagJson: return FromJson(reader.ReadBytes());
                default: throw new FormatException("Buffer record holds an unknown value tag " + tag + ".");
            }
        }

        private static object? FromJson(byte[] json)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                return FromJson(document.RootElement);
            }
            catch (JsonException ex)
            {
                throw new FormatException("Buffer record holds malformed JSON.", ex);
            }
        }

        private static object? FromJson(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var map = new Dictionary<string, object?>();
                    foreach (var member in element.EnumerateObject())
                        map[member.Name] = FromJson(member.Value);
                    return map;
                case JsonValueKind.Array:
                    var list = new List<object?>();
                    foreach (var item in element.EnumerateArray())
                        list.Add(FromJson(item));
                    return list;
                case JsonValueKind.String: return element.GetString();
                case JsonValueKind.Number:
                    if (element.TryGetInt64(out long integer))
                        return integer;
                    if (element.TryGetDecimal(out decimal exact) && exact.ToString(CultureInfo.InvariantCulture) == element.GetRawText())
                        return exact;
                    return element.GetDouble();
                case JsonValueKind.True: return true;
                case JsonValueKind.False: return false;
                default: return null;
            }
        }

        private sealed class ReadCache
        {
            public DecodedTextCache Logger { get; } = new DecodedTextCache();

            public DecodedTextCache Template { get; } = new DecodedTextCache();

            public ThreadCache Threads { get; } = new ThreadCache();
        }

        /// <summary>
        /// The threads of the last records read, so that records of a few threads taking turns decode
        /// to the same few instances (no new strings, and the replay thread sees the same names).
        /// </summary>
        private sealed class ThreadCache
        {
            private const int Slots = 8;
            private const int MaxCachedBytes = 256;
            private readonly byte[]?[] _names = new byte[]?[Slots];
            private readonly byte[]?[] _ids = new byte[]?[Slots];
            private readonly LoggingThread?[] _threads = new LoggingThread?[Slots];
            private int _next;

            public LoggingThread Read(ref PayloadReader reader, bool withManagedId)
            {
                bool named = reader.TryReadStringBytes(out var name);
                ReadOnlySpan<byte> id = default;
                bool hasId = withManagedId && reader.TryReadStringBytes(out id);
                for (int i = 0; i < Slots; i++)
                {
                    var thread = _threads[i];
                    if (thread != null && Matches(_names[i], named, name) && Matches(_ids[i], hasId, id))
                        return thread;
                }
                var read = new LoggingThread(named ? Encoding.UTF8.GetString(name) : null, hasId ? Encoding.UTF8.GetString(id) : null);
                if (name.Length <= MaxCachedBytes && id.Length <= MaxCachedBytes)
                {
                    int slot = _next;
                    _next = (slot + 1) % Slots;
                    _names[slot] = named ? name.ToArray() : null;
                    _ids[slot] = hasId ? id.ToArray() : null;
                    _threads[slot] = read;
                }
                return read;
            }

            private static bool Matches(byte[]? cached, bool present, ReadOnlySpan<byte> bytes)
                => cached is null ? !present : present && bytes.SequenceEqual(cached);
        }
    }

    /// <summary>An event read back from the buffer, with what must be restored around its hand-over.</summary>
    internal readonly struct ReplayedEvent
    {
        public ReplayedEvent(LogEventInfo logEvent, KeyValuePair<string, object?>[]? scope, LoggingThread thread)
        {
            LogEvent = logEvent;
            Scope = scope;
            Thread = thread;
        }

        public LogEventInfo LogEvent { get; }

        /// <summary>The scope properties of the logging thread (null when there were none).</summary>
        public KeyValuePair<string, object?>[]? Scope { get; }

        public LoggingThread Thread { get; }
    }
}
