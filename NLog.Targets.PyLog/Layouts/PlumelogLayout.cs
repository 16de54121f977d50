using System;
using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Redis;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// Renders an event as a Plumelog run-log record: one flat JSON object with the field names a
    /// Plumelog server reads from its Redis list (<c>appName</c>, <c>env</c>, <c>serverName</c>,
    /// <c>traceId</c>, <c>method</c>, <c>className</c>, <c>threadName</c>, <c>logLevel</c>,
    /// <c>content</c>, <c>dtTime</c>, <c>dateTime</c>, <c>seq</c>). Renders straight to UTF-8.
    /// </summary>
    /// <remarks>
    /// <c>threadName</c> and <c>traceId</c> depend on the logging thread; NLog captures them when the
    /// event is queued (<see cref="Precalculate"/>), so they are right behind asynchronous targets.
    /// </remarks>
    [Layout("Plumelog")]
    public sealed class PlumelogLayout : Layout, IUtf8Layout
    {
        private static readonly JsonEncodedText s_appName = JsonEncodedText.Encode("appName");
        private static readonly JsonEncodedText s_env = JsonEncodedText.Encode("env");
        private static readonly JsonEncodedText s_serverName = JsonEncodedText.Encode("serverName");
        private static readonly JsonEncodedText s_traceId = JsonEncodedText.Encode("traceId");
        private static readonly JsonEncodedText s_method = JsonEncodedText.Encode("method");
        private static readonly JsonEncodedText s_className = JsonEncodedText.Encode("className");
        private static readonly JsonEncodedText s_threadName = JsonEncodedText.Encode("threadName");
        private static readonly JsonEncodedText s_logLevel = JsonEncodedText.Encode("logLevel");
        private static readonly JsonEncodedText s_content = JsonEncodedText.Encode("content");
        private static readonly JsonEncodedText s_dtTime = JsonEncodedText.Encode("dtTime");
        private static readonly JsonEncodedText s_dateTime = JsonEncodedText.Encode("dateTime");
        private static readonly JsonEncodedText s_seq = JsonEncodedText.Encode("seq");

        // Indexed by LogLevel.Ordinal (Trace..Off); Plumelog uses the log4j/logback names.
        private static readonly JsonEncodedText[] s_levels =
        {
            JsonEncodedText.Encode("TRACE"),
            JsonEncodedText.Encode("DEBUG"),
            JsonEncodedText.Encode("INFO"),
            JsonEncodedText.Encode("WARN"),
            JsonEncodedText.Encode("ERROR"),
            JsonEncodedText.Encode("FATAL"),
            JsonEncodedText.Encode("OFF"),
        };

        private static readonly JsonWriterOptions s_writerOptions = new JsonWriterOptions
        {
            // Keeps CJK and other non-ASCII text readable in the Plumelog UI instead of \uXXXX.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            SkipValidation = true,
        };

        [ThreadStatic]
        private static Utf8JsonWriter? t_writer;

        [ThreadStatic]
        private static ArrayBufferWriter<byte>? t_stringBuffer;

        private readonly PlumelogCapture _capture;
        private string? _fixedAppName;
        private string? _fixedEnv;

        /// <summary>The application name (<c>appName</c>); Plumelog groups and filters by it.</summary>
        /// <remarks>Default: <c>${environment:PLUMELOG_APP_NAME:whenEmpty=default}</c></remarks>
        public Layout AppName { get; set; } = "${environment:PLUMELOG_APP_NAME:whenEmpty=default}";

        /// <summary>The environment (<c>env</c>), such as <c>dev</c>, <c>test</c> or <c>prod</c>.</summary>
        /// <remarks>Default: <c>${environment:PLUMELOG_ENV:whenEmpty=dev}</c></remarks>
        public Layout Env { get; set; } = "${environment:PLUMELOG_ENV:whenEmpty=dev}";

        /// <summary>
        /// The property holding the trace id (<c>traceId</c>): read from the event's properties, else from
        /// the scope (<c>ScopeContext.PushProperty("TraceId", ...)</c>, MEL <c>BeginScope</c>) of the logging thread.
        /// </summary>
        /// <remarks>Default: <c>TraceId</c></remarks>
        public string TraceIdProperty { get; set; } = "TraceId";

        /// <summary>Creates the layout with the defaults below.</summary>
        public PlumelogLayout()
        {
            _capture = new PlumelogCapture(this);
        }

        /// <inheritdoc />
        protected override void InitializeLayout()
        {
            base.InitializeLayout();
            if (AppName is null)
                throw new NLogConfigurationException("Plumelog layout: AppName must not be null.");
            if (Env is null)
                throw new NLogConfigurationException("Plumelog layout: Env must not be null.");
            _fixedAppName = AppName is SimpleLayout { IsFixedText: true } appName ? appName.FixedText : null;
            _fixedEnv = Env is SimpleLayout { IsFixedText: true } env ? env.FixedText : null;
            if (string.IsNullOrEmpty(TraceIdProperty))
                throw new NLogConfigurationException("Plumelog layout: TraceIdProperty must not be empty.");
        }

        /// <summary>
        /// Captures what depends on the logging thread (thread name, scope properties, the sequence
        /// number) so that rendering later on a background thread yields the same record.
        /// </summary>
        public override void Precalculate(LogEventInfo logEvent)
        {
            // Taking seq now makes it follow logging order, not rendering order.
            _capture.Precalculate(logEvent);
            if (_fixedAppName is null)
                AppName?.Precalculate(logEvent);
            if (_fixedEnv is null)
                Env?.Precalculate(logEvent);
        }

        /// <inheritdoc />
        public void RenderUtf8(LogEventInfo logEvent, IBufferWriter<byte> output)
        {
            var writer = t_writer;
            if (writer is null)
                t_writer = writer = new Utf8JsonWriter(output, s_writerOptions);
            else
                writer.Reset(output);

            WriteRecord(writer, logEvent);
            writer.Flush();
        }

        /// <inheritdoc />
        protected override string GetFormattedMessage(LogEventInfo logEvent)
        {
            var buffer = t_stringBuffer ??= new ArrayBufferWriter<byte>(1024);
            buffer.ResetWrittenCount();
            RenderUtf8(logEvent, buffer);
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }

        private void WriteRecord(Utf8JsonWriter writer, LogEventInfo logEvent)
        {
            // Precalculate stores the value on the event the first time only (NLog's layout cache),
            // so an event rendered twice, or first on another thread, keeps its seq and thread.
            _capture.Precalculate(logEvent);
            PlumelogCapture.Split(_capture.Render(logEvent), out var sequence, out var thread, out var scopeTraceId);

            writer.WriteStartObject();
            writer.WriteString(s_appName, _fixedAppName ?? AppName.Render(logEvent));
            writer.WriteString(s_env, _fixedEnv ?? Env.Render(logEvent));
            writer.WriteString(s_serverName, HostAddress.Value);
            if (logEvent.HasProperties && logEvent.Properties.TryGetValue(TraceIdProperty, out object? traceId) && traceId != null)
                writer.WriteString(s_traceId, traceId as string ?? Convert.ToString(traceId, System.Globalization.CultureInfo.InvariantCulture));
            else
                writer.WriteString(s_traceId, scopeTraceId);
            writer.WriteString(s_method, logEvent.CallerMemberName ?? string.Empty);
            writer.WriteString(s_className, logEvent.LoggerName ?? string.Empty);
            writer.WriteString(s_threadName, thread);
            writer.WriteString(s_logLevel, s_levels[Math.Min(logEvent.Level.Ordinal, s_levels.Length - 1)]);
            WriteContent(writer, logEvent);

            DateTime timestamp = logEvent.TimeStamp;
            DateTime local = timestamp.Kind == DateTimeKind.Utc ? timestamp.ToLocalTime() : timestamp;
            DateTime utc = timestamp.Kind == DateTimeKind.Utc ? timestamp : timestamp.ToUniversalTime();
            writer.WriteNumber(s_dtTime, (utc.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond);

            Span<char> dateTime = stackalloc char[23];
            local.TryFormat(dateTime, out int written, "yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
            writer.WriteString(s_dateTime, dateTime.Slice(0, written));

            writer.WritePropertyName(s_seq);
            writer.WriteRawValue(sequence, skipInputValidation: true);
            writer.WriteEndObject();
        }

        private static void WriteContent(Utf8JsonWriter writer, LogEventInfo logEvent)
        {
            string message = logEvent.FormattedMessage ?? string.Empty;
            var exception = logEvent.Exception;
            if (exception is null)
            {
                writer.WriteString(s_content, message);
                return;
            }

            // Plumelog shows the stack trace inside content, after the message (as its Java appenders do).
            writer.WriteString(s_content, string.Concat(message, "\n", exception.ToString()));
        }
    }
}
