using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Files
{
    /// <summary>
    /// A child process running <c>NLog.Targets.PyLog.Tests.FileWriter</c>: one writer of a shared
    /// ArchiveFile. The test project builds it beside itself (a ProjectReference without its assembly).
    /// </summary>
    internal sealed class FileWriterProcess : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new ConcurrentQueue<string>();

        private FileWriterProcess(Process process)
        {
            _process = process;
        }

        public int Id => _process.Id;

        public string Output => string.Join("\n", _output);

        /// <summary>Starts a writer of <paramref name="lines"/> lines "<paramref name="writerId"/>:n:padding".</summary>
        public static FileWriterProcess Start(string fileName, string archiveFileName, int writerId, int lines, params string[] options)
        {
            var info = new ProcessStartInfo(DotNet, new[] { WriterAssembly, fileName, archiveFileName, writerId.ToString(System.Globalization.CultureInfo.InvariantCulture), lines.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(options))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            var process = new Process { StartInfo = info };
            var writer = new FileWriterProcess(process);
            process.OutputDataReceived += (_, e) => { if (e.Data != null) writer._output.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) writer._output.Enqueue("stderr: " + e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return writer;
        }

        public bool Printed(string prefix) => _output.Any(l => l.StartsWith(prefix, StringComparison.Ordinal));

        public void WaitFor(string prefix, int timeoutMilliseconds = 60_000)
        {
            Poll.Until(() => Printed(prefix) || _process.HasExited, "writer " + Id + " to print " + prefix, timeoutMilliseconds);
            if (!Printed(prefix))
            {
                _process.WaitForExit();
                if (!Printed(prefix))
                    throw new InvalidOperationException("writer " + Id + " exited with " + _process.ExitCode + " before printing " + prefix + "; output: " + Output);
            }
        }

        /// <summary>Waits for the exit; returns the exit code.</summary>
        public int WaitForExit(int timeoutMilliseconds = 120_000)
        {
            if (!_process.WaitForExit(timeoutMilliseconds))
                throw new TimeoutException("writer " + Id + " did not exit; output: " + Output);
            _process.WaitForExit();     // drains the redirected output
            return _process.ExitCode;
        }

        /// <summary>SIGKILL: no managed code runs any more, the kernel frees its locks.</summary>
        public void Kill()
        {
            _process.Kill();
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
                Kill();
            _process.Dispose();
        }

        private static string DotNet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

        /// <summary>
        /// bin/{Configuration}/{tfm}/ of the tests → the writer's output under the same configuration
        /// and framework; a missing build fails loudly.
        /// </summary>
        private static string WriterAssembly
        {
            get
            {
                var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
                string framework = testBin.Name;
                string configuration = testBin.Parent!.Name;
                string root = testBin.Parent!.Parent!.Parent!.Parent!.FullName;
                const string Name = "NLog.Targets.PyLog.Tests.FileWriter";
                string path = Path.Combine(root, Name, "bin", configuration, framework, Name + ".dll");
                if (!File.Exists(path))
                    throw new FileNotFoundException("The multi-process tests need " + Name + " built (dotnet build NLog.Targets.PyLog.sln -c " + configuration + "); not found: " + path);
                return path;
            }
        }
    }
}
