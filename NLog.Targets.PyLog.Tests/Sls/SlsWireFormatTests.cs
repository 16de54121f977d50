using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Sls;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Sls
{
    /// <summary>
    /// The request bytes checked against values computed outside this code base: the official
    /// SDKs' own test vectors and a request built by hand (see each test).
    /// </summary>
    [TestClass]
    public sealed class SlsWireFormatTests
    {
        private static KeyValuePair<string, string> P(string k, string v) => new KeyValuePair<string, string>(k, v);

        // aliyun/aliyun-log-nodejs-sdk test/client.test.js, 'sign POST'.
        [TestMethod]
        public void Signer_matches_the_nodejs_sdk_post_vector()
        {
            var signer = new SlsRequestSigner("bq2sjzesjmo86kq35behupbq", "4fdO2fTDDnZPU/L7CHNdemB2Nsk=");
            var headers = new[]
            {
                P("x-log-apiversion", "0.6.0"), P("x-log-signaturemethod", "hmac-sha1"), P("content-md5", "1DD45FA4A70A9300CC9FE7305AF2C494"),
                P("content-length", "52"), P("content-type", "application/x-protobuf"), P("x-log-bodyrawsize", "50"), P("x-log-compresstype", "lz4"),
            };
            string authorization = signer.Authorization("POST", "1DD45FA4A70A9300CC9FE7305AF2C494", "application/x-protobuf", "Mon, 09 Nov 2015 06:03:03 GMT", headers, "/logstores/test-logstore", null);
            Assert.AreEqual("LOG bq2sjzesjmo86kq35behupbq:XWLGYHGg2F2hcfxWxMLiNkGki6g=", authorization);
        }

        // aliyun/aliyun-log-nodejs-sdk test/client.test.js, 'sign GET' (query sorted, empty value kept as "k=").
        [TestMethod]
        public void Signer_matches_the_nodejs_sdk_get_vector_with_a_query()
        {
            var signer = new SlsRequestSigner("bq2sjzesjmo86kq35behupbq", "4fdO2fTDDnZPU/L7CHNdemB2Nsk=");
            var headers = new[] { P("x-log-signaturemethod", "hmac-sha1"), P("x-log-apiversion", "0.6.0") };
            var query = new[] { P("size", "1000"), P("logstoreName", ""), P("offset", "0") };
            string authorization = signer.Authorization("GET", "", "", "Mon, 09 Nov 2015 06:11:16 GMT", headers, "/logstores", query);
            Assert.AreEqual("LOG bq2sjzesjmo86kq35behupbq:jEYOTCJs2e88o+y5F4/S5IsnBJQ=", authorization);
        }

        // The LogGroup of the PHP SDK's testPutLogs (contents value1..value4, avg; time 1405409656;
        // topic mock_topic; source 10.230.201.117): its expected body, zlib-decompressed (103 bytes).
        private const string PhpSdkLogGroupHex =
            "0a4908f8b2939e05120c0a0676616c75653112023132120c0a0676616c75653212023234120c0a0676616c75653312023336"
            + "120c0a0676616c7565341202343812090a03617667120233301a0a6d6f636b5f746f706963220e31302e3233302e3230312e313137";

        [TestMethod]
        public void Encoder_produces_the_php_sdk_loggroup_bytes()
        {
            var contents = new (string, Layout, bool)[]
            {
                ("value1", "${event-properties:v1}", false), ("value2", "${event-properties:v2}", false),
                ("value3", "${event-properties:v3}", false), ("value4", "${event-properties:v4}", false), ("avg", "${event-properties:avg}", false),
            };
            var encoder = new LogGroupEncoder(contents, "mock_topic", "10.230.201.117", Array.Empty<KeyValuePair<string, string>>());
            var logEvent = new LogEventInfo(LogLevel.Info, "x", "m") { TimeStamp = DateTimeOffset.FromUnixTimeSeconds(1405409656).UtcDateTime };
            logEvent.Properties["v1"] = "12";
            logEvent.Properties["v2"] = "24";
            logEvent.Properties["v3"] = "36";
            logEvent.Properties["v4"] = "48";
            logEvent.Properties["avg"] = "30";

            var group = new ProtoBuffer(256);
            LogGroupEncoder.AppendLog(group, encoder.EncodeLog(logEvent));
            group.WriteRaw(encoder.GroupSuffix);

            Assert.AreEqual(PhpSdkLogGroupHex, Convert.ToHexString(group.WrittenSpan).ToLowerInvariant());
        }

        // The body, MD5 and signature below were computed by hand outside .NET (protobuf bytes
        // written field by field, MD5 and HMAC-SHA1 with Python's hashlib/hmac):
        //   Log{Time=1704164645, Contents=[level:Info, message:"hello, sls"], TimeNs=123456700}
        //   LogGroup{Topic=golden-topic, Source=10.0.0.1, LogTags=[env:prod]}
        //   string to sign: POST\n{md5}\napplication/x-protobuf\nTue, 02 Jan 2024 03:04:06 GMT\n
        //   x-acs-security-token:golden-token\nx-log-apiversion:0.6.0\nx-log-bodyrawsize:88\n
        //   x-log-signaturemethod:hmac-sha1\n/logstores/golden-store/shards/lb   (secret golden-secret)
        private const string GoldenBodyHex =
            "0a3108a5facdac06120d0a056c6576656c1204496e666f12150a076d657373616765120a68656c6c6f2c20736c7325bccc5b07"
            + "1a0c676f6c64656e2d746f706963220831302e302e302e31320b0a03656e76120470726f64";

        [TestMethod]
        public void Golden_request_fixed_time_key_and_body()
        {
            var sent = new DateTimeOffset(2024, 1, 2, 3, 4, 6, TimeSpan.Zero);
            using var emulator = new SlsEmulator("golden-project", "golden-store", "golden-id", "golden-secret")
            {
                ClockOffset = sent - DateTimeOffset.UtcNow,
                RequiredSecurityToken = "golden-token",
            };
            var target = new SlsTarget
            {
                Name = "sls-golden",
                Endpoint = emulator.Endpoint,
                Project = "golden-project",
                Logstore = "golden-store",
                AccessKeyId = "golden-id",
                AccessKeySecret = "golden-secret",
                SecurityToken = "golden-token",
                Topic = "golden-topic",
                Source = "10.0.0.1",
                Compression = SlsCompression.None,
                Clock = new FixedClock(sent),
            };
            target.Tags.Add(new SlsTag("env", "prod"));
            target.Contents.Add(new TargetPropertyWithContext("level", "${level}"));
            target.Contents.Add(new TargetPropertyWithContext("message", "${message}"));

            using (var factory = TestLogFactory.With(target))
            {
                var logEvent = new LogEventInfo(LogLevel.Info, "golden", "hello, sls")
                {
                    TimeStamp = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567),
                };
                factory.GetLogger("golden").Log(logEvent);
                factory.Flush(TimeSpan.FromSeconds(10));
            }

            var request = emulator.Requests.Single();
            Assert.AreEqual(200, request.Status, request.ErrorCode);
            Assert.AreEqual(GoldenBodyHex, Convert.ToHexString(request.Body).ToLowerInvariant());
            Assert.AreEqual("/logstores/golden-store/shards/lb", request.Path);
            Assert.AreEqual("golden-project.127.0.0.1:" + emulator.Port, request.Headers["Host"]);
            Assert.AreEqual("Tue, 02 Jan 2024 03:04:06 GMT", request.Headers["Date"]);
            Assert.AreEqual("F1A58FB353F70132826AEBC049C3F35F", request.Headers["Content-MD5"]);
            Assert.AreEqual("88", request.Headers["x-log-bodyrawsize"]);
            Assert.AreEqual("application/x-protobuf", request.Headers["Content-Type"]);
            Assert.AreEqual("0.6.0", request.Headers["x-log-apiversion"]);
            Assert.AreEqual("hmac-sha1", request.Headers["x-log-signaturemethod"]);
            Assert.AreEqual("golden-token", request.Headers["x-acs-security-token"]);
            Assert.IsFalse(request.Headers.ContainsKey("x-log-compresstype"), "compression none sends no x-log-compresstype");
            Assert.AreEqual("LOG golden-id:vnSW1HtuD4kYqTC5m0VyOLdzE2A=", request.Headers["Authorization"]);
        }

        [TestMethod]
        public void Php_sdk_deflate_body_is_the_zlib_format_the_target_sends()
        {
            // The PHP SDK's expected deflate body for the LogGroup above (zlib, level 6).
            byte[] phpBody = Convert.FromHexString(
                "789ce3f2e4f8b169f23c56211e2eb6b2c49cd254432126432338cf4888c9c804ce331662323683f34c84984c2c8438b99813cbd2"
                + "811206525cb9f9c9d9f125f90599c94a7c86067a46c6406c60a86768680e000ff01825");
            var raw = new System.IO.MemoryStream();
            using (var zlib = new System.IO.Compression.ZLibStream(new System.IO.MemoryStream(phpBody), System.IO.Compression.CompressionMode.Decompress))
                zlib.CopyTo(raw);
            Assert.AreEqual(PhpSdkLogGroupHex, Convert.ToHexString(raw.ToArray()).ToLowerInvariant());

            var compressed = SlsCompressor.Create(SlsCompression.Deflate).Compress(new ArraySegment<byte>(raw.ToArray()));
            Assert.AreEqual(0x78, compressed.Array![compressed.Offset], "zlib header (RFC 1950), not raw deflate");
            var back = new System.IO.MemoryStream();
            using (var zlib = new System.IO.Compression.ZLibStream(new System.IO.MemoryStream(compressed.ToArray()), System.IO.Compression.CompressionMode.Decompress))
                zlib.CopyTo(back);
            CollectionAssert.AreEqual(raw.ToArray(), back.ToArray());
        }

        [TestMethod]
        public void Lz4_compressor_output_is_a_raw_lz4_block()
        {
            var raw = Convert.FromHexString(PhpSdkLogGroupHex + PhpSdkLogGroupHex + PhpSdkLogGroupHex);
            var compressed = SlsCompressor.Create(SlsCompression.Lz4).Compress(new ArraySegment<byte>(raw));
            Assert.IsTrue(compressed.Count < raw.Length, "repeated input compresses");
            CollectionAssert.AreEqual(raw, SlsEmulator.Lz4Decompress(compressed.ToArray(), raw.Length));
        }

        [TestMethod]
        [DataRow("cn-hangzhou.log.aliyuncs.com", "http://p.cn-hangzhou.log.aliyuncs.com/", "p.cn-hangzhou.log.aliyuncs.com", false)]
        [DataRow("https://cn-hangzhou.log.aliyuncs.com", "https://p.cn-hangzhou.log.aliyuncs.com/", "p.cn-hangzhou.log.aliyuncs.com", false)]
        [DataRow("https://cn-hangzhou.log.aliyuncs.com:8443/", "https://p.cn-hangzhou.log.aliyuncs.com:8443/", "p.cn-hangzhou.log.aliyuncs.com:8443", false)]
        [DataRow("http://127.0.0.1:9000", "http://127.0.0.1:9000/", "p.127.0.0.1:9000", true)]
        [DataRow("100.230.201.117:9000", "http://100.230.201.117:9000/", "p.100.230.201.117:9000", true)]
        [DataRow("http://localhost:8080", "http://localhost:8080/", "p.localhost:8080", true)]
        [DataRow("http://[::1]:8080", "http://[::1]:8080/", "p.[::1]:8080", true)]
        public void Endpoint_forms(string text, string baseAddress, string host, bool direct)
        {
            var endpoint = SlsEndpoint.Parse(text);
            Assert.AreEqual(baseAddress, endpoint.BaseAddress("p").ToString());
            Assert.AreEqual(host, endpoint.HostHeader("p"));
            Assert.AreEqual(direct, endpoint.ConnectsDirectly);
        }

        [TestMethod]
        [DataRow("")]
        [DataRow("ftp://host")]
        [DataRow("https://host/path")]
        [DataRow("https://user:pw@host")]
        public void Endpoint_rejects(string text)
        {
            Assert.ThrowsExactly<FormatException>(() => SlsEndpoint.Parse(text));
        }

        [TestMethod]
        [DataRow(403, "WriteQuotaExceed", FailureKind.Retriable)]
        [DataRow(403, "ShardWriteQuotaExceed", FailureKind.Retriable)]
        [DataRow(503, "ServerBusy", FailureKind.Retriable)]
        [DataRow(500, "InternalServerError", FailureKind.Retriable)]
        [DataRow(502, null, FailureKind.Retriable)]
        [DataRow(400, "RequestTimeExpired", FailureKind.Retriable)]
        [DataRow(400, "PostBodyTooLarge", FailureKind.Fatal)]
        [DataRow(401, "SignatureNotMatch", FailureKind.Fatal)]
        [DataRow(401, "InvalidAccessKeyId", FailureKind.Fatal)]
        [DataRow(404, "ProjectNotExist", FailureKind.Fatal)]
        [DataRow(404, "LogStoreNotExist", FailureKind.Fatal)]
        public void Service_errors_are_classified(int status, string? code, FailureKind expected)
        {
            Assert.AreEqual(expected, SlsErrorClassifier.Classify(new SlsServiceException(status, code, null, "r")));
        }

        [TestMethod]
        public void Transport_errors_are_retriable()
        {
            Assert.AreEqual(FailureKind.Retriable, SlsErrorClassifier.Classify(new System.Net.Http.HttpRequestException("refused")));
            Assert.AreEqual(FailureKind.Retriable, SlsErrorClassifier.Classify(new TimeoutException()));
            Assert.AreEqual(FailureKind.Retriable, SlsErrorClassifier.Classify(new System.IO.IOException("reset")));
        }

        [TestMethod]
        public void Error_body_is_parsed()
        {
            var ex = SlsServiceException.FromResponse(403, "{\"errorCode\":\"WriteQuotaExceed\",\"errorMessage\":\"Project write quota exceed\"}"u8, "5644160399248C060600D216");
            Assert.AreEqual("WriteQuotaExceed", ex.ErrorCode);
            Assert.AreEqual("Project write quota exceed", ex.ErrorMessage);
            Assert.AreEqual("5644160399248C060600D216", ex.RequestId);
            var html = SlsServiceException.FromResponse(502, "<html>bad gateway</html>"u8, null);
            Assert.IsNull(html.ErrorCode);
            Assert.AreEqual(FailureKind.Retriable, SlsErrorClassifier.Classify(html));
        }

        private sealed class FixedClock : TimeProvider
        {
            private readonly DateTimeOffset _now;

            public FixedClock(DateTimeOffset now) => _now = now;

            public override DateTimeOffset GetUtcNow() => _now;
        }
    }
}
