using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// Event and scope properties as the top-level "expand" fields of a Plumelog record, the way
    /// Plumelog's Java appenders merge the MDC: every value is a JSON string (the MDC holds strings,
    /// and Elasticsearch maps a field by its first value, so a number in one record and text in the
    /// next would make the server's bulk insert reject records).
    /// </summary>
    /// <remarks>
    /// A property never replaces a Plumelog field. The server reads each record with fastjson into
    /// <c>RunLogMessage</c>, and fastjson matches a key that is no field name after lower-casing it
    /// and dropping <c>_</c> and <c>-</c> (<c>Seq</c>, <c>log_level</c>); so a property whose name,
    /// compared that way, is a Plumelog field is written as <c>prop_</c> + name. The property named
    /// by <c>TraceIdProperty</c> is the record's <c>traceId</c> and is not repeated.
    /// </remarks>
    internal sealed class PlumelogExtraFields
    {
        /// <summary>The prefix of a property whose name is a Plumelog field.</summary>
        public const string RenamePrefix = "prop_";

        // RunLogMessage and BaseLogMessage (Plumelog 3.5), plus appNameWithEnv, in fastjson's loose form.
        private static readonly HashSet<string> s_recordFields = new HashSet<string>(StringComparer.Ordinal)
        {
            "appname", "env", "appnamewithenv", "servername", "traceid", "method", "classname",
            "threadname", "loglevel", "logtype", "content", "dttime", "datetime", "seq",
        };

        private readonly EncodedNameCache _names;
        private readonly JsonValueWriter _values;

        public PlumelogExtraFields(PropertyNameMatcher mask, string traceIdProperty, int maxRecursionLimit)
        {
            Mask = mask;
            _values = new JsonValueWriter(mask, maxRecursionLimit, maxInnerExceptionLevel: 0);
            _names = new EncodedNameCache(name => CreateEntry(name, mask, traceIdProperty));
        }

        public PropertyNameMatcher Mask { get; }

        /// <summary>The name a property is written under (for documentation and tests).</summary>
        public static string FieldName(string propertyName)
            => IsRecordField(propertyName) ? RenamePrefix + propertyName : propertyName;

        public void WriteEventProperties(LogEventInfo logEvent, JsonRenderContext context)
        {
            if (!logEvent.HasProperties)
                return;
            int count = PropertySnapshot.CopyEvent(logEvent.Properties, ref context.EventProperties);
            context.EventPropertyCount = Math.Max(context.EventPropertyCount, count);
            var properties = context.EventProperties;
            for (int i = 0; i < count; i++)
            {
                object key = properties[i].Key;
                string? name = key as string ?? key?.ToString();
                if (!string.IsNullOrEmpty(name))
                    Write(context, name, properties[i].Value);
            }
        }

        /// <summary>Appends the scope properties (those not shadowed by an event property) as JSON members to <paramref name="target"/>.</summary>
        public void AppendScopeProperties(LogEventInfo logEvent, StringBuilder target)
        {
            var context = JsonRenderContext.Acquire();
            try
            {
                int count = PropertySnapshot.CopyScope(ref context.ScopeProperties);
                context.ScopePropertyCount = Math.Max(context.ScopePropertyCount, count);
                if (count == 0)
                    return;
                var properties = context.ScopeProperties;
                bool checkEvent = logEvent.HasProperties;
                for (int i = 0; i < count; i++)
                {
                    string name = properties[i].Key;
                    if (string.IsNullOrEmpty(name) || (checkEvent && logEvent.Properties.ContainsKey(name)))
                        continue;
                    Write(context, name, properties[i].Value);
                }
                if (context.Buffer.Length > 0)
                    context.Buffer.AppendTo(target);
            }
            finally
            {
                JsonRenderContext.Release(context);
            }
        }

        private void Write(JsonRenderContext context, string name, object? value)
        {
            if (value is null)
                return;
            var entry = _names.Get(name);
            if (entry.Excluded)
                return;
            var buffer = context.Buffer;
            buffer.WriteRaw(entry.Prefix);
            if (entry.Masked)
            {
                buffer.WriteRaw(JsonValueWriter.MaskedValue);
                return;
            }

            int start = buffer.Length;
            try
            {
                WriteText(context, value);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                buffer.Length = start;
                buffer.WriteString("[Error: " + ex.GetType().Name + "]");
            }
        }

        private void WriteText(JsonRenderContext context, object value)
        {
            var buffer = context.Buffer;
            switch (value)
            {
                case string text:
                    buffer.WriteString(text);
                    return;
                case bool flag:
                    buffer.WriteRaw(flag ? "\"true\""u8 : "\"false\""u8);
                    return;
                case DateTime time:
                    buffer.WriteQuotedAscii(time, "O");
                    return;
                case DateTimeOffset time:
                    buffer.WriteQuotedAscii(time, "O");
                    return;
                case ISpanFormattable formattable:
                    buffer.WriteFormattedString(formattable, CultureInfo.InvariantCulture);
                    return;
                case IFormattable formattable:
                    buffer.WriteString(formattable.ToString(null, CultureInfo.InvariantCulture));
                    return;
            }

            // Objects, dictionaries and collections: their JSON (masked inside too), as text.
            int start = buffer.Length;
            _values.WriteValueSafe(context, value, 0);
            if (buffer.Length > start && buffer.WrittenSpan[start] == (byte)'"')
                return;
            string json = Encoding.UTF8.GetString(buffer.WrittenSpan.Slice(start));
            buffer.Length = start;
            buffer.WriteString(json);
        }

        private static EncodedNameCache.Entry CreateEntry(string name, PropertyNameMatcher mask, string traceIdProperty)
        {
            bool excluded = string.Equals(name, traceIdProperty, StringComparison.OrdinalIgnoreCase);
            bool masked = !mask.IsEmpty && mask.IsMatch(name);
            var prefix = new Utf8JsonBuffer(name.Length + 16);
            prefix.WriteByte((byte)',');
            prefix.WritePropertyName(FieldName(name));
            return new EncodedNameCache.Entry(name, prefix.WrittenSpan.ToArray(), masked, excluded);
        }

        private static bool IsRecordField(string name)
        {
            if (name.Length > 32)
                return false;
            Span<char> loose = stackalloc char[name.Length];
            int length = 0;
            foreach (char c in name)
            {
                if (c != '_' && c != '-')
                    loose[length++] = char.ToLowerInvariant(c);
            }
            return s_recordFields.Contains(new string(loose.Slice(0, length)));
        }
    }
}
