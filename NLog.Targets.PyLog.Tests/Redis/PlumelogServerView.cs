using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using K4os.Compression.LZ4;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace NLog.Targets.PyLog.Tests.Redis
{
    /// <summary>
    /// Reads records the way a Plumelog 3.5 server does (fayechenlong/plumelog, plumelog-server
    /// <c>RedisLogCollect.decompressor</c> and <c>BaseLogCollect.publisherMonitorEvent</c>), so a test
    /// fails where the server would drop or misread a record.
    /// </summary>
    internal static class PlumelogServerView
    {
        /// <summary>
        /// The fields of <c>RunLogMessage</c> and <c>BaseLogMessage</c> with the Java type fastjson binds
        /// them to: <c>Long</c> fields need a JSON number, <c>String</c> fields a JSON string.
        /// <c>logType</c> is left out: Plumelog's own appenders never set it.
        /// </summary>
        public static readonly IReadOnlyDictionary<string, JsonValueKind> RunLogMessageFields = new Dictionary<string, JsonValueKind>
        {
            ["serverName"] = JsonValueKind.String,
            ["traceId"] = JsonValueKind.String,
            ["appName"] = JsonValueKind.String,
            ["env"] = JsonValueKind.String,
            ["method"] = JsonValueKind.String,
            ["dtTime"] = JsonValueKind.Number,
            ["content"] = JsonValueKind.String,
            ["logLevel"] = JsonValueKind.String,
            ["className"] = JsonValueKind.String,
            ["threadName"] = JsonValueKind.String,
            ["dateTime"] = JsonValueKind.String,
            ["seq"] = JsonValueKind.Number,
        };

        private static readonly HashSet<string> s_looseFieldNames = LooseNames();

        /// <summary>
        /// Parses one record and checks it as fastjson would bind it into <c>RunLogMessage</c>: every
        /// field present with its JSON type, <c>dtTime</c>/<c>seq</c> integral, and no other key that
        /// fastjson's loose name matching (case, <c>_</c> and <c>-</c> ignored) would bind to a field.
        /// </summary>
        public static JsonElement ParseRecord(string json)
        {
            JsonElement root;
            using (var document = JsonDocument.Parse(json))
                root = document.RootElement.Clone();
            Assert.AreEqual(JsonValueKind.Object, root.ValueKind, json);
            foreach (var field in RunLogMessageFields)
            {
                Assert.IsTrue(root.TryGetProperty(field.Key, out var value), $"field '{field.Key}' is missing: {json}");
                Assert.AreEqual(field.Value, value.ValueKind, $"field '{field.Key}' has the wrong JSON type: {json}");
                if (field.Value == JsonValueKind.Number)
                    Assert.IsTrue(value.TryGetInt64(out _), $"field '{field.Key}' is not a Java long: {json}");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                Assert.IsTrue(seen.Add(property.Name), $"key '{property.Name}' appears twice: {json}");
                if (RunLogMessageFields.ContainsKey(property.Name) || property.Name == "appNameWithEnv")
                    continue;
                Assert.IsFalse(s_looseFieldNames.Contains(Loose(property.Name)), $"key '{property.Name}' would be bound by fastjson to a RunLogMessage field: {json}");
                Assert.AreEqual(JsonValueKind.String, property.Value.ValueKind, $"extra field '{property.Name}' is not a string (the Java appenders' MDC fields are strings): {json}");
            }

            string appName = root.GetProperty("appName").GetString()!;
            string env = root.GetProperty("env").GetString()!;
            Assert.AreEqual(appName + "-_-" + env, root.GetProperty("appNameWithEnv").GetString(), "appNameWithEnv as BaseLogMessage.getAppNameWithEnv() builds it");
            return root;
        }

        /// <summary>
        /// Decodes one entry of <c>plume_log_list_compress</c> as <c>RedisLogCollect.decompressor</c>
        /// does: <c>{"length":n,"body":base64}</c>, LZ4 fast-decompress of the raw block to exactly
        /// <c>length</c> bytes, then a JSON array of strings, each one record.
        /// </summary>
        public static List<string> DecodeEnvelope(string envelope)
        {
            using var document = JsonDocument.Parse(envelope);
            var root = document.RootElement;
            var names = new List<string>();
            foreach (var property in root.EnumerateObject())
                names.Add(property.Name);
            CollectionAssert.AreEquivalent(new[] { "length", "body" }, names, "RunLogCompressMessage has exactly length and body: " + envelope);

            int length = root.GetProperty("length").GetInt32();
            byte[] body = Convert.FromBase64String(root.GetProperty("body").GetString()!);
            var decoded = new byte[length];
            int written = LZ4Codec.Decode(body, 0, body.Length, decoded, 0, decoded.Length);
            Assert.AreEqual(length, written, "the LZ4 block decodes to exactly 'length' bytes (LZ4FastDecompressor needs the exact size)");

            var records = new List<string>();
            using var array = JsonDocument.Parse(Encoding.UTF8.GetString(decoded));
            Assert.AreEqual(JsonValueKind.Array, array.RootElement.ValueKind);
            foreach (var item in array.RootElement.EnumerateArray())
            {
                Assert.AreEqual(JsonValueKind.String, item.ValueKind, "each array element is a record string (GfJsonUtil.parseArray(json, String.class))");
                records.Add(item.GetString()!);
            }
            return records;
        }

        private static HashSet<string> LooseNames()
        {
            var names = new HashSet<string>(StringComparer.Ordinal) { "logtype" };
            foreach (var name in RunLogMessageFields.Keys)
                names.Add(Loose(name));
            return names;
        }

        private static string Loose(string name)
        {
            var builder = new StringBuilder(name.Length);
            foreach (char c in name)
            {
                if (c != '_' && c != '-')
                    builder.Append(char.ToLowerInvariant(c));
            }
            return builder.ToString();
        }
    }
}
