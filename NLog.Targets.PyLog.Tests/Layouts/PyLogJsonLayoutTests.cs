using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static NLog.Targets.PyLog.Tests.Layouts.PyLogJsonTestSupport;

namespace NLog.Targets.PyLog.Tests.Layouts
{
    [TestClass]
    public class PyLogJsonLayoutTests
    {
        [TestMethod]
        public void FixedFields_AreWrittenInOrderAndParseBack()
        {
            var layout = new PyLogJsonLayout();
            var logEvent = new LogEventInfo(LogLevel.Warn, "Orders.Service", CultureInfo.InvariantCulture, "Order {OrderId} for {Amount}", new object[] { 42, 9.5m }) { TimeStamp = FixedUtc };

            JsonElement json = RenderAndParse(layout, logEvent);

            Assert.AreEqual("2024-05-01T08:30:15.1234567Z", json.Str("time"));
            Assert.AreEqual(FixedUtc, json.GetProperty("time").GetDateTime().ToUniversalTime());
            Assert.AreEqual("Warn", json.Str("level"));
            Assert.AreEqual("Orders.Service", json.Str("logger"));
            Assert.AreEqual("Order 42 for 9.5", json.Str("message"));
            Assert.AreEqual(42, json.GetProperty("OrderId").GetInt32());
            Assert.AreEqual(9.5m, json.GetProperty("Amount").GetDecimal());
            Assert.IsFalse(json.Has("exception"));
            CollectionAssert.AreEqual(
                new[] { "time", "level", "logger", "message", "OrderId", "Amount" },
                json.EnumerateObject().Select(p => p.Name).ToArray());
        }

        [TestMethod]
        public void Time_IsConvertedFromLocalToUtc_AndCanBeLocalWithOffset()
        {
            DateTime local = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Local);
            var logEvent = new LogEventInfo(LogLevel.Info, "t", "m") { TimeStamp = local };

            JsonElement utc = RenderAndParse(new PyLogJsonLayout(), logEvent);
            Assert.IsTrue(utc.Str("time")!.EndsWith("Z", StringComparison.Ordinal), utc.Str("time"));
            Assert.AreEqual(local.ToUniversalTime(), utc.GetProperty("time").GetDateTimeOffset().UtcDateTime);

            JsonElement localJson = RenderAndParse(new PyLogJsonLayout { UseLocalTime = true }, logEvent);
            DateTimeOffset parsed = localJson.GetProperty("time").GetDateTimeOffset();
            Assert.AreEqual(new DateTimeOffset(local), parsed);
            Assert.AreEqual(TimeZoneInfo.Local.GetUtcOffset(local), parsed.Offset);
            Assert.IsFalse(localJson.Str("time")!.EndsWith("Z", StringComparison.Ordinal) && parsed.Offset != TimeSpan.Zero);
        }

        [TestMethod]
        public void ConsecutiveEvents_WithDifferentTimestampsOrKinds_EachGetTheirOwnTime()
        {
            var layout = new PyLogJsonLayout();
            DateTime first = FixedUtc;
            DateTime second = FixedUtc.AddMilliseconds(1);
            DateTime unspecified = DateTime.SpecifyKind(FixedUtc, DateTimeKind.Unspecified);
            foreach (DateTime time in new[] { first, second, first, unspecified, first })
            {
                var logEvent = new LogEventInfo(LogLevel.Info, "t", "m") { TimeStamp = time };
                DateTime expected = time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime();
                Assert.AreEqual(expected, RenderAndParse(layout, logEvent).GetProperty("time").GetDateTimeOffset().UtcDateTime);
            }
        }

        [TestMethod]
        public void ExtremeTimestamps_DoNotFailTheEvent()
        {
            foreach (DateTime extreme in new[] { DateTime.MinValue, DateTime.MaxValue, DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Local) })
            {
                var logEvent = new LogEventInfo(LogLevel.Info, "t", "m") { TimeStamp = extreme };
                Assert.IsTrue(RenderAndParse(new PyLogJsonLayout(), logEvent).Has("time"));
                Assert.IsTrue(RenderAndParse(new PyLogJsonLayout { UseLocalTime = true }, logEvent).Has("time"));
            }
        }

        [TestMethod]
        public void EmptyEvents_AreValidJson()
        {
            JsonElement json = RenderAndParse(new PyLogJsonLayout(), LogEventInfo.CreateNullEvent());
            Assert.AreEqual(string.Empty, json.Str("message"));
            Assert.AreEqual(string.Empty, json.Str("logger"));

            json = RenderAndParse(new PyLogJsonLayout(), new LogEventInfo());
            Assert.IsTrue(json.Has("level"));
        }

        [TestMethod]
        public void ManyLoggers_EachKeepTheirName()
        {
            var layout = new PyLogJsonLayout();
            for (int round = 0; round < 2; round++)
            {
                for (int i = 0; i < 600; i++)
                {
                    string name = "Logger.\"" + i;
                    Assert.AreEqual(name, RenderAndParse(layout, Event(logger: name)).Str("logger"));
                }
            }
        }

        [TestMethod]
        public void AllLevels_AreWrittenByName()
        {
            var layout = new PyLogJsonLayout();
            foreach (LogLevel level in LogLevel.AllLoggingLevels)
            {
                Assert.AreEqual(level.Name, RenderAndParse(layout, Event(level: level)).Str("level"));
            }
        }

        [TestMethod]
        public void Exception_IsAnObjectWithTypeMessageStackAndInnerChain()
        {
            Exception error = Capture(() => throw new InvalidOperationException("outer \"failed\"", new ArgumentException("inner\nline")));
            LogEventInfo logEvent = Event("boom");
            logEvent.Exception = error;

            JsonElement exception = RenderAndParse(new PyLogJsonLayout(), logEvent).GetProperty("exception");

            Assert.AreEqual("System.InvalidOperationException", exception.Str("type"));
            Assert.AreEqual("outer \"failed\"", exception.Str("message"));
            StringAssert.Contains(exception.Str("stack"), nameof(Capture));
            JsonElement inner = exception.GetProperty("inner");
            Assert.AreEqual("System.ArgumentException", inner.Str("type"));
            Assert.AreEqual("inner\nline", inner.Str("message"));
            Assert.IsFalse(inner.Has("stack"), "never thrown, so no stack");
            Assert.IsFalse(inner.Has("inner"));
        }

        [TestMethod]
        public void Exception_InnerChainIsDepthLimited_AndAggregateListsAllInners()
        {
            Exception chain = new Exception("e0");
            for (int i = 1; i <= 10; i++)
            {
                chain = new Exception("e" + i, chain);
            }

            LogEventInfo logEvent = Event();
            logEvent.Exception = chain;
            JsonElement exception = RenderAndParse(new PyLogJsonLayout { MaxInnerExceptionLevel = 2 }, logEvent).GetProperty("exception");
            Assert.AreEqual("e10", exception.Str("message"));
            Assert.AreEqual("e8", exception.GetProperty("inner").GetProperty("inner").Str("message"));
            Assert.IsFalse(exception.GetProperty("inner").GetProperty("inner").Has("inner"));

            logEvent.Exception = new AggregateException("many", new Exception("a"), new TimeoutException("b"));
            exception = RenderAndParse(new PyLogJsonLayout(), logEvent).GetProperty("exception");
            Assert.AreEqual("System.AggregateException", exception.Str("type"));
            CollectionAssert.AreEqual(
                new[] { "a", "b" },
                exception.GetProperty("innerExceptions").EnumerateArray().Select(e => e.Str("message")).ToArray());
        }

        [TestMethod]
        public void PrimitiveProperties_KeepTheirJsonTypes()
        {
            LogEventInfo logEvent = Event();
            var guid = Guid.NewGuid();
            logEvent.Properties["int"] = int.MinValue;
            logEvent.Properties["long"] = long.MaxValue;
            logEvent.Properties["ulong"] = ulong.MaxValue;
            logEvent.Properties["double"] = 0.1 + 0.2;
            logEvent.Properties["float"] = 1.5f;
            logEvent.Properties["decimal"] = 79228162514264337593543950335m;
            logEvent.Properties["nan"] = double.NaN;
            logEvent.Properties["inf"] = double.NegativeInfinity;
            logEvent.Properties["bool"] = true;
            logEvent.Properties["null"] = null;
            logEvent.Properties["char"] = '"';
            logEvent.Properties["guid"] = guid;
            logEvent.Properties["date"] = FixedUtc;
            logEvent.Properties["span"] = TimeSpan.FromMinutes(90);
            logEvent.Properties["enum"] = DayOfWeek.Friday;
            logEvent.Properties["bytes"] = new byte[] { 1, 2, 255 };
            logEvent.Properties["uri"] = new Uri("https://example.com/a?b=c");

            JsonElement json = RenderAndParse(new PyLogJsonLayout(), logEvent);

            Assert.AreEqual(int.MinValue, json.GetProperty("int").GetInt32());
            Assert.AreEqual(long.MaxValue, json.GetProperty("long").GetInt64());
            Assert.AreEqual(ulong.MaxValue, json.GetProperty("ulong").GetUInt64());
            Assert.AreEqual(0.1 + 0.2, json.GetProperty("double").GetDouble());
            Assert.AreEqual(1.5f, json.GetProperty("float").GetSingle());
            Assert.AreEqual(79228162514264337593543950335m, json.GetProperty("decimal").GetDecimal());
            Assert.AreEqual("NaN", json.Str("nan"));
            Assert.AreEqual("-Infinity", json.Str("inf"));
            Assert.IsTrue(json.GetProperty("bool").GetBoolean());
            Assert.AreEqual(JsonValueKind.Null, json.GetProperty("null").ValueKind);
            Assert.AreEqual("\"", json.Str("char"));
            Assert.AreEqual(guid, json.GetProperty("guid").GetGuid());
            Assert.AreEqual(FixedUtc, json.GetProperty("date").GetDateTime());
            Assert.AreEqual("01:30:00", json.Str("span"));
            Assert.AreEqual("Friday", json.Str("enum"));
            CollectionAssert.AreEqual(new byte[] { 1, 2, 255 }, json.GetProperty("bytes").GetBytesFromBase64());
            Assert.AreEqual("https://example.com/a?b=c", json.Str("uri"));
        }

        [TestMethod]
        public void Doubles_AreWrittenAsDotNetsShortestRoundTripText()
        {
            var values = new List<double>
            {
                12.5, -3.75, 0.1, 0.25, 99.99, 1e-4, -1e-4, 0.0125, 0.0001, 0.00015, 123456.789, 1e13 + 0.5, 99999999999999.9,
                1e14, 1e15, 1e-5, 0.1 + 0.2, 1.0 / 3, 42, -42, 0.0, -0.0, double.Epsilon, double.MaxValue, double.MinValue, 2.5e-3, 1234.5678, 1234.56789,
            };
            var random = new Random(12345);
            for (int i = 0; i < 2000; i++)
            {
                values.Add(Math.Round((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 15)), random.Next(0, 6)));
                values.Add((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 20)));
            }

            var layout = new PyLogJsonLayout { IncludeScopeProperties = false };
            foreach (double value in values)
            {
                LogEventInfo logEvent = Event();
                logEvent.Properties["v"] = value;
                string text = layout.Render(logEvent);
                string expected = "\"v\":" + value.ToString(CultureInfo.InvariantCulture) + "}";
                Assert.IsTrue(text.EndsWith(expected, StringComparison.Ordinal), value.ToString("R", CultureInfo.InvariantCulture) + " -> " + text);
                Assert.AreEqual(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(RenderAndParse(layout, logEvent).GetProperty("v").GetDouble()));
            }
        }

        [TestMethod]
        public void HostileStrings_AreEscapedAndRoundTrip()
        {
            var controls = new StringBuilder();
            for (char c = '\0'; c < ' '; c++)
            {
                controls.Append(c);
            }

            string[] samples =
            {
                controls.ToString(),
                "quote \" backslash \\ slash / tab \t",
                "line\r\nbreak\u2028sep\u2029para\u0085nel\u007f",
                "emoji \U0001F600 and CJK 日志 and é",
                "</script><!-- & ' >",
            };

            foreach (string sample in samples)
            {
                LogEventInfo logEvent = Event(sample, logger: sample);
                logEvent.Properties[sample] = sample;
                JsonElement json = RenderAndParse(new PyLogJsonLayout(), logEvent);
                Assert.AreEqual(sample, json.Str("message"));
                Assert.AreEqual(sample, json.Str("logger"));
                Assert.AreEqual(sample, json.Str(sample));
            }
        }

        [TestMethod]
        public void LoneSurrogates_AreReplacedWithReplacementCharacter()
        {
            string hostile = "a\uD800b\uDC00c\uDBFF";
            LogEventInfo logEvent = Event(hostile);
            logEvent.Properties["k\uDFFF"] = hostile;

            JsonElement json = RenderAndParse(new PyLogJsonLayout(), logEvent);

            Assert.AreEqual("a\uFFFDb\uFFFDc\uFFFD", json.Str("message"));
            Assert.AreEqual("a\uFFFDb\uFFFDc\uFFFD", json.Str("k\uFFFD"));
        }

        [TestMethod]
        public void VeryLongMessage_RoundTrips()
        {
            string message = string.Concat(Enumerable.Repeat("0123456789\"\n日志\U0001F600", 60_000));
            JsonElement json = RenderAndParse(new PyLogJsonLayout(), Event(message));
            Assert.AreEqual(message, json.Str("message"));

            // The thread's buffer is reused by the next, small event.
            Assert.AreEqual("small", RenderAndParse(new PyLogJsonLayout(), Event("small")).Str("message"));
        }

        [TestMethod]
        public void APropertyNamedLikeAPrefixedOne_GetsAnotherUnderscore_SoNoKeyRepeats()
        {
            var layout = new PyLogJsonLayout();
            LogEventInfo logEvent = Event("real message");
            logEvent.Properties["message"] = "p1";
            logEvent.Properties["_message"] = "p2";
            logEvent.Properties["__message"] = "p3";
            logEvent.Properties["_other"] = "kept";

            JsonElement json = RenderAndParse(layout, logEvent);

            var names = json.EnumerateObject().Select(p => p.Name).ToList();
            CollectionAssert.AllItemsAreUnique(names, string.Join(",", names));
            Assert.AreEqual("real message", json.Str("message"));
            Assert.AreEqual("p1", json.Str("_message"));
            Assert.AreEqual("p2", json.Str("__message"));
            Assert.AreEqual("p3", json.Str("___message"));
            Assert.AreEqual("kept", json.Str("_other"));
        }

        [TestMethod]
        public void PropertiesNamedLikeFixedFieldsOrAttributes_GetAnUnderscorePrefix()
        {
            var layout = new PyLogJsonLayout();
            layout.Attributes.Add(new PyLogJsonAttribute("app", "demo"));
            LogEventInfo logEvent = Event("real message");
            logEvent.Properties["message"] = "fake";
            logEvent.Properties["time"] = 1;
            logEvent.Properties["level"] = "x";
            logEvent.Properties["logger"] = "y";
            logEvent.Properties["exception"] = "z";
            logEvent.Properties["app"] = "other";
            logEvent.Properties["Message"] = "case differs: kept";

            JsonElement json = RenderAndParse(layout, logEvent);

            Assert.AreEqual("real message", json.Str("message"));
            Assert.AreEqual("fake", json.Str("_message"));
            Assert.AreEqual(1, json.GetProperty("_time").GetInt32());
            Assert.AreEqual("x", json.Str("_level"));
            Assert.AreEqual("y", json.Str("_logger"));
            Assert.AreEqual("z", json.Str("_exception"));
            Assert.AreEqual("demo", json.Str("app"));
            Assert.AreEqual("other", json.Str("_app"));
            Assert.AreEqual("case differs: kept", json.Str("Message"));
            var names = json.EnumerateObject().Select(p => p.Name).ToList();
            Assert.AreEqual(names.Count, names.Distinct(StringComparer.Ordinal).Count(), "duplicate keys: " + string.Join(",", names));
        }

        [TestMethod]
        public void NestedObjectsDictionariesAndLists_AreNestedJson()
        {
            LogEventInfo logEvent = Event();
            logEvent.Properties["order"] = new Order { Id = 7, Customer = new Customer { Name = "Ann", Tags = new List<string> { "a", "b" } } };
            logEvent.Properties["dict"] = new Dictionary<string, object?> { ["x"] = 1, ["y"] = new Dictionary<int, string> { [5] = "five" } };
            logEvent.Properties["anon"] = new { A = 1, B = "two" };
            logEvent.Properties["list"] = new[] { 1, 2, 3 };

            JsonElement json = RenderAndParse(new PyLogJsonLayout(), logEvent);

            JsonElement order = json.GetProperty("order");
            Assert.AreEqual(7, order.GetProperty("Id").GetInt32());
            Assert.AreEqual("Ann", order.GetProperty("Customer").Str("Name"));
            CollectionAssert.AreEqual(new[] { "a", "b" }, order.GetProperty("Customer").GetProperty("Tags").EnumerateArray().Select(e => e.GetString()).ToArray());
            Assert.AreEqual(1, json.GetProperty("dict").GetProperty("x").GetInt32());
            Assert.AreEqual("five", json.GetProperty("dict").GetProperty("y").Str("5"));
            Assert.AreEqual("two", json.GetProperty("anon").Str("B"));
            Assert.AreEqual(3, json.GetProperty("list").GetArrayLength());
        }

        [TestMethod]
        public void Nesting_IsLimitedByMaxRecursionLimit()
        {
            LogEventInfo logEvent = Event();
            logEvent.Properties["deep"] = new Dictionary<string, object> { ["l1"] = new Dictionary<string, object> { ["l2"] = new Customer { Name = "deep", Tags = new List<string> { "t" } } } };

            JsonElement zero = RenderAndParse(new PyLogJsonLayout { MaxRecursionLimit = 0 }, logEvent);
            Assert.AreEqual(JsonValueKind.String, zero.GetProperty("deep").ValueKind);

            JsonElement one = RenderAndParse(new PyLogJsonLayout { MaxRecursionLimit = 1 }, logEvent);
            Assert.AreEqual(JsonValueKind.String, one.GetProperty("deep").GetProperty("l1").ValueKind);

            JsonElement three = RenderAndParse(new PyLogJsonLayout { MaxRecursionLimit = 3 }, logEvent);
            Assert.AreEqual("deep", three.GetProperty("deep").GetProperty("l1").GetProperty("l2").Str("Name"));
            Assert.AreEqual("[List]", three.GetProperty("deep").GetProperty("l1").GetProperty("l2").Str("Tags"), "beyond the limit: a placeholder, never ToString()");
            Assert.AreEqual("[Customer]", RenderAndParse(new PyLogJsonLayout { MaxRecursionLimit = 2 }, logEvent).GetProperty("deep").GetProperty("l1").Str("l2"));
        }

        [TestMethod]
        public void CyclicGraphs_AreSafe()
        {
            var node = new Node { Name = "a" };
            node.Next = new Node { Name = "b", Next = node };
            var selfDictionary = new Dictionary<string, object>();
            selfDictionary["me"] = selfDictionary;
            var selfList = new List<object>();
            selfList.Add(selfList);

            LogEventInfo logEvent = Event();
            logEvent.Properties["node"] = node;
            logEvent.Properties["dict"] = selfDictionary;
            logEvent.Properties["list"] = selfList;

            JsonElement json = RenderAndParse(new PyLogJsonLayout { MaxRecursionLimit = 10 }, logEvent);

            Assert.AreEqual("b", json.GetProperty("node").GetProperty("Next").Str("Name"));
            Assert.AreEqual("[Circular]", json.GetProperty("node").GetProperty("Next").Str("Next"));
            Assert.AreEqual("[Circular]", json.GetProperty("dict").Str("me"));
            Assert.AreEqual("[Circular]", json.GetProperty("list")[0].GetString());
        }

        [TestMethod]
        public void ThrowingGettersAndToString_DoNotBreakTheEvent()
        {
            LogEventInfo logEvent = Event();
            logEvent.Properties["bad"] = new Hostile();
            logEvent.Properties["badToString"] = new ThrowingToString();
            logEvent.Properties["after"] = 1;

            JsonElement json = RenderAndParse(new PyLogJsonLayout(), logEvent);

            Assert.AreEqual("ok", json.GetProperty("bad").Str("Good"));
            Assert.AreEqual("[Error: InvalidOperationException]", json.GetProperty("bad").Str("Bad"));
            Assert.AreEqual("[Error: NotSupportedException]", json.Str("badToString"));
            Assert.AreEqual(1, json.GetProperty("after").GetInt32());
        }

        [TestMethod]
        public void ExceptionAsPropertyValue_IsAnExceptionObject()
        {
            LogEventInfo logEvent = Event();
            logEvent.Properties["error"] = new TimeoutException("slow");
            JsonElement json = RenderAndParse(new PyLogJsonLayout(), logEvent);
            Assert.AreEqual("System.TimeoutException", json.GetProperty("error").Str("type"));
            Assert.AreEqual("slow", json.GetProperty("error").Str("message"));
        }

        [TestMethod]
        public void ConcurrentRendering_FromManyThreads_IsCorrect()
        {
            var layout = new PyLogJsonLayout();
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
            System.Threading.Tasks.Parallel.For(0, 4000, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            {
                LogEventInfo logEvent = Event("message " + i + new string('x', i % 300));
                logEvent.Properties["i"] = i;
                logEvent.Properties["nested"] = new Dictionary<string, object> { ["i"] = i };
                string text = layout.Render(logEvent);
                byte[] bytes = RenderBytes(layout, logEvent);
                using JsonDocument document = JsonDocument.Parse(bytes);
                if (!Encoding.UTF8.GetBytes(text).AsSpan().SequenceEqual(bytes)
                    || document.RootElement.GetProperty("i").GetInt32() != i
                    || document.RootElement.GetProperty("nested").GetProperty("i").GetInt32() != i
                    || document.RootElement.Str("message") != logEvent.FormattedMessage)
                {
                    failures.Enqueue(text);
                }
            });

            Assert.AreEqual(0, failures.Count, failures.FirstOrDefault());
        }

        internal static Exception Capture(Action action)
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                return ex;
            }

            throw new AssertFailedException("no exception");
        }

        public sealed class Order
        {
            public int Id { get; set; }

            public Customer? Customer { get; set; }
        }

        public sealed class Customer
        {
            public string? Name { get; set; }

            public List<string>? Tags { get; set; }

            public override string ToString() => "Customer:" + Name;
        }

        public sealed class Node
        {
            public string? Name { get; set; }

            public Node? Next { get; set; }
        }

        public sealed class Hostile
        {
            public string Good => "ok";

            public string Bad => throw new InvalidOperationException("getter");
        }

        public sealed class ThrowingToString
        {
            public override string ToString() => throw new NotSupportedException();
        }
    }
}
