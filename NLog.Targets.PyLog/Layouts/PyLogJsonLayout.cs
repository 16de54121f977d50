using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using NLog.Config;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Layouts;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// One-line JSON rendered straight to UTF-8: <c>time</c> (ISO 8601), <c>level</c>,
    /// <c>logger</c>, <c>message</c>, <c>exception</c>, custom attributes, event properties and
    /// scope properties, with masking of sensitive property names at every depth.
    /// </summary>
    /// <remarks>
    /// <para>The network targets take the bytes through <see cref="IUtf8Layout"/>; any other target
    /// gets the same text through <see cref="Layout.Render(LogEventInfo)"/>.</para>
    /// <para>A property whose name equals a fixed field or a custom attribute is written with a
    /// leading underscore (<c>message</c> becomes <c>_message</c>), and so is a property with an
    /// empty name (written as <c>_</c>); a scope property with the name of an event property is
    /// left out (the event property wins).</para>
    /// <para>For asynchronous targets NLog calls <see cref="Precalculate"/> on the logging thread
    /// (the class is deliberately not <c>[ThreadAgnostic]</c>): the scope properties are captured
    /// there, and an event whose properties hold objects (mutable) is rendered there completely;
    /// an event with only primitive properties is rendered later, on the writer thread.</para>
    /// <para>With <see cref="MaskProperties"/> set, <c>message</c> is masked too: a hole of the
    /// template that names a masked property shows <c>***</c>, and a hole holding an object,
    /// dictionary or collection (<c>{x}</c>, <c>{@x}</c> and <c>{$x}</c> alike) shows its masked
    /// JSON, under the same depth limit as the property fields.</para>
    /// <para>Whatever <see cref="MaxRecursionLimit"/>, the line never nests deeper than 64 levels
    /// (the default maximum of System.Text.Json and other parsers).</para>
    /// </remarks>
    [Layout("PyLogJson")]
    public sealed class PyLogJsonLayout : Layout, IUtf8Layout
    {
        private static readonly string[] s_fixedFields = { "time", "level", "logger", "message", "exception" };
        private static readonly byte[][] s_levelFields = CreateLevelFields();

        // What Precalculate captured on the logging thread, per event (entries die with the event).
        private readonly ConditionalWeakTable<LogEventInfo, Snapshot> _snapshots = new ConditionalWeakTable<LogEventInfo, Snapshot>();
        private volatile bool _hasSnapshots;
        private volatile RenderSettings? _settings;

        /// <summary>Gets the custom attributes, written after the fixed fields in configuration order.</summary>
        /// <remarks>Default: none. XML: <c>&lt;attribute name="app" layout="demo" encode="true" /&gt;</c>.</remarks>
        [ArrayParameter(typeof(PyLogJsonAttribute), "attribute")]
        public IList<PyLogJsonAttribute> Attributes { get; } = new List<PyLogJsonAttribute>();

        /// <summary>Gets or sets whether the event properties are written as top-level fields.</summary>
        /// <remarks>Default: <c>true</c>.</remarks>
        public bool IncludeEventProperties { get; set; } = true;

        /// <summary>Gets or sets whether the <see cref="ScopeContext"/> properties are written as top-level fields.</summary>
        /// <remarks>Default: <c>true</c>.</remarks>
        public bool IncludeScopeProperties { get; set; } = true;

        /// <summary>Gets or sets the names of event and scope properties to leave out (case-insensitive).</summary>
        /// <remarks>Default: empty. XML: a comma-separated list.</remarks>
        public ISet<string> ExcludeProperties { get; set; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// Gets or sets the property names whose values are replaced by <c>"***"</c>: a
        /// comma-separated list of names and <c>*</c> wildcards (<c>password,*token*</c>),
        /// case-insensitive, applied to event properties, scope properties, custom attributes and
        /// the keys of nested dictionaries and objects at every depth.
        /// </summary>
        /// <remarks>Default: empty (nothing masked).</remarks>
        public string? MaskProperties { get; set; }

        /// <summary>
        /// Gets or sets how many levels of nested objects, dictionaries and collections are
        /// written as JSON; a deeper one is written as the placeholder <c>"[TypeName]"</c>
        /// (<c>"[object]"</c> for an anonymous type), never with its <c>ToString()</c>, which for
        /// records and anonymous types prints their members. Known scalar types (numbers, strings,
        /// enums, dates, <c>IFormattable</c>, <c>System.*</c> types such as <c>Uri</c>) keep their
        /// text at any depth. 0 writes every object property value as a placeholder. At most 64;
        /// the line itself never nests deeper than 64 levels, so 63 and 64 write the same.
        /// </summary>
        /// <remarks>Default: 3.</remarks>
        public int MaxRecursionLimit { get; set; } = 3;

        /// <summary>Gets or sets how many levels of inner exceptions are written under <c>exception</c>.</summary>
        /// <remarks>Default: 5.</remarks>
        public int MaxInnerExceptionLevel { get; set; } = 5;

        /// <summary>Gets or sets whether <c>time</c> is written in local time with its offset instead of UTC.</summary>
        /// <remarks>Default: <c>false</c> (UTC, e.g. <c>2024-05-01T08:30:00.1234567Z</c>).</remarks>
        public bool UseLocalTime { get; set; }

        /// <inheritdoc />
        public void RenderUtf8(LogEventInfo logEvent, IBufferWriter<byte> output)
        {
            JsonRenderContext context = JsonRenderContext.Acquire();
            try
            {
                RenderCore(logEvent, context);
                output.Write(context.Buffer.WrittenSpan);
            }
            finally
            {
                JsonRenderContext.Release(context);
            }
        }

        /// <summary>
        /// Captures what belongs to the logging thread before the event is handed to another
        /// thread: the values of thread-bound attribute layouts and the scope properties.
        /// </summary>
        /// <param name="logEvent">The log event.</param>
        public override void Precalculate(LogEventInfo logEvent)
        {
            RenderSettings settings = GetSettings();
            foreach (CompiledAttribute attribute in settings.Attributes)
            {
                if (attribute.FixedField is null)
                {
                    attribute.Layout.Precalculate(logEvent);
                }
            }

            bool renderAll = settings.IncludeEventProperties && HasMutableProperties(logEvent);
            if (!renderAll && !settings.IncludeScopeProperties)
            {
                return;
            }

            JsonRenderContext context = JsonRenderContext.Acquire();
            try
            {
                if (renderAll)
                {
                    RenderCore(logEvent, context);
                }
                else
                {
                    WriteScopeProperties(logEvent, context, settings);
                }

                if (context.Buffer.Length > 0)
                {
                    _snapshots.AddOrUpdate(logEvent, new Snapshot(context.Buffer.WrittenSpan.ToArray(), renderAll));
                    _hasSnapshots = true;
                }
            }
            finally
            {
                JsonRenderContext.Release(context);
            }
        }

        /// <inheritdoc />
        protected override void InitializeLayout()
        {
            base.InitializeLayout();
            _settings = CreateSettings();
        }

        /// <inheritdoc />
        protected override void CloseLayout()
        {
            _settings = null;
            base.CloseLayout();
        }

        /// <inheritdoc />
        protected override void RenderFormattedMessage(LogEventInfo logEvent, StringBuilder target)
        {
            JsonRenderContext context = JsonRenderContext.Acquire();
            try
            {
                RenderCore(logEvent, context);
                context.Buffer.AppendTo(target);
            }
            finally
            {
                JsonRenderContext.Release(context);
            }
        }

        /// <inheritdoc />
        protected override string GetFormattedMessage(LogEventInfo logEvent)
        {
            JsonRenderContext context = JsonRenderContext.Acquire();
            try
            {
                RenderCore(logEvent, context);
                return Encoding.UTF8.GetString(context.Buffer.WrittenSpan);
            }
            finally
            {
                JsonRenderContext.Release(context);
            }
        }

        /// <summary>
        /// Throws the <see cref="NLogConfigurationException"/> of an invalid option. NLog logs (and
        /// does not rethrow) exceptions from a layout's initialization while loading a
        /// configuration, so a target that embeds this layout calls this from its
        /// <c>InitializeTarget</c> to fail the configuration load.
        /// </summary>
        internal void ThrowIfInvalid() => GetSettings();

        // After a failed initialization every rendering throws the configuration error again:
        // an invalid MaskProperties must not fall back to writing unmasked values.
        private RenderSettings GetSettings() => _settings ?? (_settings = CreateSettings());

        private void RenderCore(LogEventInfo logEvent, JsonRenderContext context)
        {
            RenderSettings settings = GetSettings();
            Utf8JsonBuffer buffer = context.Buffer;
            buffer.Clear();
            Snapshot? snapshot = null;
            if (_hasSnapshots && _snapshots.TryGetValue(logEvent, out snapshot) && snapshot.IsComplete)
            {
                buffer.WriteRaw(snapshot.Bytes);
                return;
            }

            buffer.WriteRaw("{\"time\":"u8);
            DateTime timeStamp = logEvent.TimeStamp;
            if (context.LastTime.TryGet(timeStamp, settings.UseLocalTime, out ReadOnlySpan<byte> cachedTime))
            {
                buffer.WriteRaw(cachedTime);
            }
            else
            {
                int timeStart = buffer.Length;
                WriteTime(buffer, timeStamp, settings.UseLocalTime);
                context.LastTime.Set(timeStamp, settings.UseLocalTime, buffer.WrittenSpan.Slice(timeStart));
            }

            int ordinal = logEvent.Level?.Ordinal ?? -1;
            if ((uint)ordinal < (uint)s_levelFields.Length)
            {
                buffer.WriteRaw(s_levelFields[ordinal]);
            }
            else
            {
                buffer.WriteRaw(",\"level\":"u8);
                buffer.WriteString(logEvent.Level?.Name ?? string.Empty);
            }

            string loggerName = logEvent.LoggerName ?? string.Empty;
            if (settings.Loggers.TryGet(loggerName, out byte[] loggerField))
            {
                buffer.WriteRaw(loggerField);
            }
            else
            {
                int loggerStart = buffer.Length;
                buffer.WriteRaw(",\"logger\":"u8);
                buffer.WriteString(loggerName);
                settings.Loggers.Add(loggerName, buffer.WrittenSpan.Slice(loggerStart));
            }

            buffer.WriteRaw(",\"message\":"u8);
            buffer.WriteString(MessageTemplateMasking.Format(logEvent, settings.Values));

            if (logEvent.Exception != null)
            {
                buffer.WriteRaw(",\"exception\":"u8);
                int start = buffer.Length;
                try
                {
                    settings.Values.WriteException(context, logEvent.Exception, 0);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    buffer.Length = start;
                    buffer.WriteString(logEvent.Exception.GetType().FullName ?? ex.GetType().Name);
                }
            }

            CompiledAttribute[] attributes = settings.Attributes;
            for (int i = 0; i < attributes.Length; i++)
            {
                WriteAttribute(logEvent, context, attributes[i]);
            }

            if (settings.IncludeEventProperties && logEvent.HasProperties)
            {
                WriteEventProperties(logEvent, context, settings);
            }

            if (settings.IncludeScopeProperties)
            {
                if (snapshot != null)
                {
                    buffer.WriteRaw(snapshot.Bytes);
                }
                else
                {
                    WriteScopeProperties(logEvent, context, settings);
                }
            }

            buffer.WriteByte((byte)'}');
        }

        private static void WriteTime(Utf8JsonBuffer buffer, DateTime timeStamp, bool local)
        {
            DateTime utc = timeStamp.Kind == DateTimeKind.Utc ? timeStamp : timeStamp.ToUniversalTime();
            if (local)
            {
                DateTime localTime = timeStamp.Kind == DateTimeKind.Utc ? timeStamp.ToLocalTime() : timeStamp;
                TimeSpan offset = localTime - utc;
                // Near DateTime.MinValue/MaxValue the clamped conversion can yield an offset that
                // DateTimeOffset rejects: write UTC rather than fail the event.
                if (offset.Ticks % TimeSpan.TicksPerMinute == 0 && offset.Duration() <= TimeSpan.FromHours(14))
                {
                    buffer.WriteQuotedAscii(new DateTimeOffset(DateTime.SpecifyKind(localTime, DateTimeKind.Unspecified), offset), "O");
                    return;
                }
            }

            buffer.WriteQuotedAscii(utc, "O");
        }

        private static void WriteAttribute(LogEventInfo logEvent, JsonRenderContext context, CompiledAttribute attribute)
        {
            Utf8JsonBuffer buffer = context.Buffer;
            if (attribute.FixedField != null)
            {
                buffer.WriteRaw(attribute.FixedField);
                return;
            }

            int start = buffer.Length;
            buffer.WriteRaw(attribute.Prefix);
            if (attribute.Masked)
            {
                buffer.WriteRaw(JsonValueWriter.MaskedValue);
                return;
            }

            StringBuilder builder = context.Builder;
            builder.Clear();
            try
            {
                attribute.Layout.Render(logEvent, builder);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                buffer.WriteRaw("\"[Error: "u8);
                buffer.WriteStringContent(ex.GetType().Name);
                buffer.WriteRaw("]\""u8);
                return;
            }

            if (builder.Length == 0 && !attribute.IncludeEmptyValue)
            {
                buffer.Length = start;
                return;
            }

            char[] chars = buffer.RentChars(builder.Length);
            builder.CopyTo(0, chars, 0, builder.Length);
            buffer.WriteAttributeValue(chars.AsSpan(0, builder.Length), attribute.Encode);
        }

        private static void WriteEventProperties(LogEventInfo logEvent, JsonRenderContext context, RenderSettings settings)
        {
            int count = PropertySnapshot.CopyEvent(logEvent.Properties, ref context.EventProperties);
            context.EventPropertyCount = Math.Max(context.EventPropertyCount, count);
            KeyValuePair<object, object?>[] properties = context.EventProperties;
            for (int i = 0; i < count; i++)
            {
                object key = properties[i].Key;
                WriteProperty(context, settings, key as string ?? key?.ToString() ?? string.Empty, properties[i].Value);
            }
        }

        private static void WriteScopeProperties(LogEventInfo logEvent, JsonRenderContext context, RenderSettings settings)
        {
            int count = PropertySnapshot.CopyScope(ref context.ScopeProperties);
            context.ScopePropertyCount = Math.Max(context.ScopePropertyCount, count);
            if (count == 0)
            {
                return;
            }

            bool checkEventProperties = settings.IncludeEventProperties && logEvent.HasProperties;
            KeyValuePair<string, object?>[] properties = context.ScopeProperties;
            for (int i = 0; i < count; i++)
            {
                string name = properties[i].Key ?? string.Empty;
                if (checkEventProperties && logEvent.Properties.ContainsKey(name))
                {
                    continue;
                }

                WriteProperty(context, settings, name, properties[i].Value);
            }
        }

        private static void WriteProperty(JsonRenderContext context, RenderSettings settings, string name, object? value)
        {
            EncodedNameCache.Entry entry = settings.Names.Get(name);
            if (entry.Excluded)
            {
                return;
            }

            context.Buffer.WriteRaw(entry.Prefix);
            if (entry.Masked)
            {
                context.Buffer.WriteRaw(JsonValueWriter.MaskedValue);
            }
            else
            {
                settings.Values.WriteValueSafe(context, value, 0);
            }
        }

        private RenderSettings CreateSettings()
        {
            PropertyMasking masking = PropertyMasking.Create(MaskProperties, MaxRecursionLimit, MaxInnerExceptionLevel, "PyLogJson");
            PropertyNameMatcher mask = masking.Names;
            // The empty name is reserved too, so a property named "" is written as "_" (and "_" as "__").
            var reserved = new HashSet<string>(s_fixedFields, StringComparer.Ordinal) { string.Empty };
            var attributes = new CompiledAttribute[Attributes.Count];
            for (int i = 0; i < attributes.Length; i++)
            {
                PyLogJsonAttribute attribute = Attributes[i];
                if (string.IsNullOrEmpty(attribute.Name))
                {
                    throw new NLogConfigurationException($"PyLogJson: Attributes[{i}] has no Name.");
                }

                if (!reserved.Add(attribute.Name))
                {
                    throw new NLogConfigurationException($"PyLogJson: Attributes name '{attribute.Name}' is a fixed field or is used twice.");
                }

                attributes[i] = new CompiledAttribute(attribute, mask.IsMatch(attribute.Name));
            }

            return new RenderSettings(
                attributes,
                reserved,
                new HashSet<string>(ExcludeProperties ?? (IEnumerable<string>)Array.Empty<string>(), StringComparer.OrdinalIgnoreCase),
                masking.Values,
                IncludeEventProperties,
                IncludeScopeProperties,
                UseLocalTime);
        }

        /// <summary>Does the event hold a property value that could change before a writer thread renders it?</summary>
        private static bool HasMutableProperties(LogEventInfo logEvent)
        {
            if (!logEvent.HasProperties)
            {
                return false;
            }

            JsonRenderContext context = JsonRenderContext.Acquire();
            try
            {
                int count = PropertySnapshot.CopyEvent(logEvent.Properties, ref context.EventProperties);
                context.EventPropertyCount = Math.Max(context.EventPropertyCount, count);
                for (int i = 0; i < count; i++)
                {
                    object? value = context.EventProperties[i].Value;
                    if (!(value is null || value is IConvertible || value is DateTimeOffset || value is TimeSpan || value is Guid))
                    {
                        return true;
                    }
                }

                return false;
            }
            finally
            {
                JsonRenderContext.Release(context);
            }
        }

        private static byte[][] CreateLevelFields()
        {
            var fields = new byte[LogLevel.Off.Ordinal + 1][];
            for (int ordinal = 0; ordinal < fields.Length; ordinal++)
            {
                fields[ordinal] = Encoding.UTF8.GetBytes(",\"level\":\"" + LogLevel.FromOrdinal(ordinal).Name + "\"");
            }

            return fields;
        }
    }
}
