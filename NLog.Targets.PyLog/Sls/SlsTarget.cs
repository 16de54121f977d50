using System;
using System.Collections.Generic;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using NLog.Config;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Sls;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// Aliyun Log Service (SLS) target: PutLogs over HTTP, natively asynchronous. Events are
    /// batched by the shared network base and each batch is sent as one protobuf LogGroup,
    /// compressed with <c>lz4</c>, <c>deflate</c> or not at all, and signed with the AccessKey.
    /// </summary>
    /// <remarks>
    /// Quota (<c>WriteQuotaExceed</c>, <c>ShardWriteQuotaExceed</c>), server errors, network
    /// errors and timeouts are retried with backoff; other 4xx answers drop that batch, counted
    /// as <c>rejected</c>. Requests carry at most 4096 logs and 3 MB of raw LogGroup.
    /// </remarks>
    [Target("AliyunSls")]
    public sealed class SlsTarget : PyLogNetworkTarget<SlsTarget.Item>
    {
        /// <summary>PutLogs limit: logs per request.</summary>
        public const int MaxLogsPerRequest = 4096;

        /// <summary>PutLogs limit: raw (uncompressed) LogGroup bytes per request.</summary>
        public const int MaxRawBytesPerRequest = 3 * 1024 * 1024;

        private readonly ProtoBuffer _body = new ProtoBuffer(64 * 1024);
        private readonly List<string?> _keys = new List<string?>();
        private LogGroupEncoder? _encoder;
        private SlsPutLogsClient? _client;
        private long _maxRawBytes = MaxRawBytesPerRequest;
        private readonly SecretText _secrets = new SecretText();

        /// <summary>Creates the target with the default contents (level, logger, message, exception).</summary>
        public SlsTarget()
        {
        }

        /// <summary>The service endpoint: <c>host</c>, <c>http://host[:port]</c> or <c>https://host[:port]</c> (e.g. <c>cn-hangzhou.log.aliyuncs.com</c>).</summary>
        /// <remarks>Default: none (required). Requests go to <c>{Project}.{host}</c>; for an IP literal or <c>localhost</c> they go to the host itself with <c>Host: {Project}.{host}</c>.</remarks>
        public Layout Endpoint { get; set; } = Layout.Empty;

        /// <summary>The SLS project.</summary>
        /// <remarks>Default: none (required). Rendered once at start-up.</remarks>
        public Layout Project { get; set; } = Layout.Empty;

        /// <summary>The logstore in <see cref="Project"/>.</summary>
        /// <remarks>Default: none (required). Rendered once at start-up.</remarks>
        public Layout Logstore { get; set; } = Layout.Empty;

        /// <summary>The AccessKey ID (or the STS temporary AccessKey ID).</summary>
        /// <remarks>Default: none (required). Rendered once at start-up, so <c>${environment:ALIYUN_ACCESS_KEY_ID}</c> works.</remarks>
        public Layout AccessKeyId { get; set; } = Layout.Empty;

        /// <summary>
        /// The AccessKey secret. Never logged. May reference the environment
        /// (<c>${environment:ALIYUN_ACCESS_KEY_SECRET}</c>), expanded once at start-up by the package
        /// itself; no other <c>${...}</c> is accepted.
        /// </summary>
        /// <remarks>
        /// Default: none (required). A string rather than a layout so that NLog's configuration scan,
        /// which traces every layout it meets, never sees the value.
        /// </remarks>
        public string? AccessKeySecret { get; set; }

        /// <summary>The STS security token, sent as <c>x-acs-security-token</c> and signed. Never logged; may reference the environment like <see cref="AccessKeySecret"/>.</summary>
        /// <remarks>Default: none (plain AccessKey).</remarks>
        public string? SecurityToken { get; set; }

        /// <summary>The LogGroup topic (<c>__topic__</c>).</summary>
        /// <remarks>Default: none. Rendered once at start-up: per-event values belong in a <c>&lt;content&gt;</c>.</remarks>
        public Layout? Topic { get; set; }

        /// <summary>The LogGroup source (<c>__source__</c>).</summary>
        /// <remarks>Default: this machine's first non-loopback IPv4 address (as the official SDKs do). Rendered once at start-up.</remarks>
        public Layout? Source { get; set; }

        /// <summary>The LogTags of every LogGroup: <c>&lt;tag name="..." value="..." /&gt;</c>.</summary>
        /// <remarks>Default: none.</remarks>
        [ArrayParameter(typeof(SlsTag), "tag")]
        public IList<SlsTag> Tags { get; } = new List<SlsTag>();

        /// <summary>
        /// The key/value pairs of each log: <c>&lt;content name="..." layout="..." /&gt;</c>. Empty values
        /// are left out unless the item sets <c>includeEmptyValue="true"</c>.
        /// </summary>
        /// <remarks>Default: when none is given, <c>level</c>, <c>logger</c>, <c>message</c> and <c>exception</c> (<c>${exception:format=tostring}</c>).</remarks>
        [ArrayParameter(typeof(TargetPropertyWithContext), "content")]
        public IList<TargetPropertyWithContext> Contents { get; } = new List<TargetPropertyWithContext>();

        /// <summary>Body compression: <c>lz4</c> (raw LZ4 block, managed code on every OS), <c>deflate</c> (zlib) or <c>none</c>.</summary>
        /// <remarks>Default: <c>lz4</c>, as the official SDKs.</remarks>
        public SlsCompression Compression { get; set; } = SlsCompression.Lz4;

        /// <summary>
        /// When set, each log is written to the shard whose hash range holds this key
        /// (<c>/shards/route?key=</c>): a 32-digit hex value is used as is, anything else is MD5-hashed.
        /// Events with different keys go in different requests.
        /// </summary>
        /// <remarks>Default: none (<c>/shards/lb</c>, load-balanced).</remarks>
        public Layout? ShardHashKey { get; set; }

        /// <summary>Upper bound of one PutLogs request (connect, send, answer); a timeout is retried.</summary>
        /// <remarks>Default: <c>15000</c> ms.</remarks>
        public int RequestTimeoutMilliseconds { get; set; } = 15000;

        /// <summary>The clock that dates requests (tests replace it).</summary>
        internal TimeProvider Clock { get; set; } = TimeProvider.System;

        /// <summary>The request client, once initialized (tests read its clock offset).</summary>
        internal SlsPutLogsClient? Client => _client;

        /// <inheritdoc/>
        protected override int MaxTransportBatchEvents => MaxLogsPerRequest;

        /// <inheritdoc/>
        protected override long MaxTransportBatchBytes => _maxRawBytes;

        /// <inheritdoc/>
        protected override void InitializeTarget()
        {
            base.InitializeTarget();

            var nullEvent = LogEventInfo.CreateNullEvent();
            string endpointText = Endpoint.Render(nullEvent);
            SlsEndpoint endpoint;
            try
            {
                endpoint = SlsEndpoint.Parse(endpointText);
            }
            catch (FormatException ex)
            {
                throw Invalid(nameof(Endpoint), endpointText, ex.Message);
            }
            string project = Required(Project, nameof(Project), nullEvent);
            string logstore = Required(Logstore, nameof(Logstore), nullEvent);
            string accessKeyId = Required(AccessKeyId, nameof(AccessKeyId), nullEvent);
            string secret = RenderSecret(AccessKeySecret, nameof(AccessKeySecret));
            if (string.IsNullOrEmpty(secret))
                throw Invalid(nameof(AccessKeySecret), string.Empty, "is required");
            if (!IsName(project, allowUnderscore: false))
                throw Invalid(nameof(Project), project, "may hold only letters, digits and '-'");
            if (!IsName(logstore, allowUnderscore: true))
                throw Invalid(nameof(Logstore), logstore, "may hold only letters, digits, '-' and '_'");
            if (RequestTimeoutMilliseconds <= 0)
                throw Invalid(nameof(RequestTimeoutMilliseconds), RequestTimeoutMilliseconds, "must be greater than 0");
            if (!Enum.IsDefined(Compression))
                throw Invalid(nameof(Compression), Compression, "must be lz4, deflate or none");

            var contents = new List<(string, Layout, bool)>();
            foreach (var content in Contents)
            {
                if (string.IsNullOrEmpty(content.Name))
                    throw Invalid(nameof(Contents), string.Empty, "items need a name");
                contents.Add((content.Name, content.Layout ?? Layout.Empty, content.IncludeEmptyValue));
            }
            if (contents.Count == 0)
            {
                contents.Add(("level", "${level}", false));
                contents.Add(("logger", "${logger}", false));
                contents.Add(("message", "${message}", false));
                contents.Add(("exception", "${exception:format=tostring}", false));
            }

            var tags = new List<KeyValuePair<string, string>>();
            foreach (var tag in Tags)
            {
                if (string.IsNullOrEmpty(tag.Name))
                    throw Invalid(nameof(Tags), string.Empty, "items need a name");
                tags.Add(new KeyValuePair<string, string>(tag.Name, tag.Value?.Render(nullEvent) ?? string.Empty));
            }

            string? topic = Topic?.Render(nullEvent);
            string source = Source?.Render(nullEvent) ?? LocalAddress();
            _encoder = new LogGroupEncoder(contents, topic, source, tags);
            _maxRawBytes = MaxRawBytesPerRequest - _encoder.GroupSuffix.Length;

            string token = RenderSecret(SecurityToken, nameof(SecurityToken));
            var signer = new SlsRequestSigner(accessKeyId, secret);
            _client?.Dispose();
            _client = new SlsPutLogsClient(endpoint, project, logstore, signer, token, SlsCompressor.Create(Compression), TimeSpan.FromMilliseconds(RequestTimeoutMilliseconds), Clock);
        }

        /// <summary>RenderItem touches only its own scratch buffers, so the next batch renders while one is sent.</summary>
        protected override bool OverlapRenderingWithSend => true;

        /// <inheritdoc/>
        protected override Item RenderItem(LogEventInfo logEvent, out int sizeBytes)
        {
            var log = _encoder!.EncodeLog(logEvent);
            sizeBytes = LogGroupEncoder.SizeInGroup(log);
            if (sizeBytes > _maxRawBytes)
                throw new InvalidOperationException("One log encodes to " + sizeBytes + " bytes; a PutLogs request holds at most " + _maxRawBytes + ".");
            string? hashKey = ShardHashKey is null ? null : HashKey(RenderLogEvent(ShardHashKey, logEvent));
            return new Item(log, hashKey);
        }

        /// <inheritdoc/>
        protected override async Task SendBatchAsync(NetworkBatch<Item> batch, CancellationToken cancellationToken)
        {
            var client = _client ?? throw new InvalidOperationException("The SLS target is not initialized.");

            // One request per distinct shard key (a single one unless ShardHashKey varies).
            _keys.Clear();
            for (int i = 0; i < batch.Count; i++)
            {
                if (!batch.IsSettled(i) && !_keys.Contains(batch[i].HashKey))
                    _keys.Add(batch[i].HashKey);
            }

            for (int k = 0; k < _keys.Count; k++)
            {
                string? key = _keys[k];
                var body = _body;
                body.Reset();
                for (int i = 0; i < batch.Count; i++)
                {
                    if (!batch.IsSettled(i) && batch[i].HashKey == key)
                        LogGroupEncoder.AppendLog(body, batch[i].Log);
                }
                body.WriteRaw(_encoder!.GroupSuffix);

                await client.PutLogsAsync(new ArraySegment<byte>(body.Data, 0, body.Length), key, cancellationToken).ConfigureAwait(false);

                if (_keys.Count > 1)
                {
                    // Settle this key's logs so that a failure of a later key does not resend them.
                    for (int i = 0; i < batch.Count; i++)
                    {
                        if (!batch.IsSettled(i) && batch[i].HashKey == key)
                            batch.MarkDelivered(i);
                    }
                }
            }
        }

        /// <inheritdoc/>
        protected override FailureKind ClassifyFailure(Exception exception) => SlsErrorClassifier.Classify(exception);

        /// <inheritdoc/>
        protected override void CloseTransport(TimeSpan timeout)
        {
            _client?.Dispose();
            _client = null;
        }

        private string Required(Layout layout, string property, LogEventInfo nullEvent)
        {
            string value = layout.Render(nullEvent);
            if (string.IsNullOrWhiteSpace(value))
                throw Invalid(property, value, "is required");
            return value.Trim();
        }

        /// <summary>A secret option through the package's one secret mechanism (<c>${environment:NAME}</c> only, never NLog's layout engine).</summary>
        private string RenderSecret(string? text, string property)
        {
            return _secrets.Expand(text, $"AliyunSls target '{Name}': {property}") ?? string.Empty;
        }

        private static bool IsName(string value, bool allowUnderscore)
        {
            foreach (char c in value)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || (allowUnderscore && c == '_')))
                    return false;
            }
            return true;
        }

        private static string HashKey(string key)
        {
            if (key.Length == 32 && IsHex(key))
                return key.ToLowerInvariant();
            Span<byte> hash = stackalloc byte[16];
            MD5.HashData(Encoding.UTF8.GetBytes(key), hash);
            return Convert.ToHexString(hash).ToLowerInvariant();
        }

        private static bool IsHex(string value)
        {
            foreach (char c in value)
            {
                if (!char.IsAsciiHexDigit(c))
                    return false;
            }
            return true;
        }

        private static string LocalAddress()
        {
            try
            {
                foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
                {
                    if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
                        continue;
                    foreach (var address in nic.GetIPProperties().UnicastAddresses)
                    {
                        if (address.Address.AddressFamily == AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(address.Address))
                            return address.Address.ToString();
                    }
                }
            }
            catch (NetworkInformationException)
            {
                // Fall through to the loopback address, as the official SDKs do.
            }
            return "127.0.0.1";
        }

        /// <summary>One event encoded as the body of an SLS <c>Log</c> message, with its shard key.</summary>
        public readonly struct Item
        {
            internal Item(byte[] log, string? hashKey)
            {
                Log = log;
                HashKey = hashKey;
            }

            /// <summary>The encoded <c>Log</c> message (time, contents, nanoseconds).</summary>
            public byte[] Log { get; }

            /// <summary>The 32-digit hex shard key, or null for load-balanced writes.</summary>
            public string? HashKey { get; }
        }
    }
}
