using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace NLog.Targets.PyLog.Sls
{
    /// <summary>
    /// Sends one serialized LogGroup per PutLogs request over one reused <see cref="HttpClient"/>:
    /// compresses, signs, posts, and turns an error answer into <see cref="SlsServiceException"/>.
    /// </summary>
    internal sealed class SlsPutLogsClient : IDisposable
    {
        private const string ApiVersion = "0.6.0";
        private const string ContentType = "application/x-protobuf";
        private static readonly string s_userAgent = "NLog.Targets.PyLog/" + typeof(SlsPutLogsClient).Assembly.GetName().Version?.ToString(3);

        private readonly HttpClient _http;
        private readonly SlsEndpoint _endpoint;
        private readonly string _project;
        private readonly string _lbPath;
        private readonly string _routePath;
        private readonly string _hostHeader;
        private readonly Uri _baseAddress;
        private readonly SlsRequestSigner _signer;
        private readonly string? _securityToken;
        private readonly SlsCompressor _compressor;
        private readonly TimeSpan _requestTimeout;
        private readonly TimeProvider _clock;
        private readonly List<KeyValuePair<string, string>> _headers = new List<KeyValuePair<string, string>>(6);
        private readonly KeyValuePair<string, string>[] _query = new KeyValuePair<string, string>[1];
        private TimeSpan _clockOffset;

        public SlsPutLogsClient(SlsEndpoint endpoint, string project, string logstore, SlsRequestSigner signer, string? securityToken, SlsCompressor compressor, TimeSpan requestTimeout, TimeProvider clock, HttpMessageHandler? handler = null)
        {
            _endpoint = endpoint;
            _project = project;
            _lbPath = "/logstores/" + logstore + "/shards/lb";
            _routePath = "/logstores/" + logstore + "/shards/route";
            _hostHeader = endpoint.HostHeader(project);
            _baseAddress = endpoint.BaseAddress(project);
            _signer = signer;
            _securityToken = string.IsNullOrEmpty(securityToken) ? null : securityToken;
            _compressor = compressor;
            _requestTimeout = requestTimeout;
            _clock = clock;
            handler ??= new SocketsHttpHandler
            {
                ConnectTimeout = requestTimeout < TimeSpan.FromSeconds(10) ? requestTimeout : TimeSpan.FromSeconds(10),
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                UseCookies = false,
            };
            // Timeouts are per request (linked with the target's close token), not HttpClient-wide.
            _http = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        }

        /// <summary>Server time minus local time, learnt from a <c>RequestTimeExpired</c> answer.</summary>
        public TimeSpan ClockOffset => _clockOffset;

        /// <summary>
        /// Posts <paramref name="rawLogGroup"/>. A <c>RequestTimeExpired</c> answer (the local clock
        /// is off by more than the service's 15 minutes) adopts the server's clock from the
        /// answer's <c>Date</c> and re-signs once with a fresh date before giving up.
        /// </summary>
        public async Task PutLogsAsync(ArraySegment<byte> rawLogGroup, string? hashKey, CancellationToken cancellationToken)
        {
            var body = _compressor.Compress(rawLogGroup);
            string md5 = SlsRequestSigner.ContentMd5(body);
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    await PostAsync(body, md5, rawLogGroup.Count, hashKey, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (SlsServiceException ex) when (ex.ErrorCode == SlsErrorClassifier.RequestTimeExpired && attempt == 0)
                {
                    // Loop: the next attempt is signed with the corrected clock.
                }
            }
        }

        private async Task PostAsync(ArraySegment<byte> body, string md5, int rawSize, string? hashKey, CancellationToken cancellationToken)
        {
            string date = (_clock.GetUtcNow() + _clockOffset).ToString("r", CultureInfo.InvariantCulture);

            var headers = _headers;
            headers.Clear();
            if (_securityToken != null)
                headers.Add(new KeyValuePair<string, string>("x-acs-security-token", _securityToken));
            headers.Add(new KeyValuePair<string, string>("x-log-apiversion", ApiVersion));
            headers.Add(new KeyValuePair<string, string>("x-log-bodyrawsize", rawSize.ToString(CultureInfo.InvariantCulture)));
            if (_compressor.HeaderValue != null)
                headers.Add(new KeyValuePair<string, string>("x-log-compresstype", _compressor.HeaderValue));
            headers.Add(new KeyValuePair<string, string>("x-log-signaturemethod", "hmac-sha1"));

            string path;
            string pathAndQuery;
            KeyValuePair<string, string>[]? query = null;
            if (hashKey is null)
            {
                path = _lbPath;
                pathAndQuery = path;
            }
            else
            {
                path = _routePath;
                _query[0] = new KeyValuePair<string, string>("key", hashKey);
                query = _query;
                pathAndQuery = path + "?key=" + Uri.EscapeDataString(hashKey);
            }

            string authorization = _signer.Authorization("POST", md5, ContentType, date, headers, path, query);

            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseAddress, pathAndQuery));
            request.Version = System.Net.HttpVersion.Version11;
            if (_endpoint.ConnectsDirectly)
                request.Headers.Host = _hostHeader;
            request.Headers.TryAddWithoutValidation("Date", date);
            request.Headers.TryAddWithoutValidation("User-Agent", s_userAgent);
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            for (int i = 0; i < headers.Count; i++)
                request.Headers.TryAddWithoutValidation(headers[i].Key, headers[i].Value);
            var content = new ReadOnlyMemoryContent(body.AsMemory());
            content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            content.Headers.TryAddWithoutValidation("Content-MD5", md5);
            request.Content = content;

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_requestTimeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException("SLS PutLogs to " + _endpoint + " did not answer within " + (int)_requestTimeout.TotalMilliseconds + " ms.");
            }

            using (response)
            {
                if (response.IsSuccessStatusCode)
                    return;

                byte[] errorBody;
                try
                {
                    errorBody = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    errorBody = Array.Empty<byte>();
                }
                string? requestId = response.Headers.TryGetValues("x-log-requestid", out var ids) ? string.Join(",", ids) : null;
                var error = SlsServiceException.FromResponse((int)response.StatusCode, errorBody, requestId);
                if (error.ErrorCode == SlsErrorClassifier.RequestTimeExpired && response.Headers.Date is DateTimeOffset serverNow)
                    _clockOffset = serverNow - _clock.GetUtcNow();
                throw error;
            }
        }

        public void Dispose() => _http.Dispose();

        public override string ToString() => "SLS " + _project + "@" + _endpoint;
    }
}
