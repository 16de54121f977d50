using System;
using System.Diagnostics;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Config;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>One directory, one owner: a second one fails at initialization naming the holder; a dead holder's lock is taken over.</summary>
    [TestClass]
    public sealed class DiskBufferLockTests
    {
        [TestMethod]
        public void Second_wrapper_in_the_same_process_fails_naming_directory_and_pid()
        {
            using var folder = new FilesTempFolder();
            var (first, _) = DiskBufferTestKit.Create(new ReportingTestTarget { Name = "a" }, folder.Path);
            try
            {
                var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => DiskBufferTestKit.Create(new ReportingTestTarget { Name = "b" }, folder.Path, name: "second"));
                StringAssert.Contains(ex.Message, "second");
                StringAssert.Contains(ex.Message, folder.Path);
                StringAssert.Contains(ex.Message, "process " + Environment.ProcessId);
            }
            finally
            {
                first.Shutdown();
            }

            // Released at close: the directory can be used again.
            var (again, _) = DiskBufferTestKit.Create(new ReportingTestTarget { Name = "c" }, folder.Path);
            again.Shutdown();
        }

        [TestMethod]
        public void Second_process_on_the_same_directory_fails_naming_the_holder_pid()
        {
            using var folder = new FilesTempFolder();
            string buffer = Path.Combine(folder.Path, "buffer");
            string config = Path.Combine(folder.Path, "nlog.config");
            File.WriteAllText(config, $@"<nlog xmlns:xsi=""http://www.w3.org/2001/XMLSchema-instance"" throwConfigExceptions=""true"">
  <targets><target xsi:type=""DiskBufferWrapper"" name=""buffer"" directory=""{buffer}""><target xsi:type=""Null"" name=""null"" /></target></targets>
  <rules><logger name=""*"" writeTo=""buffer"" /></rules>
</nlog>");
            using var holder = CrashChild.Start(config, 0, 1, waitForEmpty: false);
            holder.WaitFor("LOGGED", 60_000);

            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => DiskBufferTestKit.Create(new ReportingTestTarget { Name = "a" }, buffer));
            StringAssert.Contains(ex.Message, buffer);
            StringAssert.Contains(ex.Message, "process " + holder.Pid);
        }

        [TestMethod]
        public void Stale_lock_of_a_dead_process_is_taken_over()
        {
            using var folder = new FilesTempFolder();
            int deadPid;
            using (var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
            {
                process.WaitForExit();
                deadPid = process.Id;
            }
            File.WriteAllText(Path.Combine(folder.Path, "buffer.lock"), deadPid + "\n0\n");

            var wrapped = new ReportingTestTarget { Name = "a" };
            var (factory, _) = DiskBufferTestKit.Create(wrapped, folder.Path);
            StringAssert.StartsWith(File.ReadAllText(Path.Combine(folder.Path, "buffer.lock")), Environment.ProcessId + "\n");
            factory.GetLogger("x").Info("works");
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();
            CollectionAssert.AreEqual(new[] { "works" }, wrapped.Delivered);
            Assert.IsFalse(File.Exists(Path.Combine(folder.Path, "buffer.lock")), "released at close");
        }
    }
}
