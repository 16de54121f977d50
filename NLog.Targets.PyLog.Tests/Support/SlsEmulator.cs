using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>One log as the emulator stored it.</summary>
    public sealed class SlsReceivedLog
    {
        public uint Time { get; set; }
        public uint? TimeNs { get; set; }
        public List<KeyValuePair<string, string>> Contents { get; } = new List<KeyValuePair<string, string>>();
        public string? Topic { get; set; }
        public string? Source { get; set; }
        public List<KeyValuePair<string, string>> Tags { get; set; } = new List<KeyValuePair<string, string>>();
        public string? HashKey { get; set; }

        public string? this[string key] => Contents.FirstOrDefault(c => c.Key == key).Value;
    }

    /// <summary>One PutLogs request the emulator accepted or refused.</summary>
    public sealed class SlsReceivedRequest
    {
        public string Path { get; set; } = string.Empty;
        public Dictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        public int BodyLength { get; set; }
        public byte[] Body { get; set; } = Array.Empty<byte>();
        public int RawLength { get; set; }
        public int LogCount { get; set; }
        public int Status { get; set; }
        public string? ErrorCode { get; set; }
    }

    /// <summary>What the emulator answers instead of processing a request.</summary>
    public sealed record SlsFault(int Status, string? ErrorCode, string? Message = null, int DelayMilliseconds = 0);

    /// <summary>
    /// An Aliyun SLS PutLogs emulator on loopback: a small HTTP/1.1 server that does to a request
    /// what the service does — checks the Host, path and headers, the Content-MD5, the v1
    /// signature (computed here from the known secret, independently of the target's signer),
    /// the date window, decompresses (lz4 through the tests' own block decoder, zlib), checks
    /// x-log-bodyrawsize and the 4096 logs / 3 MB limits, parses the LogGroup protobuf with its
    /// own reader, and stores the logs. Faults can be queued for the next requests.
    /// </summary>
    public sealed class SlsEmulator : IDisposable
    {
        public const int MaxRawBytes = 3 * 1024 * 1024;
        public const int MaxLogs = 4096;

        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly ConcurrentQueue<SlsFault> _faults = new ConcurrentQueue<SlsFault>();
        private readonly ConcurrentQueue<SlsReceivedLog> _logs = new ConcurrentQueue<SlsReceivedLog>();
        private readonly ConcurrentQueue<SlsReceivedRequest> _requests = new ConcurrentQueue<SlsReceivedRequest>();
        private readonly ConcurrentDictionary<TcpClient, bool> _clients = new ConcurrentDictionary<TcpClient, bool>();
        private readonly Task _acceptLoop;
        private int _requestCounter;

        public SlsEmulator(string project = "test-project", string logstore = "test-logstore", string accessKeyId = "test-key-id", string accessKeySecret = "test-key-secret", int port = 0)
        {
            Project = project;
            Logstore = logstore;
            AccessKeyId = accessKeyId;
            AccessKeySecret = accessKeySecret;
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _acceptLoop = Task.Run(AcceptLoopAsync);
        }

        public string Project { get; }
        public string Logstore { get; }
        public string AccessKeyId { get; }
        public string AccessKeySecret { get; }
        public int Port { get; }

        /// <summary>The endpoint option that reaches this emulator.</summary>
        public string Endpoint => "http://127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

        /// <summary>When set, requests must carry this STS token in x-acs-security-token.</summary>
        public string? RequiredSecurityToken { get; set; }

        /// <summary>The emulator's clock relative to the machine's (to provoke RequestTimeExpired).</summary>
        public TimeSpan ClockOffset { get; set; }

        public IReadOnlyList<SlsReceivedLog> Logs => _logs.ToArray();

        public IReadOnlyList<SlsReceivedRequest> Requests => _requests.ToArray();

        public int LogCount => _logs.Count;

        /// <summary>Answers the next <paramref name="count"/> requests with <paramref name="fault"/>.</summary>
        public void FailNext(int count, SlsFault fault)
        {
            for (int i = 0; i < count; i++)
                _faults.Enqueue(fault);
        }

        public static SlsFault QuotaExceeded => new SlsFault(403, "WriteQuotaExceed", "Project write quota exceed");
        public static SlsFault InternalError => new SlsFault(500, "InternalServerError", "internal server error");
        public static SlsFault BodyTooLarge => new SlsFault(400, "PostBodyTooLarge", "Logs must be less than or equal to 3 MB and 4096 entries.");
        public static SlsFault Slow(int milliseconds) => new SlsFault(200, null, null, milliseconds);

        public int PendingFaults => _faults.Count;

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            foreach (var client in _clients.Keys)
                client.Dispose();
            try
            {
                _acceptLoop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }
            _stop.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (SocketException)
                {
                    return;
                }
                _clients[client] = true;
                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            try
            {
                client.NoDelay = true;
                var stream = client.GetStream();
                var reader = new HttpReader(stream);
                while (!_stop.IsCancellationRequested)
                {
                    var request = await reader.ReadRequestAsync(_stop.Token).ConfigureAwait(false);
                    if (request is null)
                        return;
                    var (status, code, message, requestId, date) = await HandleAsync(request).ConfigureAwait(false);
                    await WriteResponseAsync(stream, status, code, message, requestId, date).ConfigureAwait(false);
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
            catch (IOException)
            {
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            finally
            {
                _clients.TryRemove(client, out _);
                client.Dispose();
            }
        }

        private async Task<(int, string?, string?, string, DateTimeOffset)> HandleAsync(HttpRequest request)
        {
            string requestId = "EMU" + Interlocked.Increment(ref _requestCounter).ToString("D8", CultureInfo.InvariantCulture);
            var record = new SlsReceivedRequest { Path = request.Target, BodyLength = request.Body.Length, Body = request.Body };
            foreach (var header in request.Headers)
                record.Headers[header.Key] = header.Value;
            var now = DateTimeOffset.UtcNow + ClockOffset;

            (int Status, string? Code, string? Message) result;
            if (_faults.TryDequeue(out var fault))
            {
                if (fault.DelayMilliseconds > 0)
                    await Task.Delay(fault.DelayMilliseconds).ConfigureAwait(false);
                result = fault.Status == 200 ? Process(request, record, now) : (fault.Status, fault.ErrorCode, fault.Message);
            }
            else
            {
                result = Process(request, record, now);
            }
            record.Status = result.Status;
            record.ErrorCode = result.Code;
            _requests.Enqueue(record);
            return (result.Status, result.Code, result.Message, requestId, now);
        }

        private (int, string?, string?) Process(HttpRequest request, SlsReceivedRequest record, DateTimeOffset now)
        {
            if (request.Method != "POST")
                return (405, "MethodNotAllowed", "only PutLogs is emulated");
            if (!request.Headers.TryGetValue("Host", out var host) || !host.StartsWith(Project + ".", StringComparison.Ordinal))
                return (404, "ProjectNotExist", "The Project does not exist : " + host);

            string path = request.Target;
            string? hashKey = null;
            var query = new List<KeyValuePair<string, string>>();
            int q = path.IndexOf('?');
            if (q >= 0)
            {
                foreach (var part in path.Substring(q + 1).Split('&'))
                {
                    int eq = part.IndexOf('=');
                    query.Add(new KeyValuePair<string, string>(Uri.UnescapeDataString(eq < 0 ? part : part.Substring(0, eq)), eq < 0 ? string.Empty : Uri.UnescapeDataString(part.Substring(eq + 1))));
                }
                path = path.Substring(0, q);
            }
            if (path == "/logstores/" + Logstore + "/shards/route")
            {
                hashKey = query.FirstOrDefault(p => p.Key == "key").Value;
                if (hashKey is null || hashKey.Length != 32 || !hashKey.All(Uri.IsHexDigit))
                    return (400, "InvalidParameter", "key must be a 128-bit hex hash");
            }
            else if (path != "/logstores/" + Logstore + "/shards/lb")
            {
                return (404, "LogStoreNotExist", "logstore " + path + " does not exist");
            }

            string H(string name) => request.Headers.TryGetValue(name, out var v) ? v : string.Empty;
            if (H("x-log-apiversion") != "0.6.0")
                return (400, "InvalidAPIVersion", "x-log-apiversion must be 0.6.0");
            if (H("x-log-signaturemethod") != "hmac-sha1")
                return (400, "InvalidSignatureMethod", "x-log-signaturemethod must be hmac-sha1");
            if (H("Content-Type") != "application/x-protobuf")
                return (400, "InvalidContentType", "Content-Type must be application/x-protobuf");
            if (H("Content-MD5") != Convert.ToHexString(MD5.HashData(request.Body)))
                return (400, "InvalidContentMD5", "Content-MD5 does not match the body");

            // Authorization: LOG id:signature over the v1 string to sign.
            string authorization = H("Authorization");
            if (!authorization.StartsWith("LOG ", StringComparison.Ordinal) || authorization.IndexOf(':') < 0)
                return (401, "Unauthorized", "bad Authorization header");
            string keyId = authorization.Substring(4, authorization.IndexOf(':') - 4);
            if (keyId != AccessKeyId)
                return (401, "InvalidAccessKeyId", "AccessKeyId not found: " + keyId);
            string expected = Sign(AccessKeySecret, "POST", H("Content-MD5"), H("Content-Type"), H("Date"), request.Headers, path, query);
            if (authorization.Substring(authorization.IndexOf(':') + 1) != expected)
                return (401, "SignatureNotMatch", "signature " + authorization.Substring(authorization.IndexOf(':') + 1) + " not match");
            if (RequiredSecurityToken != null && H("x-acs-security-token") != RequiredSecurityToken)
                return (401, "Unauthorized", "the security token is missing or invalid");
            if (!DateTimeOffset.TryParseExact(H("Date"), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
                return (400, "InvalidDate", "Date is not RFC 1123");
            if ((date - now).Duration() > TimeSpan.FromMinutes(15))
                return (400, "RequestTimeExpired", "Request time " + H("Date") + " has been expired while server time is " + now.ToString("r", CultureInfo.InvariantCulture));

            if (!int.TryParse(H("x-log-bodyrawsize"), NumberStyles.None, CultureInfo.InvariantCulture, out int rawSize))
                return (400, "InvalidBodyRawSize", "x-log-bodyrawsize is required");
            if (rawSize > MaxRawBytes)
                return (400, "PostBodyTooLarge", "body raw size " + rawSize + " is larger than 3 MB");
            byte[] raw;
            try
            {
                raw = Decompress(request.Headers.TryGetValue("x-log-compresstype", out var type) ? type : null, request.Body, rawSize);
            }
            catch (Exception ex) when (ex is InvalidDataException || ex is InvalidOperationException)
            {
                return (400, "PostBodyUncompressError", ex.Message);
            }
            if (raw.Length != rawSize)
                return (400, "PostBodyUncompressError", "raw size " + raw.Length + " differs from x-log-bodyrawsize " + rawSize);
            record.RawLength = raw.Length;

            List<SlsReceivedLog> logs;
            try
            {
                logs = LogGroupReader.Parse(raw);
            }
            catch (InvalidDataException ex)
            {
                return (400, "PostBodyInvalid", ex.Message);
            }
            if (logs.Count > MaxLogs)
                return (400, "PostBodyTooLarge", logs.Count + " logs is more than 4096");
            record.LogCount = logs.Count;
            foreach (var log in logs)
            {
                log.HashKey = hashKey;
                _logs.Enqueue(log);
            }
            return (200, null, null);
        }

        /// <summary>The v1 signature, written from the service documentation (independent of the target's signer).</summary>
        public static string Sign(string secret, string verb, string md5, string contentType, string date, IReadOnlyDictionary<string, string> headers, string path, IEnumerable<KeyValuePair<string, string>> query)
        {
            var signedHeaders = headers
                .Select(h => new KeyValuePair<string, string>(h.Key.ToLowerInvariant(), h.Value))
                .Where(h => h.Key.StartsWith("x-log-", StringComparison.Ordinal) || h.Key.StartsWith("x-acs-", StringComparison.Ordinal))
                .OrderBy(h => h.Key, StringComparer.Ordinal)
                .Select(h => h.Key + ":" + h.Value + "\n");
            var sortedQuery = query.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value).ToList();
            string resource = sortedQuery.Count == 0 ? path : path + "?" + string.Join("&", sortedQuery);
            string text = verb + "\n" + md5 + "\n" + contentType + "\n" + date + "\n" + string.Concat(signedHeaders) + resource;
            using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(secret));
            return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(text)));
        }

        private static byte[] Decompress(string? type, byte[] body, int rawSize)
        {
            switch (type)
            {
                case null:
                    return body;
                case "deflate":
                    using (var input = new ZLibStream(new MemoryStream(body), CompressionMode.Decompress))
                    using (var output = new MemoryStream())
                    {
                        input.CopyTo(output);
                        return output.ToArray();
                    }
                case "lz4":
                    return Lz4Decompress(body, rawSize);
                default:
                    throw new InvalidOperationException("unknown x-log-compresstype " + type);
            }
        }

        public static byte[] Lz4Decompress(byte[] body, int rawSize) => Lz4BlockDecoder.Decode(body, rawSize);

        private static async Task WriteResponseAsync(Stream stream, int status, string? code, string? message, string requestId, DateTimeOffset date)
        {
            string body = status == 200 ? string.Empty
                : "{\"errorCode\":\"" + code + "\",\"errorMessage\":\"" + (message ?? string.Empty).Replace("\"", "'") + "\"}";
            var bodyBytes = Encoding.UTF8.GetBytes(body);
            var head = new StringBuilder()
                .Append("HTTP/1.1 ").Append(status).Append(' ').Append(status == 200 ? "OK" : "Error").Append("\r\n")
                .Append("Server: sls-emulator\r\n")
                .Append("Date: ").Append(date.ToString("r", CultureInfo.InvariantCulture)).Append("\r\n")
                .Append("x-log-requestid: ").Append(requestId).Append("\r\n")
                .Append("Content-Length: ").Append(bodyBytes.Length).Append("\r\n");
            if (bodyBytes.Length > 0)
                head.Append("Content-Type: application/json\r\n");
            head.Append("\r\n");
            var headBytes = Encoding.ASCII.GetBytes(head.ToString());
            await stream.WriteAsync(headBytes).ConfigureAwait(false);
            await stream.WriteAsync(bodyBytes).ConfigureAwait(false);
            await stream.FlushAsync().ConfigureAwait(false);
        }

        private sealed class HttpRequest
        {
            public string Method { get; set; } = string.Empty;
            public string Target { get; set; } = string.Empty;
            public Dictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            public byte[] Body { get; set; } = Array.Empty<byte>();
        }

        /// <summary>Reads HTTP/1.1 requests with a Content-Length body from a keep-alive connection.</summary>
        private sealed class HttpReader
        {
            private readonly Stream _stream;
            private byte[] _buffer = new byte[64 * 1024];
            private int _start;
            private int _end;

            public HttpReader(Stream stream) => _stream = stream;

            public async Task<HttpRequest?> ReadRequestAsync(CancellationToken cancellationToken)
            {
                int headerEnd;
                while ((headerEnd = IndexOfHeaderEnd()) < 0)
                {
                    if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                        return null;
                }
                var headText = Encoding.ASCII.GetString(_buffer, _start, headerEnd - _start);
                _start = headerEnd + 4;
                var lines = headText.Split("\r\n");
                var requestLine = lines[0].Split(' ');
                var request = new HttpRequest { Method = requestLine[0], Target = requestLine[1] };
                for (int i = 1; i < lines.Length; i++)
                {
                    int colon = lines[i].IndexOf(':');
                    if (colon > 0)
                        request.Headers[lines[i].Substring(0, colon).Trim()] = lines[i].Substring(colon + 1).Trim();
                }
                int length = request.Headers.TryGetValue("Content-Length", out var cl) ? int.Parse(cl, CultureInfo.InvariantCulture) : 0;
                var body = new byte[length];
                int copied = 0;
                while (copied < length)
                {
                    if (_end == _start && !await FillAsync(cancellationToken).ConfigureAwait(false))
                        return null;
                    int n = Math.Min(length - copied, _end - _start);
                    Buffer.BlockCopy(_buffer, _start, body, copied, n);
                    _start += n;
                    copied += n;
                }
                request.Body = body;
                return request;
            }

            private int IndexOfHeaderEnd()
            {
                var span = _buffer.AsSpan(_start, _end - _start);
                int i = span.IndexOf("\r\n\r\n"u8);
                return i < 0 ? -1 : _start + i;
            }

            private async Task<bool> FillAsync(CancellationToken cancellationToken)
            {
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                if (_end == _buffer.Length)
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                int n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                    return false;
                _end += n;
                return true;
            }
        }
    }

    /// <summary>
    /// A protobuf reader for the SLS LogGroup written from sls.proto, sharing no code with the
    /// target's encoder.
    /// </summary>
    public static class LogGroupReader
    {
        public static List<SlsReceivedLog> Parse(byte[] data)
        {
            var logs = new List<SlsReceivedLog>();
            string? topic = null;
            string? source = null;
            var tags = new List<KeyValuePair<string, string>>();
            int pos = 0;
            while (pos < data.Length)
            {
                var (field, wire) = Key(data, ref pos);
                switch (field, wire)
                {
                    case (1, 2):
                        logs.Add(ParseLog(Bytes(data, ref pos)));
                        break;
                    case (3, 2):
                        topic = Encoding.UTF8.GetString(Bytes(data, ref pos));
                        break;
                    case (4, 2):
                        source = Encoding.UTF8.GetString(Bytes(data, ref pos));
                        break;
                    case (6, 2):
                        tags.Add(ParsePair(Bytes(data, ref pos)));
                        break;
                    default:
                        Skip(data, ref pos, wire);
                        break;
                }
            }
            foreach (var log in logs)
            {
                log.Topic = topic;
                log.Source = source;
                log.Tags = tags;
            }
            return logs;
        }

        private static SlsReceivedLog ParseLog(byte[] data)
        {
            var log = new SlsReceivedLog();
            bool hasTime = false;
            int pos = 0;
            while (pos < data.Length)
            {
                var (field, wire) = Key(data, ref pos);
                if (field == 1 && wire == 0)
                {
                    log.Time = (uint)Varint(data, ref pos);
                    hasTime = true;
                }
                else if (field == 2 && wire == 2)
                {
                    log.Contents.Add(ParsePair(Bytes(data, ref pos)));
                }
                else if (field == 4 && wire == 5)
                {
                    if (pos + 4 > data.Length)
                        throw new InvalidDataException("truncated TimeNs");
                    log.TimeNs = BitConverter.ToUInt32(data, pos);
                    pos += 4;
                }
                else
                {
                    Skip(data, ref pos, wire);
                }
            }
            if (!hasTime)
                throw new InvalidDataException("Log without the required Time");
            return log;
        }

        private static KeyValuePair<string, string> ParsePair(byte[] data)
        {
            string? key = null;
            string? value = null;
            int pos = 0;
            while (pos < data.Length)
            {
                var (field, wire) = Key(data, ref pos);
                if (field == 1 && wire == 2)
                    key = Encoding.UTF8.GetString(Bytes(data, ref pos));
                else if (field == 2 && wire == 2)
                    value = Encoding.UTF8.GetString(Bytes(data, ref pos));
                else
                    Skip(data, ref pos, wire);
            }
            if (key is null || value is null)
                throw new InvalidDataException("Key and Value are required");
            return new KeyValuePair<string, string>(key, value);
        }

        private static (int, int) Key(byte[] data, ref int pos)
        {
            ulong key = Varint(data, ref pos);
            return ((int)(key >> 3), (int)(key & 7));
        }

        private static ulong Varint(byte[] data, ref int pos)
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (pos >= data.Length)
                    throw new InvalidDataException("truncated varint");
                byte b = data[pos++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                    return value;
            }
            throw new InvalidDataException("varint too long");
        }

        private static byte[] Bytes(byte[] data, ref int pos)
        {
            int length = checked((int)Varint(data, ref pos));
            if (length < 0 || pos + length > data.Length)
                throw new InvalidDataException("truncated length-delimited field");
            var result = data.AsSpan(pos, length).ToArray();
            pos += length;
            return result;
        }

        private static void Skip(byte[] data, ref int pos, int wire)
        {
            switch (wire)
            {
                case 0: Varint(data, ref pos); break;
                case 1: pos += 8; break;
                case 2: Bytes(data, ref pos); break;
                case 5: pos += 4; break;
                default: throw new InvalidDataException("unknown wire type " + wire);
            }
        }
    }
}
