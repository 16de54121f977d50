using System;
using System.Collections.Generic;
using System.Net.NetworkInformation;
using System.Net.Sockets;
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
    public sealed class SlsTarget : PyLogNetworkTarget
    {
        /// <summary>PutLogs limit: logs per request.</summary>
        public const int MaxLogsPerRequest = 4096;

        /// <summary>PutLogs limit: raw (uncompressed) LogGroup bytes per request.</summary>
        public const int MaxRawBytesPerRequest = 3 * 1024 * 1024;

        private SlsTransport? _transport;

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
        /// (<c>${environment:ALIYUN_ACCESS_KEY_SECRET}</c>); it is rendered once at start-up, privately.
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
        internal SlsPutLogsClient? Client => _transport?.Client;

        /// <inheritdoc/>
        private protected override NetworkTransport CreateTransport()
        {
            var nullEvent = LogEventInfo.CreateNullEvent();
            string endpointText = Endpoint.Render(nullEvent);
            SlsEndpoint endpoint;
            try
            {
                endpoint = SlsEndpoint.Parse(endpointText);
            }
            catch (FormatException ex)
            {
                throw ConfigurationErrors.Invalid(this, nameof(Endpoint), endpointText, ex.Message);
            }
            string project = Required(Project, nameof(Project), nullEvent);
            string logstore = Required(Logstore, nameof(Logstore), nullEvent);
            string accessKeyId = Required(AccessKeyId, nameof(AccessKeyId), nullEvent);
            string secret = RenderSecret(AccessKeySecret, nullEvent);
            if (string.IsNullOrEmpty(secret))
                throw ConfigurationErrors.Invalid(this, nameof(AccessKeySecret), string.Empty, "is required");
            if (!IsName(project, allowUnderscore: false))
                throw ConfigurationErrors.Invalid(this, nameof(Project), project, "may hold only letters, digits and '-'");
            if (!IsName(logstore, allowUnderscore: true))
                throw ConfigurationErrors.Invalid(this, nameof(Logstore), logstore, "may hold only letters, digits, '-' and '_'");
            ConfigurationErrors.RequirePositive(this, RequestTimeoutMilliseconds, nameof(RequestTimeoutMilliseconds));
            if (!Enum.IsDefined(Compression))
                throw ConfigurationErrors.Invalid(this, nameof(Compression), Compression, "must be lz4, deflate or none");

            var contents = new List<(string, Layout, bool)>();
            foreach (var content in Contents)
            {
                if (string.IsNullOrEmpty(content.Name))
                    throw ConfigurationErrors.Invalid(this, nameof(Contents), string.Empty, "items need a name");
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
                    throw ConfigurationErrors.Invalid(this, nameof(Tags), string.Empty, "items need a name");
                tags.Add(new KeyValuePair<string, string>(tag.Name, tag.Value?.Render(nullEvent) ?? string.Empty));
            }

            string? topic = Topic?.Render(nullEvent);
            string source = Source?.Render(nullEvent) ?? LocalAddress();
            var encoder = new LogGroupEncoder(contents, topic, source, tags);
            string token = RenderSecret(SecurityToken, nullEvent);
            var signer = new SlsRequestSigner(accessKeyId, secret);
            var client = new SlsPutLogsClient(endpoint, project, logstore, signer, token, SlsCompressor.Create(Compression), TimeSpan.FromMilliseconds(RequestTimeoutMilliseconds), Clock);
            _transport = new SlsTransport(this, encoder, client, ShardHashKey);
            return _transport;
        }

        private string Required(Layout layout, string property, LogEventInfo nullEvent)
        {
            string value = layout.Render(nullEvent);
            if (string.IsNullOrWhiteSpace(value))
                throw ConfigurationErrors.Invalid(this, property, value, "is required");
            return value.Trim();
        }

        /// <summary>Renders a secret through a layout that NLog's configuration never holds (so never traces).</summary>
        private string RenderSecret(string? text, LogEventInfo nullEvent)
        {
            if (string.IsNullOrEmpty(text) || !text.Contains("${", StringComparison.Ordinal))
                return text ?? string.Empty;
            var layout = Layout.FromString(text);
            return layout.Render(nullEvent);
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
    }
}
