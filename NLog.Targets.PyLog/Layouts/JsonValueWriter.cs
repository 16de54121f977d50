using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// Writes property values as JSON: primitives as JSON numbers/booleans/strings, dictionaries
    /// and objects as nested objects, collections as arrays, exceptions as exception objects.
    /// Nesting deeper than <c>maxDepth</c> is written with <c>ToString()</c>; a reference back to
    /// an object still being written is written as <c>"[Circular]"</c>. Keys that match the mask
    /// are written with the value <c>"***"</c> at every depth.
    /// </summary>
    internal sealed class JsonValueWriter
    {
        private readonly PropertyNameMatcher _mask;
        private readonly int _maxDepth;
        private readonly int _maxInnerExceptionLevel;

        public JsonValueWriter(PropertyNameMatcher mask, int maxDepth, int maxInnerExceptionLevel)
        {
            _mask = mask;
            _maxDepth = maxDepth;
            _maxInnerExceptionLevel = maxInnerExceptionLevel;
        }

        public static ReadOnlySpan<byte> MaskedValue => "\"***\""u8;

        public PropertyNameMatcher Mask => _mask;

        public bool IsMasked(string name) => !_mask.IsEmpty && _mask.IsMatch(name);

        /// <summary>Writes <paramref name="value"/>; a failure inside it (a throwing getter or <c>ToString</c>) is written as an error string instead.</summary>
        public void WriteValueSafe(JsonRenderContext context, object? value, int depth)
        {
            Utf8JsonBuffer buffer = context.Buffer;
            int start = buffer.Length;
            try
            {
                WriteValue(context, value, depth);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                buffer.Length = start;
                WriteError(buffer, ex);
            }
        }

        public void WriteValue(JsonRenderContext context, object? value, int depth)
        {
            Utf8JsonBuffer buffer = context.Buffer;
            switch (value)
            {
                case null: buffer.WriteNull(); return;
                case string text: buffer.WriteString(text); return;
                case bool flag: buffer.WriteBoolean(flag); return;
                case int number: buffer.WriteNumber(number); return;
                case long number: buffer.WriteNumber(number); return;
                case double number: buffer.WriteDouble(number); return;
                case float number: buffer.WriteFloat(number); return;
                case decimal number: buffer.WriteNumber(number); return;
                case short number: buffer.WriteNumber(number); return;
                case byte number: buffer.WriteNumber(number); return;
                case sbyte number: buffer.WriteNumber(number); return;
                case ushort number: buffer.WriteNumber(number); return;
                case uint number: buffer.WriteNumber(number); return;
                case ulong number: buffer.WriteNumber(number); return;
                case char character: buffer.WriteString(new ReadOnlySpan<char>(in character)); return;
                case DateTime time: buffer.WriteQuotedAscii(time, "O"); return;
                case DateTimeOffset time: buffer.WriteQuotedAscii(time, "O"); return;
                case TimeSpan span: buffer.WriteQuotedAscii(span, "c"); return;
                case Guid guid: buffer.WriteQuotedAscii(guid, "D"); return;
                case byte[] bytes: buffer.WriteBase64(bytes); return;
                case Exception exception: WriteException(context, exception, 0); return;
                case ISpanFormattable formattable: buffer.WriteFormattedString(formattable, CultureInfo.InvariantCulture); return;
                case IFormattable formattable: WriteText(buffer, formattable.ToString(null, CultureInfo.InvariantCulture)); return;
            }

            WriteComposite(context, value, depth);
        }

        /// <summary>Writes an exception as <c>{"type","message","stack","inner"|"innerExceptions"}</c>, inner exceptions up to the configured level.</summary>
        public void WriteException(JsonRenderContext context, Exception exception, int level)
        {
            Utf8JsonBuffer buffer = context.Buffer;
            buffer.WriteRaw("{\"type\":"u8);
            Type type = exception.GetType();
            // An exception replayed from a DiskBufferWrapper keeps the name of the type that was logged.
            buffer.WriteString(exception is DiskBuffer.ReplayedException replayed ? replayed.OriginalTypeName : type.FullName ?? type.Name);
            buffer.WriteRaw(",\"message\":"u8);
            WriteText(buffer, GetMessage(exception));
            string? stack = exception.StackTrace;
            if (stack != null)
            {
                buffer.WriteRaw(",\"stack\":"u8);
                buffer.WriteString(stack);
            }

            if (level < _maxInnerExceptionLevel)
            {
                if (exception is AggregateException aggregate && aggregate.InnerExceptions.Count > 0)
                {
                    buffer.WriteRaw(",\"innerExceptions\":["u8);
                    for (int i = 0; i < aggregate.InnerExceptions.Count; i++)
                    {
                        if (i > 0)
                        {
                            buffer.WriteByte((byte)',');
                        }

                        WriteException(context, aggregate.InnerExceptions[i], level + 1);
                    }

                    buffer.WriteByte((byte)']');
                }
                else if (exception.InnerException != null)
                {
                    buffer.WriteRaw(",\"inner\":"u8);
                    WriteException(context, exception.InnerException, level + 1);
                }
            }

            buffer.WriteByte((byte)'}');
        }

        private void WriteComposite(JsonRenderContext context, object value, int depth)
        {
            Utf8JsonBuffer buffer = context.Buffer;
            if (depth >= _maxDepth)
            {
                WriteText(buffer, value.ToString());
                return;
            }

            if (context.IsAncestor(value))
            {
                buffer.WriteRaw("\"[Circular]\""u8);
                return;
            }

            PropertyInfo[]? properties = null;
            if (value is not IEnumerable)
            {
                properties = ObjectPropertyCache.Get(value.GetType());
                if (properties is null)
                {
                    WriteText(buffer, value.ToString());
                    return;
                }
            }

            if (!context.PushAncestor(value))
            {
                WriteText(buffer, value.ToString());
                return;
            }

            try
            {
                switch (value)
                {
                    case IDictionary dictionary:
                        WriteDictionary(context, dictionary, depth);
                        break;
                    case IEnumerable<KeyValuePair<string, object?>> pairs:
                        WritePairs(context, pairs, depth);
                        break;
                    case IEnumerable items:
                        WriteArray(context, items, depth);
                        break;
                    default:
                        WriteObject(context, value, properties!, depth);
                        break;
                }
            }
            finally
            {
                context.PopAncestor();
            }
        }

        private void WriteDictionary(JsonRenderContext context, IDictionary dictionary, int depth)
        {
            Utf8JsonBuffer buffer = context.Buffer;
            buffer.WriteByte((byte)'{');
            bool first = true;
            IDictionaryEnumerator entries = dictionary.GetEnumerator();
            try
            {
                while (entries.MoveNext())
                {
                    string? key = entries.Key as string ?? Convert.ToString(entries.Key, CultureInfo.InvariantCulture);
                    WriteMember(context, key ?? string.Empty, entries.Value, depth, ref first);
                }
            }
            finally
            {
                (entries as IDisposable)?.Dispose();
            }

            buffer.WriteByte((byte)'}');
        }

        private void WritePairs(JsonRenderContext context, IEnumerable<KeyValuePair<string, object?>> pairs, int depth)
        {
            Utf8JsonBuffer buffer = context.Buffer;
            buffer.WriteByte((byte)'{');
            bool first = true;
            foreach (KeyValuePair<string, object?> pair in pairs)
            {
                WriteMember(context, pair.Key ?? string.Empty, pair.Value, depth, ref first);
            }

            buffer.WriteByte((byte)'}');
        }

        private void WriteArray(JsonRenderContext context, IEnumerable items, int depth)
        {
            Utf8JsonBuffer buffer = context.Buffer;
            buffer.WriteByte((byte)'[');
            bool first = true;
            foreach (object? item in items)
            {
                if (!first)
                {
                    buffer.WriteByte((byte)',');
                }

                first = false;
                WriteValueSafe(context, item, depth + 1);
            }

            buffer.WriteByte((byte)']');
        }

        private void WriteObject(JsonRenderContext context, object value, PropertyInfo[] properties, int depth)
        {
            Utf8JsonBuffer buffer = context.Buffer;
            buffer.WriteByte((byte)'{');
            bool first = true;
            for (int i = 0; i < properties.Length; i++)
            {
                PropertyInfo property = properties[i];
                if (IsMasked(property.Name))
                {
                    WriteMember(context, property.Name, null, depth, ref first);
                    continue;
                }

                object? member;
                try
                {
                    member = property.GetValue(value);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    WriteMemberName(buffer, property.Name, ref first);
                    WriteError(buffer, (ex as TargetInvocationException)?.InnerException ?? ex);
                    continue;
                }

                WriteMember(context, property.Name, member, depth, ref first);
            }

            buffer.WriteByte((byte)'}');
        }

        private void WriteMember(JsonRenderContext context, string name, object? value, int depth, ref bool first)
        {
            WriteMemberName(context.Buffer, name, ref first);
            if (IsMasked(name))
            {
                context.Buffer.WriteRaw(MaskedValue);
            }
            else
            {
                WriteValueSafe(context, value, depth + 1);
            }
        }

        private static void WriteMemberName(Utf8JsonBuffer buffer, string name, ref bool first)
        {
            if (!first)
            {
                buffer.WriteByte((byte)',');
            }

            first = false;
            buffer.WritePropertyName(name);
        }

        private static void WriteText(Utf8JsonBuffer buffer, string? text)
        {
            if (text is null)
            {
                buffer.WriteNull();
            }
            else
            {
                buffer.WriteString(text);
            }
        }

        private static string GetMessage(Exception exception)
        {
            try
            {
                return exception.Message;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return "(Message threw " + ex.GetType().Name + ")";
            }
        }

        private static void WriteError(Utf8JsonBuffer buffer, Exception exception)
        {
            buffer.WriteRaw("\"[Error: "u8);
            buffer.WriteStringContent(exception.GetType().Name);
            buffer.WriteRaw("]\""u8);
        }
    }
}
