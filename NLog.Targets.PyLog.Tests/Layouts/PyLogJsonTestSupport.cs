using System;
using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Layouts;

namespace NLog.Targets.PyLog.Tests.Layouts
{
    /// <summary>Renders through both paths, checks they agree and that the line is one valid JSON object.</summary>
    internal static class PyLogJsonTestSupport
    {
        public static readonly DateTime FixedUtc = new DateTime(2024, 5, 1, 8, 30, 15, DateTimeKind.Utc).AddTicks(1234567);

        public static LogEventInfo Event(string message = "hello", LogLevel? level = null, string logger = "Demo.Logger")
        {
            return new LogEventInfo(level ?? LogLevel.Info, logger, message) { TimeStamp = FixedUtc };
        }

        public static byte[] RenderBytes(PyLogJsonLayout layout, LogEventInfo logEvent)
        {
            var output = new ArrayBufferWriter<byte>();
            layout.RenderUtf8(logEvent, output);
            return output.WrittenSpan.ToArray();
        }

        /// <summary>Renders with both APIs, asserts byte identity and single-line output, and parses the JSON.</summary>
        public static JsonElement RenderAndParse(PyLogJsonLayout layout, LogEventInfo logEvent)
        {
            string text = layout.Render(logEvent);
            byte[] bytes = RenderBytes(layout, logEvent);
            CollectionAssert.AreEqual(Encoding.UTF8.GetBytes(text), bytes, "Render and RenderUtf8 differ");

            var builder = new StringBuilder("prefix:");
            layout.Render(logEvent, builder);
            Assert.AreEqual("prefix:" + text, builder.ToString(), "Render(StringBuilder) differs");

            Assert.IsFalse(text.Contains('\n') || text.Contains('\r'), "raw line break in: " + text);
            using JsonDocument document = JsonDocument.Parse(bytes);
            Assert.AreEqual(JsonValueKind.Object, document.RootElement.ValueKind);
            return document.RootElement.Clone();
        }

        public static JsonElement RenderAndParse(Layout layout, LogEventInfo logEvent) => RenderAndParse((PyLogJsonLayout)layout, logEvent);

        public static bool Has(this JsonElement element, string name) => element.TryGetProperty(name, out _);

        public static string? Str(this JsonElement element, string name) => element.GetProperty(name).GetString();
    }
}
