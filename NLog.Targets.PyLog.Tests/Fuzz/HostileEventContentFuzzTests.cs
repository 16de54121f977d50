using System;
using System.Buffers;
using System.Collections;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Layouts;

namespace NLog.Targets.PyLog.Tests.Fuzz
{
    /// <summary>
    /// Random hostile event content (cycles, deep nesting, throwing getters and enumerators, lone
    /// surrogates, control characters, a 20 MB string) always renders as one valid JSON line that
    /// System.Text.Json parses with its default options (max depth 64).
    /// </summary>
    [TestClass]
    public class HostileEventContentFuzzTests
    {
        private static readonly string Huge = new string('h', 20 * 1024 * 1024);

        public static IEnumerable<object[]> Layouts()
        {
            yield return new object[] { "PyLogJson" };
            yield return new object[] { "PyLogJson masked, limit 64" };
        }

        [TestMethod]
        public void Hostile_event_content_always_renders_one_valid_JSON_line_through_Plumelog()
        {
            Hostile_event_content_always_renders_one_valid_JSON_line("Plumelog");
        }

        [TestMethod]
        [DynamicData(nameof(Layouts))]
        public void Hostile_event_content_always_renders_one_valid_JSON_line(string which)
        {
            Layout layout = which switch
            {
                "PyLogJson" => new PyLogJsonLayout(),
                "PyLogJson masked, limit 64" => new PyLogJsonLayout { MaskProperties = "password,*token*", MaxRecursionLimit = 64, MaxInnerExceptionLevel = 100 },
                _ => new PlumelogLayout { AppName = "fuzz", Env = "test" },
            };

            var random = new Random(17);
            var failures = new List<string>();
            for (int i = 0; i < 400; i++)
            {
                LogEventInfo logEvent = RandomEvent(random, i);
                if (i % 2 == 0)
                    layout.Precalculate(logEvent);
                string? failure = Check(layout, logEvent);
                if (failure != null)
                    failures.Add("event " + i + ": " + failure);
            }

            LogEventInfo huge = new LogEventInfo(LogLevel.Error, "fuzz", null, "huge {Text} {@Obj}", new object[] { Huge, new { text = Huge } });
            huge.Properties["big"] = Huge;
            string? hugeFailure = Check(layout, huge);
            if (hugeFailure != null)
                failures.Add("20 MB event: " + hugeFailure);

            Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
        }

        private static string? Check(Layout layout, LogEventInfo logEvent)
        {
            try
            {
                string text = layout.Render(logEvent);
                if (text.IndexOf('\n') >= 0 || text.IndexOf('\r') >= 0)
                    return "raw line break";
                using (JsonDocument.Parse(Encoding.UTF8.GetBytes(text)))
                {
                }

                if (layout is NLog.Targets.PyLog.Core.IUtf8Layout utf8)
                {
                    var output = new ArrayBufferWriter<byte>();
                    utf8.RenderUtf8(logEvent, output);
                    using (JsonDocument.Parse(output.WrittenMemory))
                    {
                    }
                }

                return null;
            }
            catch (Exception ex)
            {
                return ex.GetType().Name + ": " + ex.Message;
            }
        }

        private static LogEventInfo RandomEvent(Random random, int i)
        {
            var parameters = new object?[] { RandomValue(random, 0), RandomValue(random, 0), RandomString(random) };
            string template = (i % 4) switch
            {
                0 => "a {A} b {@B} c {$C}",
                1 => "{0} {1} {2}",
                2 => RandomString(random) + " {password} {@apiToken}",
                _ => "{{literal}} {A,10:x} {B:yyyy} {",
            };
            var logEvent = new LogEventInfo(RandomLevel(random), RandomString(random), null, template, parameters);
            int count = random.Next(0, 8);
            for (int p = 0; p < count; p++)
                logEvent.Properties[random.Next(4) == 0 ? RandomString(random) : "p" + p] = RandomValue(random, 0);
            if (random.Next(3) == 0)
                logEvent.Exception = RandomException(random, 0);
            return logEvent;
        }

        private static LogLevel RandomLevel(Random random) => LogLevel.FromOrdinal(random.Next(0, 6));

        private static object? RandomValue(Random random, int depth)
        {
            if (depth > 120)
                return "bottom";
            switch (random.Next(16))
            {
                case 0: return null;
                case 1: return RandomString(random);
                case 2: return random.NextDouble() < 0.5 ? double.NaN : double.PositiveInfinity;
                case 3: return random.Next();
                case 4:
                    var dict = new Dictionary<string, object?>();
                    for (int i = random.Next(0, 4); i > 0; i--)
                        dict[RandomString(random)] = RandomValue(random, depth + 1);
                    return dict;
                case 5:
                    var list = new List<object?>();
                    for (int i = random.Next(0, 4); i > 0; i--)
                        list.Add(RandomValue(random, depth + 1));
                    return list;
                case 6:
                    var cycle = new Dictionary<string, object?>();
                    cycle["self"] = new List<object?> { cycle };
                    return cycle;
                case 7: return new Throwing();
                case 8: return new ThrowingEnumerable();
                case 9: return Deep(random.Next(60, 200));
                case 10: return new { password = RandomString(random), nested = RandomValue(random, depth + 1) };
                case 11: return new Record(RandomString(random), RandomValue(random, depth + 1));
                case 12: return RandomException(random, 0);
                case 13: return new Uri("http://example.test/" + Uri.EscapeDataString("x"));
                case 14: return new Hashtable { [1] = "one", [new object()] = RandomValue(random, depth + 1) };
                default: return DateTimeOffset.MinValue;
            }
        }

        private static object Deep(int levels)
        {
            object value = "bottom";
            for (int i = 0; i < levels; i++)
                value = i % 2 == 0 ? new Dictionary<string, object> { ["d"] = value } : new object[] { value };
            return value;
        }

        private static Exception RandomException(Random random, int level)
        {
            if (level > 80 || random.Next(4) == 0)
                return random.Next(2) == 0 ? new InvalidOperationException(RandomString(random)) : new ThrowingMessageException();
            Exception inner = RandomException(random, level + 1);
            return random.Next(5) == 0 ? new AggregateException(RandomString(random), inner, new Exception("second")) : new Exception(RandomString(random), inner);
        }

        private static string RandomString(Random random)
        {
            var builder = new StringBuilder();
            int length = random.Next(0, 24);
            for (int i = 0; i < length; i++)
            {
                switch (random.Next(8))
                {
                    case 0: builder.Append((char)random.Next(0xD800, 0xDFFF)); break; // lone surrogate
                    case 1: builder.Append((char)random.Next(0, 32)); break;           // control character
                    case 2: builder.Append("\"\\{}"[random.Next(4)]); break;
                    case 3: builder.Append('\u2028'); break;
                    case 4: builder.Append("😀"); break;
                    case 5: builder.Append('\uFFFF'); break;
                    default: builder.Append((char)random.Next('a', 'z')); break;
                }
            }

            return builder.ToString();
        }

        public sealed record Record(string Name, object? Value);

        public sealed class Throwing
        {
            public string Ok => "ok";

            public string Bad => throw new InvalidOperationException("getter");

            public override string ToString() => throw new NotSupportedException("ToString");
        }

        public sealed class ThrowingEnumerable : IEnumerable
        {
            public IEnumerator GetEnumerator()
            {
                yield return 1;
                throw new InvalidOperationException("enumeration");
            }
        }

        public sealed class ThrowingMessageException : Exception
        {
            public override string Message => throw new InvalidOperationException("message");

            public override string? StackTrace => throw new InvalidOperationException("stack");
        }
    }
}
