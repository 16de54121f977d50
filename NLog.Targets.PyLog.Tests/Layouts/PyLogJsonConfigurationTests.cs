using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets;

namespace NLog.Targets.PyLog.Tests.Layouts
{
    [TestClass]
    public class PyLogJsonConfigurationTests
    {
        private const string XmlHeader = "<nlog xmlns='http://www.nlog-project.org/schemas/NLog.xsd' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' throwConfigExceptions='true'>";

        private string _directory = string.Empty;

        [TestInitialize]
        public void CreateDirectory()
        {
            _directory = Path.Combine(Path.GetTempPath(), "pylogjson-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_directory);
        }

        [TestCleanup]
        public void DeleteDirectory()
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a file still held open must not fail the test run
            }
        }

        private static LogFactory Load(string xml)
        {
            return new LogFactory().Setup()
                .SetupExtensions(e => e.RegisterAssembly(typeof(PyLogJsonLayout).Assembly))
                .LoadConfigurationFromXml(xml).LogFactory;
        }

        [TestMethod]
        public void FileTarget_WithPyLogJsonLayoutFromXml_WritesMaskedJsonLines()
        {
            string file = Path.Combine(_directory, "app.jsonl");
            string xml = XmlHeader + $@"
  <targets>
    <target xsi:type='File' name='file' fileName='{file}' keepFileOpen='true'>
      <layout xsi:type='PyLogJson' maskProperties='password,*token*'>
        <attribute name='app' layout='demo'/>
      </layout>
    </target>
  </targets>
  <rules><logger name='*' minlevel='Trace' writeTo='file'/></rules>
</nlog>";
            using (LogFactory factory = Load(xml))
            {
                Logger logger = factory.GetLogger("Config.Test");
                logger.Info("Login {User} with {Password} and {AccessToken}", "ann", "hunter2", "tok");
                logger.Error(new InvalidOperationException("bad\nthing"), "Failed for {User}", "bob");
                factory.Flush();
            }

            string[] lines = File.ReadAllLines(file);
            Assert.AreEqual(2, lines.Length, string.Join(Environment.NewLine, lines));
            using JsonDocument first = JsonDocument.Parse(lines[0]);
            Assert.AreEqual("demo", first.RootElement.GetProperty("app").GetString());
            Assert.AreEqual("Config.Test", first.RootElement.GetProperty("logger").GetString());
            Assert.AreEqual("ann", first.RootElement.GetProperty("User").GetString());
            Assert.AreEqual("***", first.RootElement.GetProperty("Password").GetString());
            Assert.AreEqual("***", first.RootElement.GetProperty("AccessToken").GetString());
            Assert.IsFalse(lines[0].Contains("hunter2") || lines[0].Contains("\"tok\""), lines[0]);
            using JsonDocument second = JsonDocument.Parse(lines[1]);
            Assert.AreEqual("Error", second.RootElement.GetProperty("level").GetString());
            Assert.AreEqual("bad\nthing", second.RootElement.GetProperty("exception").GetProperty("message").GetString());
        }

        [TestMethod]
        public void JsonFileSample_LoadsAndWritesOneJsonObjectPerLine()
        {
            string sample = Path.Combine(AppContext.BaseDirectory, "samples", "json-file.config");
            Assert.IsTrue(File.Exists(sample), "sample not copied to the output: " + sample);
            using (LogFactory factory = Load(File.ReadAllText(sample)))
            {
                factory.Configuration!.Variables["logDirectory"] = _directory;
                Logger logger = factory.GetLogger("Sample");
                using (ScopeContext.PushProperty("RequestId", "req-1"))
                {
                    logger.WithProperty("EventId", 7).Info("Paid {Amount} with {CardToken} by {Client}", 12.5m, "4111", new { Name = "ann", Secret = "x" });
                }

                logger.Debug("below minlevel");
                factory.Flush();
            }

            string[] lines = File.ReadAllLines(Path.Combine(_directory, "app.jsonl"));
            Assert.AreEqual(1, lines.Length, string.Join(Environment.NewLine, lines));
            using JsonDocument document = JsonDocument.Parse(lines[0]);
            JsonElement root = document.RootElement;
            Assert.AreEqual("orders-api", root.GetProperty("app").GetString());
            Assert.AreEqual(Environment.CurrentManagedThreadId, root.GetProperty("threadId").GetInt32());
            Assert.AreEqual("req-1", root.GetProperty("RequestId").GetString());
            Assert.AreEqual(12.5m, root.GetProperty("Amount").GetDecimal());
            Assert.AreEqual("***", root.GetProperty("CardToken").GetString());
            Assert.AreEqual("ann", root.GetProperty("Client").GetProperty("Name").GetString());
            Assert.AreEqual("***", root.GetProperty("Client").GetProperty("Secret").GetString());
            Assert.IsFalse(root.TryGetProperty("EventId", out _), "excludeProperties");
            // The anonymous object is written into the message as its masked JSON, not its ToString().
            Assert.AreEqual("Paid 12.5 with *** by {\"Name\":\"ann\",\"Secret\":\"***\"}", root.GetProperty("message").GetString());
        }

        [TestMethod]
        public void MicrosoftExtensionsLogging_TemplateValuesAndScopes_AreWrittenAndMasked()
        {
            string xml = XmlHeader + @"
  <targets>
    <target xsi:type='Memory' name='memory'>
      <layout xsi:type='PyLogJson' maskProperties='password' />
    </target>
  </targets>
  <rules><logger name='*' minlevel='Trace' writeTo='memory'/></rules>
</nlog>";
            using LogFactory factory = Load(xml);
            using var provider = new NLog.Extensions.Logging.NLogLoggerProvider(new NLog.Extensions.Logging.NLogProviderOptions(), factory);
            Microsoft.Extensions.Logging.ILogger logger = provider.CreateLogger("Mel.Category");
            using (logger.BeginScope(new Dictionary<string, object> { ["TraceId"] = "t-42" }))
            {
                Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, "Login {User} with {Password} took {Ms}", "ann", "hunter2", 12);
            }

            factory.Flush();
            MemoryTarget memory = factory.Configuration!.FindTargetByName<MemoryTarget>("memory") ?? throw new AssertFailedException("memory target not found");
            Assert.AreEqual(1, memory.Logs.Count);
            using JsonDocument document = JsonDocument.Parse(memory.Logs[0]);
            JsonElement root = document.RootElement;
            Assert.AreEqual("Warn", root.GetProperty("level").GetString());
            Assert.AreEqual("Mel.Category", root.GetProperty("logger").GetString());
            Assert.AreEqual("Login ann with *** took 12", root.GetProperty("message").GetString());
            Assert.AreEqual("***", root.GetProperty("Password").GetString());
            Assert.AreEqual(12, root.GetProperty("Ms").GetInt32());
            Assert.AreEqual("t-42", root.GetProperty("TraceId").GetString());
            Assert.IsFalse(memory.Logs[0].Contains("hunter2"), memory.Logs[0]);
        }

        [TestMethod]
        public void AsyncWrapper_KeepsScopePropertiesOfTheLoggingThread()
        {
            string xml = XmlHeader + @"
  <targets async='true'>
    <target xsi:type='Memory' name='memory'>
      <layout xsi:type='PyLogJson' />
    </target>
  </targets>
  <rules><logger name='*' minlevel='Trace' writeTo='memory'/></rules>
</nlog>";
            using LogFactory factory = Load(xml);
            Logger logger = factory.GetLogger("Async");
            using (ScopeContext.PushProperty("TraceId", "abc"))
            {
                logger.Info("in scope");
            }

            factory.Flush();
            MemoryTarget memory = factory.Configuration!.FindTargetByName<Targets.Wrappers.AsyncTargetWrapper>("memory")?.WrappedTarget as MemoryTarget
                ?? throw new AssertFailedException("memory target not found");
            Assert.AreEqual(1, memory.Logs.Count);
            using JsonDocument document = JsonDocument.Parse(memory.Logs[0]);
            Assert.AreEqual("abc", document.RootElement.GetProperty("TraceId").GetString());
        }

        [TestMethod]
        [DataRow("maxRecursionLimit='-1'", "", "MaxRecursionLimit")]
        [DataRow("maxRecursionLimit='65'", "", "MaxRecursionLimit")]
        [DataRow("maxInnerExceptionLevel='-2'", "", "MaxInnerExceptionLevel")]
        [DataRow("maskProperties='password,,token'", "", "MaskProperties")]
        [DataRow("maskProperties='password, '", "", "MaskProperties")]
        [DataRow("", "<attribute layout='x'/>", "Attributes")]
        [DataRow("", "<attribute name='level' layout='x'/>", "Attributes")]
        [DataRow("", "<attribute name='app' layout='x'/><attribute name='app' layout='y'/>", "Attributes")]
        public void InvalidOptions_RaiseNLogConfigurationException_NamingTheProperty(string options, string children, string property)
        {
            // NLog 6.2 logs (does not rethrow) a layout's initialization error while loading the
            // configuration; with throwExceptions the logging call surfaces it.
            using LogFactory factory = Load(InvalidLayoutXml(options, children, "throwExceptions='true'"));
            Exception? error = null;
            try
            {
                factory.GetLogger("x").Info("should not be rendered");
            }
            catch (Exception ex)
            {
                error = ex;
            }

            Assert.IsNotNull(error, "logging succeeded although " + property + " is invalid");
            List<Exception> chain = new List<Exception>();
            for (Exception? e = error; e != null; e = e.InnerException)
            {
                chain.Add(e);
            }

            Assert.IsTrue(
                chain.Any(e => e is NLogConfigurationException && e.Message.Contains(property, StringComparison.Ordinal)),
                "no NLogConfigurationException naming " + property + ": " + error);
        }

        [TestMethod]
        public void InvalidMaskProperties_FailClosed_NothingIsWrittenAndTheApplicationDoesNotThrow()
        {
            using LogFactory factory = Load(InvalidLayoutXml("maskProperties='password,,'", string.Empty, string.Empty));
            factory.GetLogger("x").Info("Login {Password}", "hunter2");
            factory.Flush();
            MemoryTarget memory = factory.Configuration!.FindTargetByName<MemoryTarget>("memory") ?? throw new AssertFailedException("memory target not found");
            Assert.AreEqual(0, memory.Logs.Count, "an invalid mask must not fall back to unmasked output");
        }

        private static string InvalidLayoutXml(string options, string children, string nlogOptions)
        {
            return $@"<nlog xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' throwConfigExceptions='true' {nlogOptions}>
  <targets>
    <target xsi:type='Memory' name='memory'>
      <layout xsi:type='PyLogJson' {options}>{children}</layout>
    </target>
  </targets>
  <rules><logger name='*' minlevel='Trace' writeTo='memory'/></rules>
</nlog>";
        }

        [TestMethod]
        public void InvalidOptions_FailDirectUseToo()
        {
            var layout = new PyLogJsonLayout { MaskProperties = "*token*,," };
            var error = Assert.ThrowsExactly<NLogConfigurationException>(() => layout.RenderUtf8(LogEventInfo.CreateNullEvent(), new System.Buffers.ArrayBufferWriter<byte>()));
            StringAssert.Contains(error.Message, "MaskProperties");
            StringAssert.Contains(Assert.ThrowsExactly<NLogConfigurationException>(() => layout.ThrowIfInvalid()).Message, "MaskProperties");
            layout.MaskProperties = "*token*";
            layout.ThrowIfInvalid();
        }
    }
}
