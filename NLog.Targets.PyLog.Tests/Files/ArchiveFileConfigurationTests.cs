using System;
using System.IO;
using System.Security;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    /// <summary>Bad configuration fails at load, naming the property.</summary>
    [TestClass]
    public sealed class ArchiveFileConfigurationTests
    {
        [TestMethod]
        [DataRow("archiveFileName='{dir}/app-%d{}.log'", "ArchiveFileName", "empty")]
        [DataRow("archiveFileName='{dir}/app-%d{yyyy-MM-dd hh}.log'", "ArchiveFileName", "unknown token 'hh'")]
        [DataRow("archiveFileName='{dir}/app-%d{yyyy-MM-dd}-%q.log'", "ArchiveFileName", "unknown token '%q'")]
        [DataRow("archiveFileName='{dir}/app-%d{dd}.log'", "ArchiveFileName", "lacks 'yyyy'")]
        [DataRow("archiveFileName='{dir}/app-old.log' maxArchiveFiles='3'", "ArchiveFileName", "no varying part")]
        [DataRow("archiveFileName='{dir}/%d{yyyy}/app-%i.log'", "ArchiveFileName", "file name only")]
        [DataRow("archiveFileName='{dir}/app-%d{yyyy-MM-dd}.log' archiveAboveSize='1000'", "ArchiveFileName", "needs %i")]
        [DataRow("archiveFileName='{dir}/app-%i.log'", "ArchiveFileName", "never roll")]
        [DataRow("archiveFileName='{dir}/app-%i.log' archiveAboveSize='10' fileName='{dir}/app-1.log'", "ArchiveFileName", "active file")]
        [DataRow("maxArchiveFiles='3'", "ArchiveFileName", "required")]
        [DataRow("fileName=''", "FileName", "required")]
        [DataRow("fileName='{dir}'", "FileName", "ArchiveFile 'bad': FileName names a directory, not a file (was '{dir}')")]
        [DataRow("bufferSize='0'", "BufferSize", "at least 1")]
        public void InvalidConfiguration_FailsAtLoad_NamingTheProperty(string attributes, string property, string reason)
        {
            using var folder = new FilesTempFolder();
            string dir = SecurityElement.Escape(folder.Path);
            attributes = attributes.Replace("{dir}", dir).Replace('\'', '"');
            if (!attributes.Contains("fileName=", StringComparison.Ordinal))
                attributes += " fileName=\"" + dir + "/app.log\"";
            string xml = "<nlog throwConfigExceptions='true'><targets><target type='ArchiveFile' name='bad' " + attributes + " /></targets>"
                + "<rules><logger name='*' writeTo='bad' /></rules></nlog>";

            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => ArchiveFileTestKit.LoadXml(xml.Replace('\'', '"')));

            string messages = ArchiveFileTestKit.Messages(ex);
            StringAssert.Contains(messages, property);
            StringAssert.Contains(messages, reason.Replace("{dir}", folder.Path));
            Assert.IsFalse(File.Exists(Path.Combine(folder.Path, "app.log")), "a rejected target must not create its file");
        }
    
        [TestMethod]
        public void Second_target_on_a_file_this_process_writes_is_refused_naming_it()
        {
            using var folder = new FilesTempFolder();
            var first = ArchiveFileTestKit.Start(new ArchiveFileTarget { Name = "first", FileName = folder.File("app.log"), Layout = "${message}" });
            try
            {
                var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => ArchiveFileTestKit.Start(new ArchiveFileTarget { Name = "second", FileName = folder.File("app.log"), Layout = "${message}" }));
                string messages = ArchiveFileTestKit.Messages(ex);
                StringAssert.Contains(messages, "ArchiveFile 'second': FileName is already written by process " + Environment.ProcessId + " (this process: another target writes the same file)");
                StringAssert.Contains(messages, "ConcurrentWrites");
            }
            finally
            {
                first.Shutdown();
            }
            var again = ArchiveFileTestKit.Start(new ArchiveFileTarget { Name = "again", FileName = folder.File("app.log"), Layout = "${message}" });
            again.Shutdown();   // closing the first released the file
        }
    }
}
