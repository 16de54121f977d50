using System;
using System.IO;
using NLog.Common;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Redis;
using StackExchange.Redis;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// Ships events to Redis (StackExchange.Redis) in batches: a list a Plumelog server consumes
    /// (<c>RPUSH</c>, the default, with the <see cref="PlumelogLayout"/>), a stream (<c>XADD</c>)
    /// or a channel (<c>PUBLISH</c>). One round trip per batch; one shared connection that
    /// reconnects by itself; batches retried with backoff while Redis is away.
    /// </summary>
    /// <remarks>
    /// Items are the key and the rendered payload of each event. Authentication failures
    /// (<c>NOAUTH</c>/<c>WRONGPASS</c>), an untrusted server certificate and wrong key types
    /// (<c>WRONGTYPE</c>) are fatal: the batch is dropped and counted as <c>rejected</c>.
    /// Connection loss, timeouts and transient server states (<c>LOADING</c>, <c>OOM</c>, ...) are retried.
    /// </remarks>
    [Target("Redis")]
    public sealed class RedisTarget : PyLogNetworkTarget
    {
        private RedisTransport? _transport;

        /// <summary>Creates the target with the Plumelog layout.</summary>
        public RedisTarget()
        {
            Layout = new PlumelogLayout();
        }

        /// <summary>
        /// A StackExchange.Redis configuration string, e.g. <c>redis1:6379,password=...,ssl=true,defaultDatabase=2</c>.
        /// Takes precedence over <see cref="Host"/>/<see cref="Port"/>. <c>${environment:NAME}</c> in it is expanded
        /// once when the target starts (no other layout renderer). Logged only with the password masked.
        /// </summary>
        /// <remarks>
        /// Default: empty (use <see cref="Host"/>). A plain string rather than a <see cref="Layout"/> on purpose:
        /// NLog's internal log traces the text of every configured layout, which would expose the password.
        /// </remarks>
        public string? ConnectionString { get; set; }

        /// <summary>Redis host name or address, when no <see cref="ConnectionString"/> is given.</summary>
        /// <remarks>Default: empty (one of Host or ConnectionString is required).</remarks>
        public Layout? Host { get; set; }

        /// <summary>Redis port, with <see cref="Host"/>.</summary>
        /// <remarks>Default: <c>6379</c>.</remarks>
        public int Port { get; set; } = 6379;

        /// <summary>Database number; <c>-1</c> uses the connection's default (<c>defaultDatabase=</c> of the connection string, else 0).</summary>
        /// <remarks>Default: <c>-1</c>.</remarks>
        public int Database { get; set; } = -1;

        /// <summary>
        /// Password (Redis <c>requirepass</c>, i.e. the <c>default</c> ACL user); overrides <c>password=</c> of
        /// <see cref="ConnectionString"/>. <c>${environment:REDIS_PASSWORD}</c> in it is expanded
        /// once at start (no other layout renderer). Never logged (a plain string for the reason given on <see cref="ConnectionString"/>).
        /// A named ACL user goes in the connection string (<c>user=app,password=...</c>).
        /// </summary>
        /// <remarks>Default: none.</remarks>
        public string? Password { get; set; }

        /// <summary>Connect with TLS (same as <c>ssl=true</c> in the connection string).</summary>
        /// <remarks>Default: <c>false</c>.</remarks>
        public bool Ssl { get; set; }

        /// <summary>The name the server certificate must carry, when it differs from the host connected to.</summary>
        /// <remarks>Default: the host name.</remarks>
        public string? SslHost { get; set; }

        /// <summary>A CA certificate file (PEM or DER) to trust for the server certificate, for private CAs.</summary>
        /// <remarks>Default: none (the system's trusted roots).</remarks>
        public string? SslCaCertificateFile { get; set; }

        /// <summary>The list, stream or channel name. May use layout renderers (rendered per event).</summary>
        /// <remarks>Default: <c>plume_log_list</c> (the list a Plumelog server reads).</remarks>
        public Layout Key { get; set; } = "plume_log_list";

        /// <summary>How events are stored: <c>List</c> (RPUSH), <c>Stream</c> (XADD) or <c>Channel</c> (PUBLISH).</summary>
        /// <remarks>Default: <c>List</c>.</remarks>
        public RedisDataType DataType { get; set; } = RedisDataType.List;

        /// <summary>With <c>Stream</c>: trim the stream to about this many entries (<c>MAXLEN ~</c>); <c>0</c> never trims.</summary>
        /// <remarks>Default: <c>0</c>.</remarks>
        public long MaxLength { get; set; }

        /// <summary>With <c>Stream</c>: the entry field that holds the rendered event.</summary>
        /// <remarks>Default: <c>message</c>.</remarks>
        public string StreamField { get; set; } = "message";

        /// <summary>
        /// Plumelog's compressor mode (<c>plumelog.redis.compressor=true</c> on the server): each batch becomes one
        /// list entry <c>{"length":n,"body":"…"}</c>, the LZ4-compressed JSON array of its records, as Plumelog's
        /// Java client writes it; records addressed to <c>plume_log_list</c> go to <c>plume_log_list_compress</c>,
        /// the only list such a server reads. Only with <c>DataType</c> <c>List</c>.
        /// </summary>
        /// <remarks>Default: <c>false</c>.</remarks>
        public bool Compressor { get; set; }

        /// <summary>How long to wait for the connection to be made and for each batch's reply before retrying.</summary>
        /// <remarks>Default: <c>5000</c> ms.</remarks>
        public int TimeoutMilliseconds { get; set; } = 5000;

        /// <summary>Whether the connection to Redis is currently up (false before the first batch).</summary>
        public bool IsConnected => _transport?.IsConnected == true;

        /// <inheritdoc/>
        private protected override NetworkTransport CreateTransport()
        {
            var options = BuildOptions();
            if (Layout is null)
                throw ConfigurationErrors.Invalid(this, nameof(Layout), string.Empty, "is required");
            if (Key is null)
                throw ConfigurationErrors.Invalid(this, nameof(Key), string.Empty, "is required");
            if (!Enum.IsDefined(DataType))
                throw ConfigurationErrors.Invalid(this, nameof(DataType), DataType, "must be List, Stream or Channel");
            ConfigurationErrors.RequireNotNegative(this, MaxLength, nameof(MaxLength));
            if (Compressor && DataType != RedisDataType.List)
                throw ConfigurationErrors.Invalid(this, nameof(Compressor), Compressor, "needs DataType List (Plumelog reads its compressed batches from a list)");
            if (string.IsNullOrEmpty(StreamField))
                throw ConfigurationErrors.Invalid(this, nameof(StreamField), StreamField, "must not be empty");
            ConfigurationErrors.RequirePositive(this, TimeoutMilliseconds, nameof(TimeoutMilliseconds));
            if (Database < -1)
                throw ConfigurationErrors.Invalid(this, nameof(Database), Database, "must be -1 (the connection's default) or a database number");
            if (!string.IsNullOrEmpty(SslCaCertificateFile) && !File.Exists(SslCaCertificateFile))
                throw ConfigurationErrors.Invalid(this, nameof(SslCaCertificateFile), SslCaCertificateFile, "names no existing file");

            // The connection is made on the first batch: nothing is acquired here.
            var connection = new RedisConnection(options, Database, string.IsNullOrEmpty(SslCaCertificateFile) ? null : SslCaCertificateFile, OnConnectionEvent);
            var sender = new RedisBatchSender(DataType, MaxLength, StreamField);
            var envelope = Compressor ? new PlumelogEnvelope() : null;
            var transport = new RedisTransport(this, connection, sender, envelope, Key, Utf8LayoutRenderer.Unwrap(Layout), TimeSpan.FromMilliseconds(TimeoutMilliseconds));
            _transport = transport;
            InternalLogger.Info("{0}: writing to Redis {1} ({2} '{3}')", this, connection.Description, DataType, Key);
            return transport;
        }

        private ConfigurationOptions BuildOptions()
        {
            var nullEvent = LogEventInfo.CreateNullEvent();
            string? connectionString = SecretText.Expand(ConnectionString, $"RedisTarget '{Name}': ConnectionString");
            string? host = Host?.Render(nullEvent);
            ConfigurationOptions options;
            if (!string.IsNullOrWhiteSpace(connectionString))
            {
                try
                {
                    options = ConfigurationOptions.Parse(connectionString);
                }
                catch (ArgumentException ex)
                {
                    // The client's message names the keyword, never a value.
                    throw ConfigurationErrors.Invalid(this, nameof(ConnectionString), "(masked)", "is invalid: " + ex.Message);
                }
                if (options.EndPoints.Count == 0)
                    throw ConfigurationErrors.Invalid(this, nameof(ConnectionString), "(masked)", "names no endpoint (host:port)");
            }
            else if (!string.IsNullOrWhiteSpace(host))
            {
                if (Port < 1 || Port > 65535)
                    throw ConfigurationErrors.Invalid(this, nameof(Port), Port, "must be between 1 and 65535");
                options = new ConfigurationOptions();
                options.EndPoints.Add(host, Port);
            }
            else
            {
                throw ConfigurationErrors.Invalid(this, nameof(Host), string.Empty, "or ConnectionString is required");
            }

            string? password = SecretText.Expand(Password, $"RedisTarget '{Name}': Password");
            if (!string.IsNullOrEmpty(password))
                options.Password = password;
            if (Ssl)
                options.Ssl = true;
            if (!string.IsNullOrEmpty(SslHost))
                options.SslHost = SslHost;

            // Never fail or block at startup: connect in the background and keep reconnecting.
            options.AbortOnConnectFail = false;
            if (options.ConnectTimeout == 5000)
                options.ConnectTimeout = TimeoutMilliseconds;
            options.ReconnectRetryPolicy = new ExponentialRetry(250, 5000);
            // While disconnected, fail commands at once instead of parking them in the client's backlog
            // (2.5+'s default): the target's own queue, retry and loss accounting own that wait.
            options.BacklogPolicy = BacklogPolicy.FailFast;
            options.ClientName ??= "NLog.Targets.PyLog";
            return options;
        }

        private void OnConnectionEvent(string what, Exception? exception)
        {
            if (exception is null)
                InternalLogger.Info("{0}: {1}", this, what);
            else
                WarnNotice(exception, "{1}", what);
        }
    }
}
