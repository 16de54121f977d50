using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Config;
using NLog.Targets.PyLog.Tests.Redis;

namespace NLog.Targets.PyLog.Tests.Layouts
{
    /// <summary>Plumelog's "expand" fields (event and scope properties), masking and the Method option.</summary>
    [TestClass]
    public sealed class PlumelogPropertiesTests
    {
        [TestMethod]
        public void Event_and_scope_properties_become_top_level_string_fields()
        {
            var layout = new PlumelogLayout { AppName = "a", Env = "e" };
            var logEvent = LogEventInfo.Create(LogLevel.Info, "L", CultureInfo.InvariantCulture, "Order {OrderId} for {Amount}", new object[] { 42, 9.5m });
            logEvent.Properties["Paid"] = true;
            logEvent.Properties["Tags"] = new[] { "a", "b" };
            logEvent.Properties["Nothing"] = null;

            JsonElement root;
            using (ScopeContext.PushProperty("Tenant", "acme"))
            using (ScopeContext.PushProperty("OrderId", "from-scope"))
            {
                layout.Precalculate(logEvent);
            }
            // Rendered after the scope is gone, as on an asynchronous target's writer thread.
            root = PlumelogServerView.ParseRecord(layout.Render(logEvent));

            Assert.AreEqual("42", root.GetProperty("OrderId").GetString(), "the event property wins over the scope property");
            Assert.AreEqual("9.5", root.GetProperty("Amount").GetString());
            Assert.AreEqual("true", root.GetProperty("Paid").GetString());
            Assert.AreEqual("[\"a\",\"b\"]", root.GetProperty("Tags").GetString(), "objects are written as their JSON text");
            Assert.AreEqual("acme", root.GetProperty("Tenant").GetString(), "scope properties are captured on the logging thread");
            Assert.IsFalse(root.TryGetProperty("Nothing", out _), "a null property is left out");
            Assert.AreEqual("Order 42 for 9.5", root.GetProperty("content").GetString());
        }

        [TestMethod]
        public void Property_named_like_a_plumelog_field_is_prefixed_and_never_overrides_it()
        {
            var layout = new PlumelogLayout { AppName = "real-app", Env = "prod" };
            var logEvent = new LogEventInfo(LogLevel.Warn, "L", "the message");
            logEvent.Properties["seq"] = "not a number";
            logEvent.Properties["content"] = "fake";
            logEvent.Properties["appName"] = "fake-app";
            logEvent.Properties["Log_Level"] = "DEBUG";
            logEvent.Properties["DT-TIME"] = "x";
            logEvent.Properties["appNameWithEnv"] = "x";
            logEvent.Properties["TraceId"] = "t-1";

            string json = layout.Render(logEvent);
            var root = PlumelogServerView.ParseRecord(json);

            Assert.AreEqual("the message", root.GetProperty("content").GetString());
            Assert.AreEqual("real-app", root.GetProperty("appName").GetString());
            Assert.AreEqual("WARN", root.GetProperty("logLevel").GetString());
            Assert.AreEqual("not a number", root.GetProperty("prop_seq").GetString());
            Assert.AreEqual("fake", root.GetProperty("prop_content").GetString());
            Assert.AreEqual("fake-app", root.GetProperty("prop_appName").GetString());
            Assert.AreEqual("DEBUG", root.GetProperty("prop_Log_Level").GetString(), "fastjson would bind log_level to logLevel: renamed");
            Assert.AreEqual("x", root.GetProperty("prop_DT-TIME").GetString());
            Assert.AreEqual("x", root.GetProperty("prop_appNameWithEnv").GetString());
            Assert.AreEqual("t-1", root.GetProperty("traceId").GetString());
            Assert.IsFalse(root.TryGetProperty("TraceId", out _), "the trace id property is the traceId field, not repeated");
            Assert.IsFalse(root.TryGetProperty("prop_TraceId", out _));
        }

        [TestMethod]
        public void Masked_properties_show_stars_in_fields_nested_keys_and_content()
        {
            var layout = new PlumelogLayout { MaskProperties = "password,*token*" };
            var logEvent = LogEventInfo.Create(LogLevel.Info, "L", CultureInfo.InvariantCulture, "Login {User} with {Password}", new object[] { "bob", "hunter2" });
            logEvent.Properties["Settings"] = new Dictionary<string, object> { ["apiToken"] = "secret-1", ["region"] = "eu" };

            JsonElement root;
            using (ScopeContext.PushProperty("refresh_token", "secret-2"))
            {
                layout.Precalculate(logEvent);
                root = PlumelogServerView.ParseRecord(layout.Render(logEvent));
            }

            string json = root.GetRawText();
            Assert.AreEqual("***", root.GetProperty("Password").GetString());
            Assert.AreEqual("***", root.GetProperty("refresh_token").GetString());
            Assert.AreEqual("Login bob with ***", root.GetProperty("content").GetString());
            StringAssert.Contains(root.GetProperty("Settings").GetString(), "\"apiToken\":\"***\"");
            StringAssert.Contains(root.GetProperty("Settings").GetString(), "\"region\":\"eu\"");
            foreach (var secret in new[] { "hunter2", "secret-1", "secret-2" })
                Assert.IsFalse(json.Contains(secret, StringComparison.Ordinal), secret + " leaked: " + json);
        }

        [TestMethod]
        public void IncludeProperties_false_writes_only_the_plumelog_fields()
        {
            var layout = new PlumelogLayout { IncludeProperties = false };
            var logEvent = LogEventInfo.Create(LogLevel.Info, "L", CultureInfo.InvariantCulture, "Order {OrderId}", new object[] { 42 });
            using (ScopeContext.PushProperty("Tenant", "acme"))
            {
                layout.Precalculate(logEvent);
            }

            var root = PlumelogServerView.ParseRecord(layout.Render(logEvent));
            int count = 0;
            foreach (var _ in root.EnumerateObject())
                count++;
            Assert.AreEqual(13, count, root.GetRawText());
        }

        [TestMethod]
        public void Method_takes_a_layout_such_as_the_call_site()
        {
            var factory = new LogFactory().Setup()
                .SetupExtensions(e => e.RegisterAssembly(typeof(PlumelogLayout).Assembly))
                .LoadConfigurationFromXml(@"<nlog throwConfigExceptions='true' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>
                    <targets>
                      <target xsi:type='Memory' name='m'>
                        <layout xsi:type='Plumelog' method='${callsite:className=false}' fatalAsError='false' includeProperties='false' maskProperties='secret' />
                      </target>
                    </targets>
                    <rules><logger name='*' minlevel='Info' writeTo='m' /></rules>
                  </nlog>").LogFactory;
            try
            {
                factory.GetLogger("Xml.Logger").Fatal("hello");
                var memory = factory.Configuration!.FindTargetByName<NLog.Targets.MemoryTarget>("m")!;
                var root = PlumelogServerView.ParseRecord(memory.Logs[0]);
                Assert.AreEqual(nameof(Method_takes_a_layout_such_as_the_call_site), root.GetProperty("method").GetString());
                Assert.AreEqual("FATAL", root.GetProperty("logLevel").GetString());
            }
            finally
            {
                factory.Shutdown();
            }
        }

        [TestMethod]
        public void Invalid_MaskProperties_fails_the_configuration_load_naming_the_property()
        {
            var error = Assert.ThrowsExactly<NLogConfigurationException>(() =>
                new LogFactory().Setup()
                    .SetupExtensions(e => e.RegisterAssembly(typeof(PlumelogLayout).Assembly))
                    .LoadConfigurationFromXml(@"<nlog throwConfigExceptions='true' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>
                        <targets>
                          <target xsi:type='Redis' name='r' host='127.0.0.1'>
                            <layout xsi:type='Plumelog' maskProperties='password,,token' />
                          </target>
                        </targets>
                        <rules><logger name='*' minlevel='Info' writeTo='r' /></rules>
                      </nlog>"));
            StringAssert.Contains(error.ToString(), "MaskProperties");
            StringAssert.Contains(error.ToString(), "password,,token");
        }

        [TestMethod]
        public void Scope_properties_are_those_of_the_logging_thread_even_when_rendered_elsewhere()
        {
            var layout = new PlumelogLayout();
            var logEvent = new LogEventInfo(LogLevel.Info, "L", "m");
            var worker = new Thread(() =>
            {
                using (ScopeContext.PushProperty("RequestId", "r-9"))
                using (ScopeContext.PushProperty("TraceId", "t-9"))
                    layout.Precalculate(logEvent);
            });
            worker.Start();
            worker.Join();

            using (ScopeContext.PushProperty("RequestId", "wrong"))
            {
                var root = PlumelogServerView.ParseRecord(layout.Render(logEvent));
                Assert.AreEqual("r-9", root.GetProperty("RequestId").GetString());
                Assert.AreEqual("t-9", root.GetProperty("traceId").GetString());
            }
        }

        [TestMethod]
        public void Date_time_is_the_local_clock_for_utc_and_local_timestamps()
        {
            var layout = new PlumelogLayout();
            var random = new Random(15);
            // Every 7.5 minutes of a year, so each offset change of the machine's zone is crossed.
            for (var step = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc); step.Year == 2024; step = step.AddMinutes(7.5))
            {
                var utc = step.AddMilliseconds(random.Next(0, 450_000));
                foreach (var timestamp in new[] { utc, utc.ToLocalTime() })
                {
                    if (timestamp.Kind == DateTimeKind.Local && TimeZoneInfo.Local.IsAmbiguousTime(timestamp))
                        continue;
                    using var document = JsonDocument.Parse(layout.Render(new LogEventInfo(LogLevel.Info, "L", "m") { TimeStamp = timestamp }));
                    var root = document.RootElement;
                    Assert.AreEqual(new DateTimeOffset(utc).ToUnixTimeMilliseconds(), root.GetProperty("dtTime").GetInt64(), timestamp.Kind.ToString());
                    Assert.AreEqual(utc.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), root.GetProperty("dateTime").GetString(), timestamp.Kind.ToString());
                }
            }
        }
    }
}
