using System;
using System.Diagnostics;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>Stopping a server or child process the tests started.</summary>
    internal static class ChildProcess
    {
        /// <summary>SIGKILLs <paramref name="process"/> unless it has exited, waits for it, and disposes it.</summary>
        public static void KillAndDispose(Process process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            process.Dispose();
        }
    }
}
