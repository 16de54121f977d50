using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Config;
using NLog.Targets;
using static NLog.Targets.PyLog.Tests.Layouts.PyLogJsonTestSupport;

namespace NLog.Targets.PyLog.Tests.Layouts
{
    /// <summary>The ways a masked value or a too-deep object could still reach the line (issue 17).</summary>
    [TestClass]
    public class PyLogJsonLeakTests
    {
        private const string Mask = "password,*token*";

        [TestMethod]
        [DataRow("obj {@Data}")]
        [DataRow("obj {Data}")]
        [DataRow("obj {$Data}")]
        [DataRow("obj {0}")]
        public void Masked_member_of_a_template_value_does_not_reach_message(string template)
        {
            var layout = new PyLogJsonLayout { MaskProperties = Mask };
            var data = new { user = "u-visible", apiToken = "tok-leak-1", inner = new Creds("u2", "pw-leak-2") };

            var withParameters = new LogEventInfo(LogLevel.Info, "l", null, template, new object[] { data });
            string line = layout.Render(withParameters);
            AssertNoLeak(line, "tok-leak-1", "pw-leak-2");
            JsonElement json = RenderAndParse(layout, withParameters);
            StringAssert.Contains(json.Str("message"), "u-visible", "the unmasked member still shows: " + line);
            StringAssert.Contains(json.Str("message"), "***", line);
        }

        [TestMethod]
        [DataRow("obj {@Data}")]
        [DataRow("obj {Data}")]
        [DataRow("obj {$Data}")]
        public void Masked_member_of_a_template_value_logged_through_a_Logger_does_not_reach_message(string template)
        {
            var target = new MemoryTarget("memory") { Layout = new PyLogJsonLayout { MaskProperties = Mask } };
            using var factory = Support.TestLogFactory.With(target);
            Logger logger = factory.GetLogger("leak");

            logger.Info(template, new { user = "u-visible", apiToken = "tok-leak-3" });
            logger.Info(template, (object)new { user = "u-visible", apiToken = "tok-leak-4" });
            logger.Info(template, new Creds("u-visible", "pw-leak-5"));

            Assert.AreEqual(3, target.Logs.Count);
            foreach (string line in target.Logs)
            {
                AssertNoLeak(line, "tok-leak-3", "tok-leak-4", "pw-leak-5");
                using JsonDocument document = JsonDocument.Parse(line);
                StringAssert.Contains(document.RootElement.GetProperty("message").GetString(), "u-visible", line);
            }
        }

        [TestMethod]
        [DataRow("obj {@Data}")]
        [DataRow("obj {Data}")]
        [DataRow("obj {$Data}")]
        public void Masked_member_of_a_template_value_logged_through_Microsoft_Extensions_Logging_does_not_reach_message(string template)
        {
            var target = new MemoryTarget("memory") { Layout = new PyLogJsonLayout { MaskProperties = Mask } };
            using var factory = Support.TestLogFactory.With(target);
            using var provider = new NLog.Extensions.Logging.NLogLoggerProvider(new NLog.Extensions.Logging.NLogProviderOptions(), factory);
            Microsoft.Extensions.Logging.ILogger logger = provider.CreateLogger("Mel.Category");

            Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(logger, template, new { user = "u-visible", apiToken = "tok-leak-mel" });
            factory.Flush();

            Assert.AreEqual(1, target.Logs.Count);
            AssertNoLeak(target.Logs[0], "tok-leak-mel");
            using JsonDocument document = JsonDocument.Parse(target.Logs[0]);
            StringAssert.Contains(document.RootElement.GetProperty("message").GetString(), "u-visible", target.Logs[0]);
        }

        [TestMethod]
        public void Object_beyond_the_depth_limit_is_a_placeholder_never_its_ToString()
        {
            var layout = new PyLogJsonLayout { MaskProperties = Mask, MaxRecursionLimit = 1 };
            LogEventInfo logEvent = Event();
            logEvent.Properties["a"] = new { b = new { c = new { apiToken = "tok-leak-6" } } };
            logEvent.Properties["creds"] = new { holder = new Creds("u", "pw-leak-7") };
            logEvent.Properties["list"] = new { items = new List<Creds> { new Creds("u", "pw-leak-8") } };
            logEvent.Properties["scalar"] = new { at = new Uri("http://example.test/"), when = new DateTime(2024, 1, 2, 0, 0, 0, DateTimeKind.Utc), id = 7 };

            string line = layout.Render(logEvent);
            AssertNoLeak(line, "tok-leak-6", "pw-leak-7", "pw-leak-8", "apiToken", "Password");
            JsonElement json = RenderAndParse(layout, logEvent);
            Assert.AreEqual("[object]", json.GetProperty("a").Str("b"), line);
            Assert.AreEqual("[Creds]", json.GetProperty("creds").Str("holder"), line);
            Assert.AreEqual("[List]", json.GetProperty("list").Str("items"), line);
            Assert.AreEqual("http://example.test/", json.GetProperty("scalar").Str("at"), "known scalar types keep their text");
            Assert.AreEqual(7, json.GetProperty("scalar").GetProperty("id").GetInt32());
        }

        [TestMethod]
        public void Object_beyond_the_depth_limit_in_message_is_a_placeholder()
        {
            var layout = new PyLogJsonLayout { MaskProperties = "nothing-matches", MaxRecursionLimit = 1 };
            var logEvent = new LogEventInfo(LogLevel.Info, "l", null, "deep {@A}", new object[] { new { b = new { c = new Creds("u", "pw-leak-9") } } });

            string line = layout.Render(logEvent);

            AssertNoLeak(line, "pw-leak-9");
            StringAssert.Contains(RenderAndParse(layout, logEvent).Str("message"), "[object]", line);
        }

        [TestMethod]
        [DataRow(3)]
        [DataRow(64)]
        public void Nesting_stays_within_64_levels_whatever_MaxRecursionLimit(int limit)
        {
            var layout = new PyLogJsonLayout { MaxRecursionLimit = limit, MaxInnerExceptionLevel = 200 };
            LogEventInfo logEvent = Event();
            object deep = "bottom";
            for (int i = 0; i < 100; i++)
            {
                deep = new Dictionary<string, object> { ["d"] = deep };
            }

            object deepList = "bottom";
            for (int i = 0; i < 100; i++)
            {
                deepList = new object[] { deepList };
            }

            Exception chain = new InvalidOperationException("root");
            for (int i = 0; i < 100; i++)
            {
                chain = i % 10 == 0 ? new AggregateException("agg" + i, chain) : new InvalidOperationException("wrap" + i, chain);
            }

            logEvent.Properties["deep"] = deep;
            logEvent.Properties["deepList"] = deepList;
            logEvent.Properties["error"] = new Dictionary<string, object> { ["e"] = chain };
            logEvent.Exception = chain;

            byte[] bytes = RenderBytes(layout, logEvent);
            int depth = MaxNesting(bytes);
            Assert.IsTrue(depth <= 64, "nesting " + depth);
            using JsonDocument document = JsonDocument.Parse(bytes); // System.Text.Json's default MaxDepth is 64
            using JsonDocument text = JsonDocument.Parse(layout.Render(logEvent));
            if (limit == 64)
            {
                Assert.AreEqual(64, depth, "the limit is used up to what parsers accept");
            }
        }

        [TestMethod]
        public void Property_with_an_empty_name_is_written_under_an_underscore()
        {
            var layout = new PyLogJsonLayout();
            LogEventInfo logEvent = Event();
            logEvent.Properties[""] = "empty-named";
            logEvent.Properties["_"] = "underscore";

            JsonElement json = RenderAndParse(layout, logEvent);

            Assert.AreEqual("empty-named", json.Str("_"));
            Assert.AreEqual("underscore", json.Str("__"));
        }

        [TestMethod]
        public void Scope_property_with_an_empty_name_is_written_under_an_underscore()
        {
            var layout = new PyLogJsonLayout();
            using (ScopeContext.PushProperty("", "scope-empty"))
            {
                Assert.AreEqual("scope-empty", RenderAndParse(layout, Event()).Str("_"));
            }
        }

        [TestMethod]
        public void Masking_piece_shared_by_the_layouts_masks_a_value_written_through_Utf8JsonWriter()
        {
            var masking = NLog.Targets.PyLog.Layouts.PropertyMasking.Create(Mask, 1, 5, "Test");
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(output))
            {
                writer.WriteStartObject();
                writer.WritePropertyName("data");
                masking.WriteValue(writer, new { user = "u", apiToken = "tok-leak-10", deeper = new { more = new Creds("u", "pw-leak-11") } });
                writer.WriteString("text", masking.RenderText(new { password = "pw-leak-12" }));
                writer.WriteEndObject();
            }

            string json = Encoding.UTF8.GetString(output.WrittenSpan);
            AssertNoLeak(json, "tok-leak-10", "pw-leak-11", "pw-leak-12");
            using JsonDocument document = JsonDocument.Parse(json);
            Assert.AreEqual("***", document.RootElement.GetProperty("data").Str("apiToken"));
            Assert.AreEqual("[object]", document.RootElement.GetProperty("data").Str("deeper"));
            Assert.AreEqual("{\"password\":\"***\"}", document.RootElement.Str("text"));
            Assert.IsTrue(masking.IsMasked("PASSWORD"));
            var logEvent = new LogEventInfo(LogLevel.Info, "l", null, "{@Data}", new object[] { new { apiToken = "tok-leak-13" } });
            Assert.AreEqual("{\"apiToken\":\"***\"}", masking.FormatMessage(logEvent));
        }

        private static void AssertNoLeak(string line, params string[] secrets)
        {
            foreach (string secret in secrets)
            {
                Assert.IsFalse(line.Contains(secret, StringComparison.Ordinal), secret + " leaked: " + line);
            }
        }

        private static int MaxNesting(byte[] json)
        {
            int depth = 0, max = 0;
            bool inString = false;
            for (int i = 0; i < json.Length; i++)
            {
                byte b = json[i];
                if (inString)
                {
                    if (b == (byte)'\\')
                        i++;
                    else if (b == (byte)'"')
                        inString = false;
                    continue;
                }

                if (b == (byte)'"')
                    inString = true;
                else if (b == (byte)'{' || b == (byte)'[')
                    max = Math.Max(max, ++depth);
                else if (b == (byte)'}' || b == (byte)']')
                    depth--;
            }

            return max;
        }

        public sealed record Creds(string User, string Password);
    }
}
