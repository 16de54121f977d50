using System;
using System.Collections.Generic;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static NLog.Targets.PyLog.Tests.Layouts.PyLogJsonTestSupport;

namespace NLog.Targets.PyLog.Tests.Layouts
{
    [TestClass]
    public class PyLogJsonMaskingTests
    {
        [TestMethod]
        public void TopLevelProperties_MatchingNamesOrWildcards_AreMaskedCaseInsensitively()
        {
            var layout = new PyLogJsonLayout { MaskProperties = "password, *token*,api_*,*_secret" };
            LogEventInfo logEvent = Event();
            logEvent.Properties["Password"] = "hunter2";
            logEvent.Properties["AccessToken"] = "abc";
            logEvent.Properties["TOKEN"] = "abc";
            logEvent.Properties["API_KEY"] = "k";
            logEvent.Properties["db_SECRET"] = new { Inner = "object values are masked whole" };
            logEvent.Properties["passwords"] = "not an exact match";
            logEvent.Properties["secretary"] = "no wildcard matches";
            logEvent.Properties["user"] = "ann";

            JsonElement json = RenderAndParse(layout, logEvent);

            Assert.AreEqual("***", json.Str("Password"));
            Assert.AreEqual("***", json.Str("AccessToken"));
            Assert.AreEqual("***", json.Str("TOKEN"));
            Assert.AreEqual("***", json.Str("API_KEY"));
            Assert.AreEqual("***", json.Str("db_SECRET"));
            Assert.AreEqual("not an exact match", json.Str("passwords"));
            Assert.AreEqual("no wildcard matches", json.Str("secretary"));
            Assert.AreEqual("ann", json.Str("user"));
            Assert.IsFalse(layout.Render(logEvent).Contains("hunter2"));
        }

        [TestMethod]
        public void NestedDictionaryKeysAndObjectProperties_AreMaskedAtEveryDepth()
        {
            var layout = new PyLogJsonLayout { MaskProperties = "password,*token*" };
            LogEventInfo logEvent = Event();
            logEvent.Properties["request"] = new Dictionary<string, object?>
            {
                ["user"] = "ann",
                ["PASSWORD"] = "hunter2",
                ["headers"] = new Dictionary<string, string> { ["X-Refresh-Token"] = "r1", ["Accept"] = "json" },
            };
            logEvent.Properties["login"] = new Login { User = "bob", Password = "p@ss", Session = new Session { CsrfToken = "c1", Id = 5 } };
            logEvent.Properties["list"] = new object[] { new Dictionary<string, object> { ["token"] = "t" } };

            JsonElement json = RenderAndParse(layout, logEvent);

            JsonElement request = json.GetProperty("request");
            Assert.AreEqual("ann", request.Str("user"));
            Assert.AreEqual("***", request.Str("PASSWORD"));
            Assert.AreEqual("***", request.GetProperty("headers").Str("X-Refresh-Token"));
            Assert.AreEqual("json", request.GetProperty("headers").Str("Accept"));
            JsonElement login = json.GetProperty("login");
            Assert.AreEqual("bob", login.Str("User"));
            Assert.AreEqual("***", login.Str("Password"));
            Assert.AreEqual("***", login.GetProperty("Session").Str("CsrfToken"));
            Assert.AreEqual(5, login.GetProperty("Session").GetProperty("Id").GetInt32());
            Assert.AreEqual("***", json.GetProperty("list")[0].Str("token"));
            string text = layout.Render(logEvent);
            foreach (string secret in new[] { "hunter2", "r1", "p@ss", "c1", "\"t\"" })
            {
                Assert.IsFalse(text.Contains(secret), secret + " leaked: " + text);
            }
        }

        [TestMethod]
        public void MaskedGetter_IsNeverCalled()
        {
            var layout = new PyLogJsonLayout { MaskProperties = "secret" };
            LogEventInfo logEvent = Event();
            var holder = new SecretHolder();
            logEvent.Properties["holder"] = holder;

            JsonElement json = RenderAndParse(layout, logEvent);

            Assert.AreEqual("***", json.GetProperty("holder").Str("Secret"));
            Assert.AreEqual(0, holder.SecretReads);
        }

        [TestMethod]
        public void ScopePropertiesAndAttributes_AreMaskedToo()
        {
            var layout = new PyLogJsonLayout { MaskProperties = "*token*" };
            layout.Attributes.Add(new PyLogJsonAttribute("authToken", "${event-properties:raw}"));
            LogEventInfo logEvent = Event();
            logEvent.Properties["raw"] = "visible-as-raw";
            using (ScopeContext.PushProperty("sessionToken", "s3cr3t"))
            {
                JsonElement json = RenderAndParse(layout, logEvent);
                Assert.AreEqual("***", json.Str("sessionToken"));
                Assert.AreEqual("***", json.Str("authToken"));
            }
        }

        [TestMethod]
        public void ManyDistinctPropertyNames_KeepTheirOwnMaskExcludeAndPrefix()
        {
            // More names than the layout's name cache has slots: evictions and collisions must not mix them up.
            var layout = new PyLogJsonLayout { MaskProperties = "*token*", ExcludeProperties = new HashSet<string> { "drop" } };
            for (int round = 0; round < 3; round++)
            {
                LogEventInfo logEvent = Event();
                for (int i = 0; i < 700; i++)
                {
                    logEvent.Properties["p" + i] = i;
                    logEvent.Properties["token" + i] = "secret" + i;
                }

                logEvent.Properties["drop"] = 1;
                logEvent.Properties["message"] = "shadow";
                logEvent.Properties[new string('x', 100)] = "long name";

                JsonElement json = RenderAndParse(layout, logEvent);
                for (int i = 0; i < 700; i++)
                {
                    Assert.AreEqual(i, json.GetProperty("p" + i).GetInt32());
                    Assert.AreEqual("***", json.Str("token" + i));
                }

                Assert.IsFalse(json.Has("drop"));
                Assert.AreEqual("shadow", json.Str("_message"));
                Assert.AreEqual("long name", json.Str(new string('x', 100)));
            }
        }

        [TestMethod]
        public void ExcludeProperties_LeavesOutEventAndScopePropertiesCaseInsensitively()
        {
            var layout = new PyLogJsonLayout { ExcludeProperties = new HashSet<string> { "internalId", "TraceFlags" } };
            LogEventInfo logEvent = Event();
            logEvent.Properties["InternalID"] = 1;
            logEvent.Properties["kept"] = 2;
            using (ScopeContext.PushProperty("traceflags", "01"))
            using (ScopeContext.PushProperty("TraceId", "abc"))
            {
                JsonElement json = RenderAndParse(layout, logEvent);
                Assert.IsFalse(json.Has("InternalID"));
                Assert.IsFalse(json.Has("traceflags"));
                Assert.AreEqual(2, json.GetProperty("kept").GetInt32());
                Assert.AreEqual("abc", json.Str("TraceId"));
            }
        }

        [TestMethod]
        public void MessageTemplateHolesNamingMaskedProperties_AreMaskedInTheMessage()
        {
            var layout = new PyLogJsonLayout { MaskProperties = "password,*token*" };
            var named = new LogEventInfo(LogLevel.Info, "l", null, "{{literal}} Login {User} with {Password} and {@AccessToken}", new object[] { "ann", "hunter2", "tok-1" });
            JsonElement json = RenderAndParse(layout, named);
            // {@...} is NLog's "serialize" hole: the masked string is written quoted, as NLog writes strings there.
            Assert.AreEqual("{literal} Login ann with *** and \"***\"", json.Str("message"));
            Assert.AreEqual("***", json.Str("Password"));

            var positional = new LogEventInfo(LogLevel.Info, "l", null, "User {0} token {1}", new object[] { "bob", "tok-2" });
            Assert.AreEqual("User bob token tok-2", RenderAndParse(layout, positional).Str("message"), "positional holes have no names to match");
            Assert.AreEqual("User *** token ***", RenderAndParse(new PyLogJsonLayout { MaskProperties = "*" }, positional).Str("message"));

            var unmasked = new LogEventInfo(LogLevel.Info, "l", null, "User {User} logged in", new object[] { "carol" });
            Assert.AreEqual("User carol logged in", RenderAndParse(layout, unmasked).Str("message"));
        }

        [TestMethod]
        [DataRow("password", "PASSWORD", true)]
        [DataRow("password", "password1", false)]
        [DataRow("*token*", "token", true)]
        [DataRow("*token*", "x-Refresh-TOKEN-id", true)]
        [DataRow("*token*", "toke", false)]
        [DataRow("api_*", "API_key", true)]
        [DataRow("api_*", "xapi_key", false)]
        [DataRow("*_secret", "db_Secret", true)]
        [DataRow("*_secret", "db_secrets", false)]
        [DataRow("a*b*c", "aXXbYYc", true)]
        [DataRow("a*b*c", "acb", false)]
        [DataRow("ab*ab", "ab", false)]
        [DataRow("ab*ab", "abab", true)]
        [DataRow("*", "anything", true)]
        public void WildcardPatterns_MatchCaseInsensitively(string pattern, string name, bool expected)
        {
            var matcher = NLog.Targets.PyLog.Layouts.PropertyNameMatcher.Parse(pattern, out string? error);
            Assert.IsNull(error);
            Assert.AreEqual(expected, matcher!.IsMatch(name), pattern + " vs " + name);
            Assert.AreEqual(expected, matcher.IsMatch(name.AsSpan()), pattern + " vs " + name + " (span)");
        }

        public sealed class Login
        {
            public string? User { get; set; }

            public string? Password { get; set; }

            public Session? Session { get; set; }
        }

        public sealed class Session
        {
            public string? CsrfToken { get; set; }

            public int Id { get; set; }
        }

        public sealed class SecretHolder
        {
            private readonly string _secret = "s";

            public int SecretReads { get; private set; }

            public string Secret
            {
                get
                {
                    SecretReads++;
                    return _secret;
                }
            }
        }
    }
}
