using System;
using System.Diagnostics;
using System.IO;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>
    /// A small tmpfs mounted on a temp folder (needs root and CAP_SYS_ADMIN, as in the build container):
    /// a real full disk (ENOSPC) and a real read-only file system (remount ro) for the buffer tests.
    /// </summary>
    internal sealed class TinyTmpfs : IDisposable
    {
        private TinyTmpfs(string path)
        {
            Path = path;
        }

        public string Path { get; }

        public static TinyTmpfs Mount(int kilobytes)
        {
            string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pylog-tmpfs-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(path);
            Run("mount", "-t", "tmpfs", "-o", "size=" + kilobytes + "k", "tmpfs", path);
            return new TinyTmpfs(path);
        }

        public void ReadOnly() => Run("mount", "-o", "remount,ro", Path);

        public void Writable() => Run("mount", "-o", "remount,rw", Path);

        /// <summary>Fills what is left with a file (until ENOSPC); returns its path.</summary>
        public string Fill()
        {
            string filler = System.IO.Path.Combine(Path, "filler");
            using var file = new FileStream(filler, FileMode.Create);
            var block = new byte[4096];
            try
            {
                while (true)
                    file.Write(block, 0, block.Length);
            }
            catch (IOException)
            {
                // full
            }
            return filler;
        }

        public void Dispose()
        {
            try
            {
                Run("umount", "-l", Path);
                Directory.Delete(Path, true);
            }
            catch (Exception ex) when (ex is IOException || ex is InvalidOperationException)
            {
                // best effort
            }
        }

        private static void Run(string file, params string[] arguments)
        {
            var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in arguments)
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start) ?? throw new InvalidOperationException(file + " did not start");
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"'{file} {string.Join(" ", arguments)}' failed ({process.ExitCode}): {error.Trim()}. The disk tests need root with CAP_SYS_ADMIN (tmpfs mounts).");
        }
    }
}
