using System;
using System.Buffers;
using System.Globalization;
using System.Text;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Layouts;
using NLog.Targets.PyLog.Redis;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// Renders an event as a Plumelog run-log record: one flat JSON object with the fields a
    /// Plumelog server (3.5) reads from its Redis list into <c>RunLogMessage</c> — <c>appName</c>,
    /// <c>env</c>, <c>appNameWithEnv</c>, <c>serverName</c>, <c>traceId</c>, <c>method</c>,
    /// <c>className</c>, <c>threadName</c>, <c>logLevel</c>, <c>content</c>, <c>dtTime</c> (a
    /// number), <c>dateTime</c>, <c>seq</c> (a number) — followed by the event and scope properties
    /// as extra fields (Plumelog's "expand" fields). Renders straight to UTF-8.
    /// </summary>
    /// <remarks>
    /// <c>seq</c>, <c>threadName</c>, the scope trace id and the scope properties belong to the
    /// logging thread; NLog captures them when the event is queued (<see cref="Precalculate"/>), so
    /// they are right behind asynchronous targets. A property whose name is a Plumelog field (as the
    /// server's fastjson matches names: ignoring case, <c>_</c> and <c>-</c>) is written as
    /// <c>prop_</c> + its name; it never replaces the field.
    /// </remarks>
    [Layout("Plumelog")]
    public sealed class PlumelogLayout : Layout, IUtf8Layout
    {
        private static readonly byte[][] s_levelFields = LevelFields(fatalAsError: false);
        private static readonly byte[][] s_levelFieldsFatalAsError = LevelFields(fatalAsError: true);

        private readonly PlumelogCapture _capture;
        private readonly EncodedLoggerCache _classNames = new EncodedLoggerCache();
        private volatile Settings? _settings;

        /// <summary>The application name (<c>appName</c>); Plumelog groups and filters by it.</summary>
        /// <remarks>Default: <c>${environment:PLUMELOG_APP_NAME:whenEmpty=default}</c></remarks>
        public Layout AppName { get; set; } = "${environment:PLUMELOG_APP_NAME:whenEmpty=default}";

        /// <summary>The environment (<c>env</c>), such as <c>dev</c>, <c>test</c> or <c>prod</c>; the UI lists <c>appName-_-env</c> pairs.</summary>
        /// <remarks>Default: <c>${environment:PLUMELOG_ENV:whenEmpty=default}</c> (<c>default</c> is what Plumelog's Java appenders write).</remarks>
        public Layout Env { get; set; } = "${environment:PLUMELOG_ENV:whenEmpty=default}";

        /// <summary>
        /// What <c>method</c> shows. Plumelog's Java appenders write the thread name there unless they
        /// capture the call site; <c>${callsite}</c> (or <c>${callsite:includeSourcePath=false}:${callsite-linenumber}</c>)
        /// shows the calling method instead, at the cost of a stack trace per event.
        /// </summary>
        /// <remarks>Default: none, which writes the calling method when NLog captured it for free (the fluent
        /// <c>ForInfoEvent()…Log()</c> API, Microsoft.Extensions.Logging does not), else the thread name, like the Java appenders.</remarks>
        public Layout? Method { get; set; }

        /// <summary>
        /// The property holding the trace id (<c>traceId</c>): read from the event's properties, else from
        /// the scope (<c>ScopeContext.PushProperty("TraceId", ...)</c>, MEL <c>BeginScope</c>) of the logging thread.
        /// </summary>
        /// <remarks>Default: <c>TraceId</c></remarks>
        public string TraceIdProperty { get; set; } = "TraceId";

        /// <summary>
        /// Whether event properties and scope properties are written as extra top-level fields (their
        /// values as JSON strings; an event property wins over a scope property of the same name).
        /// </summary>
        /// <remarks>Default: <c>true</c>.</remarks>
        public bool IncludeProperties { get; set; } = true;

        /// <summary>
        /// The property names whose values are written as <c>"***"</c>: a comma-separated list of names and
        /// <c>*</c> wildcards (<c>password,*token*</c>), case-insensitive, applied to event and scope properties,
        /// the keys of nested objects, and the holes of the message template in <c>content</c>.
        /// </summary>
        /// <remarks>Default: empty (nothing masked).</remarks>
        public string? MaskProperties { get; set; }

        /// <summary>Whether NLog's <c>Fatal</c> is written as <c>ERROR</c>: Plumelog alerts on, and its UI filters by, <c>ERROR</c> only.</summary>
        /// <remarks>Default: <c>true</c>; <c>false</c> writes <c>FATAL</c>.</remarks>
        public bool FatalAsError { get; set; } = true;

        /// <summary>Creates the layout with the defaults below.</summary>
        public PlumelogLayout()
        {
            _capture = new PlumelogCapture(this);
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

        /// <summary>
        /// Captures what depends on the logging thread (thread name, scope trace id and properties,
        /// the sequence number) so that rendering later on a background thread yields the same record.
        /// </summary>
        public override void Precalculate(LogEventInfo logEvent)
        {
            var settings = GetSettings();
            // Taking seq now makes it follow logging order, not rendering order.
            _capture.Precalculate(logEvent);
            if (settings.FixedHead is null)
            {
                AppName.Precalculate(logEvent);
                Env.Precalculate(logEvent);
            }
            Method?.Precalculate(logEvent);
        }

        /// <inheritdoc />
        public void RenderUtf8(LogEventInfo logEvent, IBufferWriter<byte> output)
        {
            var context = JsonRenderContext.Acquire();
            try
            {
                WriteRecord(logEvent, context);
                output.Write(context.Buffer.WrittenSpan);
            }
            finally
            {
                JsonRenderContext.Release(context);
            }
        }

        /// <inheritdoc />
        protected override string GetFormattedMessage(LogEventInfo logEvent)
        {
            var context = JsonRenderContext.Acquire();
            try
            {
                WriteRecord(logEvent, context);
                return Encoding.UTF8.GetString(context.Buffer.WrittenSpan);
            }
            finally
            {
                JsonRenderContext.Release(context);
            }
        }

        /// <summary>
        /// Throws the <see cref="NLogConfigurationException"/> of an invalid option: NLog only logs a
        /// layout's initialization error, so the targets call this to fail the configuration load.
        /// </summary>
        internal void ThrowIfInvalid() => GetSettings();

        /// <summary>Called by the capture on the logging thread: the scope properties as JSON members.</summary>
        internal void AppendScopeFields(LogEventInfo logEvent, StringBuilder target)
        {
            var settings = GetSettings();
            if (settings.Extra != null)
                settings.Extra.AppendScopeProperties(logEvent, target);
        }

        private void WriteRecord(LogEventInfo logEvent, JsonRenderContext context)
        {
            var settings = GetSettings();
            var buffer = context.Buffer;
            buffer.Clear();

            // Precalculate stores the value on the event the first time only (NLog's layout cache),
            // so an event rendered twice, or first on another thread, keeps its seq and thread.
            _capture.Precalculate(logEvent);
            var captured = PlumelogCapture.Parse(_capture.Render(logEvent));

            if (settings.FixedHead != null)
            {
                buffer.WriteRaw(settings.FixedHead);
            }
            else
            {
                string appName = AppName.Render(logEvent);
                string env = Env.Render(logEvent);
                WriteHead(buffer, appName, env);
            }

            buffer.WriteRaw(",\"traceId\":"u8);
            if (logEvent.HasProperties && logEvent.Properties.TryGetValue(TraceIdProperty, out object? traceId) && traceId != null)
                buffer.WriteString(traceId as string ?? Convert.ToString(traceId, CultureInfo.InvariantCulture));
            else
                buffer.WriteString(captured.TraceId);

            buffer.WriteRaw(",\"method\":"u8);
            if (Method is null)
                buffer.WriteString(logEvent.CallerMemberName is { Length: > 0 } caller ? caller.AsSpan() : captured.Thread);
            else
                buffer.WriteString(Method.Render(logEvent));

            string loggerName = logEvent.LoggerName ?? string.Empty;
            if (_classNames.TryGet(loggerName, out byte[] classNameField))
            {
                buffer.WriteRaw(classNameField);
            }
            else
            {
                int start = buffer.Length;
                buffer.WriteRaw(",\"className\":"u8);
                buffer.WriteString(loggerName);
                _classNames.Add(loggerName, buffer.WrittenSpan.Slice(start));
            }

            buffer.WriteRaw(",\"threadName\":"u8);
            buffer.WriteString(captured.Thread);
            var levels = settings.FatalAsError ? s_levelFieldsFatalAsError : s_levelFields;
            buffer.WriteRaw(levels[Math.Min(logEvent.Level.Ordinal, levels.Length - 1)]);
            WriteContent(buffer, logEvent, settings);

            PlumelogClock.Split(logEvent.TimeStamp, out long epochMilliseconds, out long localTicks);
            buffer.WriteRaw(",\"dtTime\":"u8);
            buffer.WriteNumber(epochMilliseconds);
            buffer.WriteRaw(",\"dateTime\":\""u8);
            PlumelogClock.FormatDateTime(localTicks, buffer.GetSpan(PlumelogClock.DateTimeLength));
            buffer.Advance(PlumelogClock.DateTimeLength);
            buffer.WriteRaw("\",\"seq\":"u8);
            buffer.WriteRawUtf16(captured.Sequence);

            if (settings.Extra != null)
            {
                settings.Extra.WriteEventProperties(logEvent, context);
                if (!captured.ScopeFields.IsEmpty)
                    buffer.WriteRawUtf16(captured.ScopeFields);
            }
            buffer.WriteByte((byte)'}');
        }

        private static void WriteHead(Utf8JsonBuffer buffer, string appName, string env)
        {
            buffer.WriteRaw("{\"appName\":"u8);
            buffer.WriteString(appName);
            buffer.WriteRaw(",\"env\":"u8);
            buffer.WriteString(env);
            // BaseLogMessage.getAppNameWithEnv(): the UI's list of applications and environments.
            buffer.WriteRaw(",\"appNameWithEnv\":\""u8);
            buffer.WriteStringContent(appName);
            buffer.WriteRaw("-_-"u8);
            buffer.WriteStringContent(env);
            buffer.WriteRaw("\",\"serverName\":"u8);
            buffer.WriteString(HostAddress.Value);
        }

        private static void WriteContent(Utf8JsonBuffer buffer, LogEventInfo logEvent, Settings settings)
        {
            var mask = settings.Mask;
            string message = (!mask.IsEmpty && MessageTemplateMasking.NeedsMasking(logEvent, mask)
                ? MessageTemplateMasking.FormatMasked(logEvent, mask)
                : logEvent.FormattedMessage) ?? string.Empty;
            buffer.WriteRaw(",\"content\":\""u8);
            buffer.WriteStringContent(message);
            var exception = logEvent.Exception;
            if (exception != null)
            {
                // Plumelog shows the stack trace inside content, after the message (as its Java appenders do).
                buffer.WriteRaw("\\n"u8);
                string text;
                try
                {
                    text = exception.ToString();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    text = exception.GetType().FullName + " (ToString failed: " + ex.GetType().Name + ")";
                }
                buffer.WriteStringContent(text);
            }
            buffer.WriteByte((byte)'"');
        }

        // After a failed initialization every rendering throws the configuration error again:
        // an invalid MaskProperties must not fall back to writing unmasked values.
        private Settings GetSettings() => _settings ?? (_settings = CreateSettings());

        private Settings CreateSettings()
        {
            if (AppName is null)
                throw new NLogConfigurationException("Plumelog layout: AppName must not be null.");
            if (Env is null)
                throw new NLogConfigurationException("Plumelog layout: Env must not be null.");
            if (string.IsNullOrEmpty(TraceIdProperty))
                throw new NLogConfigurationException("Plumelog layout: TraceIdProperty must not be empty.");
            var mask = PropertyNameMatcher.Parse(MaskProperties, out string? maskError)
                ?? throw new NLogConfigurationException($"Plumelog layout: MaskProperties {maskError} (was '{MaskProperties}'); use a comma-separated list of names or * wildcards such as 'password,*token*'.");

            byte[]? fixedHead = null;
            if (AppName is SimpleLayout { IsFixedText: true } appName && Env is SimpleLayout { IsFixedText: true } env)
            {
                var head = new Utf8JsonBuffer(256);
                WriteHead(head, appName.FixedText ?? string.Empty, env.FixedText ?? string.Empty);
                fixedHead = head.WrittenSpan.ToArray();
            }
            var extra = IncludeProperties ? new PlumelogExtraFields(mask, TraceIdProperty, maxRecursionLimit: 3) : null;
            return new Settings(fixedHead, mask, extra, FatalAsError);
        }

        private static byte[][] LevelFields(bool fatalAsError)
        {
            // Indexed by LogLevel.Ordinal (Trace..Off); Plumelog uses the log4j/logback names.
            string[] names = { "TRACE", "DEBUG", "INFO", "WARN", "ERROR", fatalAsError ? "ERROR" : "FATAL", "OFF" };
            var fields = new byte[names.Length][];
            for (int i = 0; i < names.Length; i++)
                fields[i] = Encoding.UTF8.GetBytes(",\"logLevel\":\"" + names[i] + "\"");
            return fields;
        }

        private sealed class Settings
        {
            public Settings(byte[]? fixedHead, PropertyNameMatcher mask, PlumelogExtraFields? extra, bool fatalAsError)
            {
                FixedHead = fixedHead;
                Mask = mask;
                Extra = extra;
                FatalAsError = fatalAsError;
            }

            /// <summary><c>{"appName":…,"env":…,"appNameWithEnv":…,"serverName":…</c> when AppName and Env are fixed text.</summary>
            public byte[]? FixedHead { get; }

            public PropertyNameMatcher Mask { get; }

            public PlumelogExtraFields? Extra { get; }

            public bool FatalAsError { get; }
        }
    }
}
