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
    /// Keys that match the mask are written with the value <c>"***"</c> at every depth.
    /// </summary>
    /// <remarks>
    /// <para>An object nested deeper than <c>maxDepth</c> is written as the placeholder
    /// <c>"[TypeName]"</c> (<c>"[object]"</c> for an anonymous type), never with its
    /// <c>ToString()</c>: records and anonymous types print their members there, masked or not.
    /// Only known scalar types (primitives, strings, enums, dates, <c>IFormattable</c>,
    /// <c>System.*</c> types such as <c>Uri</c>) and types without public properties keep their text.</para>
    /// <para>Whatever <c>maxDepth</c>, a value never nests deeper than <see cref="MaxValueDepth"/>,
    /// exceptions and their inner exceptions included, so that the whole line (the event object is
    /// one level) stays within <see cref="MaxJsonNesting"/> levels, the default maximum depth of
    /// System.Text.Json and other parsers. A reference back to an object still being written is
    /// written as <c>"[Circular]"</c>.</para>
    /// </remarks>
    internal sealed class JsonValueWriter
    {
        private readonly PropertyNameMatcher _mask;
        private readonly int _maxDepth;
        private readonly int _maxInnerExceptionLevel;

        /// <summary>The deepest JSON nesting of a whole line (System.Text.Json's default <c>MaxDepth</c>).</summary>
        public const int MaxJsonNesting = 64;

        /// <summary>
        /// The deepest value depth written as an object or array: a value at depth d nests d + 2
        /// levels deep in the line (the event object, then the value itself).
        /// </summary>
        public const int MaxValueDepth = MaxJsonNesting - 2;

        public JsonValueWriter(PropertyNameMatcher mask, int maxDepth, int maxInnerExceptionLevel)
        {
            _mask = mask;
            _maxDepth = Math.Min(maxDepth, MaxValueDepth + 1);
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
                case Exception exception: WriteExceptionAt(context, exception, depth); return;
                case ISpanFormattable formattable: buffer.WriteFormattedString(formattable, CultureInfo.InvariantCulture); return;
                case IFormattable formattable: WriteText(buffer, formattable.ToString(null, CultureInfo.InvariantCulture)); return;
            }

            WriteComposite(context, value, depth);
        }

        /// <summary>
        /// Is <paramref name="value"/> written as a JSON scalar (or with its own text) rather than as
        /// an object or array? Such a value cannot hold a member that masking would have to hide.
        /// </summary>
        public static bool IsScalar(object? value)
        {
            if (value is null || value is string || value is IConvertible || value is IFormattable || value is byte[])
            {
                return true;
            }

            return value is not IEnumerable && value is not Exception && ObjectPropertyCache.Get(value.GetType()) is null;
        }

        /// <summary>
        /// <paramref name="value"/> as JSON text on its own, with the same masking and depth rules
        /// (for a value written inside another text, such as a hole of the message).
        /// </summary>
        public string RenderJson(object? value)
        {
            // A fresh context: the thread's own one is in use by the rendering that asked.
            var context = new JsonRenderContext();
            WriteValueSafe(context, value, 0);
            return System.Text.Encoding.UTF8.GetString(context.Buffer.WrittenSpan);
        }

        /// <summary>Writes an exception as <c>{"type","message","stack","inner"|"innerExceptions"}</c>, inner exceptions up to the configured level.</summary>
        public void WriteException(JsonRenderContext context, Exception exception, int level) => WriteException(context, exception, level, 0);

        private void WriteExceptionAt(JsonRenderContext context, Exception exception, int depth)
        {
            if (depth > MaxValueDepth)
            {
                WritePlaceholder(context.Buffer, exception.GetType());
                return;
            }

            WriteException(context, exception, 0, depth);
        }

        private void WriteException(JsonRenderContext context, Exception exception, int level, int depth)
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
                // "innerExceptions" nests the inner objects two levels deeper, "inner" one.
                if (exception is AggregateException aggregate && aggregate.InnerExceptions.Count > 0 && depth + 2 <= MaxValueDepth)
                {
                    buffer.WriteRaw(",\"innerExceptions\":["u8);
                    for (int i = 0; i < aggregate.InnerExceptions.Count; i++)
                    {
                        if (i > 0)
                        {
                            buffer.WriteByte((byte)',');
                        }

                        WriteException(context, aggregate.InnerExceptions[i], level + 1, depth + 2);
                    }

                    buffer.WriteByte((byte)']');
                }
                else if (exception.InnerException != null && depth + 1 <= MaxValueDepth)
                {
                    buffer.WriteRaw(",\"inner\":"u8);
                    WriteException(context, exception.InnerException, level + 1, depth + 1);
                }
            }

            buffer.WriteByte((byte)'}');
        }

        private void WriteComposite(JsonRenderContext context, object value, int depth)
        {
            Utf8JsonBuffer buffer = context.Buffer;
            PropertyInfo[]? properties = null;
            if (value is not IEnumerable)
            {
                properties = ObjectPropertyCache.Get(value.GetType());
                if (properties is null)
                {
                    // A System.* type (Uri, Version...) or one without public properties: its text.
                    WriteText(buffer, value.ToString());
                    return;
                }
            }

            if (depth >= _maxDepth)
            {
                WritePlaceholder(buffer, value.GetType());
                return;
            }

            if (context.IsAncestor(value))
            {
                buffer.WriteRaw("\"[Circular]\""u8);
                return;
            }

            if (!context.PushAncestor(value))
            {
                WritePlaceholder(buffer, value.GetType());
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

        private static void WritePlaceholder(Utf8JsonBuffer buffer, Type type) => buffer.WriteRaw(ObjectPropertyCache.GetPlaceholder(type));

        private static void WriteError(Utf8JsonBuffer buffer, Exception exception)
        {
            buffer.WriteRaw("\"[Error: "u8);
            buffer.WriteStringContent(exception.GetType().Name);
            buffer.WriteRaw("]\""u8);
        }
    }
}
