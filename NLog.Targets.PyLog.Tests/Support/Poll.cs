using System;
using System.Diagnostics;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>Waits for a condition with a deadline; the deadline is a failure, not a pass.</summary>
    public static class Poll
    {
        public static void Until(Func<bool> condition, string what, int timeoutMilliseconds = 10000)
        {
            var watch = Stopwatch.StartNew();
            while (!condition())
            {
                if (watch.ElapsedMilliseconds > timeoutMilliseconds)
                    Assert.Fail($"Timed out after {timeoutMilliseconds} ms waiting for: {what}");
                Thread.Sleep(5);
            }
        }
    }
}
