using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Files;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    /// <summary>
    /// The writer lock beside a file, in-process: each open of the lock file is its own flock holder,
    /// so a second handle stands in for another process.
    /// </summary>
    [TestClass]
    public sealed class WriterRegistrationTests
    {
        [TestMethod]
        public void A_ConcurrentWrites_writer_waits_out_the_exclusive_moment_of_another_one_starting()
        {
            // flock turns the first writer's exclusive lock into a shared one non-atomically; a second
            // ConcurrentWrites writer starting at that moment was refused as if the first one lacked it.
            using var folder = new FilesTempFolder();
            string active = folder.File("app.log");
            using var other = LinuxFile.OpenLockFile(active + WriterRegistration.Suffix, append: true);
            Assert.IsTrue(LinuxFile.TryLock(other, LinuxFile.LockExclusive), "the other writer is in its exclusive moment");

            string refusal = "not run";
            var starting = Task.Run(() => WriterRegistration.TryAcquire(active, concurrent: true, out refusal));
            Thread.Sleep(300);
            Assert.IsFalse(starting.IsCompleted, "the second writer waits instead of being refused at once");
            Assert.IsTrue(LinuxFile.TryLock(other, LinuxFile.LockShared), "the other writer turns to the shared lock");

            Assert.IsTrue(starting.Wait(5000), "the second writer registers once the lock is shared");
            using var registration = starting.Result;
            Assert.IsNotNull(registration, "refused: " + refusal);
            Assert.AreEqual(string.Empty, refusal);
        }

        [TestMethod]
        public void A_ConcurrentWrites_writer_is_refused_while_an_exclusive_writer_keeps_the_file()
        {
            using var folder = new FilesTempFolder();
            string active = folder.File("app.log");
            using var exclusive = WriterRegistration.TryAcquire(active, concurrent: false, out string first);
            Assert.IsNotNull(exclusive, first);

            using var second = WriterRegistration.TryAcquire(active, concurrent: true, out string refusal);
            Assert.IsNull(second);
            StringAssert.Contains(refusal, "without ConcurrentWrites");
        }
    }
}
