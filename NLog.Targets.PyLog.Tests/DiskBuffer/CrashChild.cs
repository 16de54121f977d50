using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>
    /// The crash test's child process (project NLog.Targets.PyLog.Tests.Crash, copied beside the tests):
    /// logs through a config file and is killed with SIGKILL, or waits until its buffer is delivered.
    /// </summary>
    internal sealed class CrashChild : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new ConcurrentQueue<string>();
        private readonly StringBuilder _errors = new StringBuilder();

        private CrashChild(Process process)
        {
            _process = process;
        }

        public int Pid => _process.Id;

        public static CrashChild Start(string configPath, int first, int count, bool waitForEmpty)
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "NLog.Targets.PyLog.Tests.Crash.dll");
            if (!File.Exists(dll))
                throw new InvalidOperationException($"{dll} is missing: the test project references NLog.Targets.PyLog.Tests.Crash, build the solution.");
            var start = new ProcessStartInfo("dotnet")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { dll, configPath, first.ToString(System.Globalization.CultureInfo.InvariantCulture), count.ToString(System.Globalization.CultureInfo.InvariantCulture), waitForEmpty ? "yes" : "no" })
                start.ArgumentList.Add(argument);
            var process = Process.Start(start) ?? throw new InvalidOperationException("the crash child did not start");
            var child = new CrashChild(process);
            process.OutputDataReceived += (_, e) => { if (e.Data != null) child._lines.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (child._errors) child._errors.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return child;
        }

        public bool Printed(string line) => _lines.Contains(line);

        public bool HasExited => _process.HasExited;

        public string Output
        {
            get
            {
                lock (_errors)
                    return string.Join("\n", _lines) + "\n" + _errors;
            }
        }

        public void WaitFor(string line, int timeoutMilliseconds)
        {
            Poll.Until(() => Printed(line) || _process.HasExited, $"the child printed {line}", timeoutMilliseconds);
            if (!Printed(line))
                throw new InvalidOperationException($"the child exited with {_process.ExitCode} before printing {line}: {Output}");
        }

        /// <summary>SIGKILL: no finally blocks, no flush, no shutdown.</summary>
        public void Kill()
        {
            _process.Kill();
            _process.WaitForExit(30_000);
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                    Kill();
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }
    }
}
