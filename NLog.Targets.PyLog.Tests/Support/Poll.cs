using System;
using System.Diagnostics;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>Waits for a condition with a deadline; the deadline is a failure, not a pass. The one polling helper of the tests.</summary>
    public static class Poll
    {
        public static void Until(Func<bool> condition, string what, int timeoutMilliseconds = 10000)
        {
            Until(condition, what, timeoutMilliseconds, explain: null);
        }

        public static void Until(Func<bool> condition, string what, TimeSpan timeout)
        {
            Until(condition, what, (int)timeout.TotalMilliseconds, explain: null);
        }

        /// <summary>As <see cref="Until(Func{bool}, string, int)"/>; on timeout the failure message adds <paramref name="explain"/>'s account of the state.</summary>
        public static void Until(Func<bool> condition, string what, int timeoutMilliseconds, Func<string>? explain)
        {
            var watch = Stopwatch.StartNew();
            while (!condition())
            {
                if (watch.ElapsedMilliseconds > timeoutMilliseconds)
                    Assert.Fail($"Timed out after {timeoutMilliseconds} ms waiting for: {what}" + (explain is null ? string.Empty : "; " + explain()));
                Thread.Sleep(5);
            }
        }
    }
}
