using System;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Layouts;
using NLog.Targets.PyLog.Files;

namespace NLog.Targets.PyLog.Tests.Files
{
    /// <summary>The compiled rendering of the common line layouts is byte for byte what NLog renders.</summary>
    [TestClass]
    public sealed class CompiledLineLayoutTests
    {
        [TestMethod]
        [DataRow("${longdate}|${level:uppercase=true}|${logger}|${message}")]
        [DataRow("${longdate:universalTime=true} [${level}] ${logger}: ${message} ü€")]
        [DataRow("${message}")]
        [DataRow("plain text")]
        public void Compiled_layout_renders_exactly_what_NLog_renders(string text)
        {
            var layout = new SimpleLayout(text);
            var compiled = CompiledLineLayout.TryCompile(layout);
            Assert.IsNotNull(compiled, "expected the layout to compile: " + text);
            var output = new LineBuffer(16);
            var time = new DateTime(2026, 3, 9, 7, 5, 3, DateTimeKind.Local).AddTicks(1_234_567);
            foreach (var level in new[] { LogLevel.Trace, LogLevel.Debug, LogLevel.Info, LogLevel.Warn, LogLevel.Error, LogLevel.Fatal })
            {
                foreach (var logger in new[] { "App.Orders", "Zürich.Ünits", string.Empty })
                {
                    for (int step = 0; step < 3; step++)
                    {
                        var logEvent = LogEventInfo.Create(level, logger, null, "Order {0} to {1} «ok»", new object[] { step, "Zürich" });
                        logEvent.TimeStamp = time.AddMilliseconds(step * 700.3);
                        logEvent.Exception = step == 2 ? new InvalidOperationException("not in ${message}") : null;
                        output.Clear();
                        compiled.Render(logEvent, output);
                        Assert.AreEqual(layout.Render(logEvent), Encoding.UTF8.GetString(output.WrittenSpan), text);
                    }
                }
            }
        }

        [TestMethod]
        [DataRow("${message:withException=true}")]
        [DataRow("${level:format=Ordinal}")]
        [DataRow("${logger:shortName=true}")]
        [DataRow("${threadid} ${message}")]
        public void Options_it_does_not_reproduce_leave_the_layout_to_NLog(string text)
            => Assert.IsNull(CompiledLineLayout.TryCompile(new SimpleLayout(text)));
    }
}
