using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using NLog.Config;
using NLog.Targets.PyLog.DiskBuffer;

namespace NLog.Targets.PyLog.Benchmarks.DiskBuffer
{
    /// <summary>
    /// Stopwatch micro-loops that split the cost of DiskBufferWrapper (profiling aid, not a figure of
    /// record): the serializer alone on one thread, and one wrapper run that says where the replay
    /// thread took its events from (the live window or the files).
    /// Run: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- disk-buffer-probe [events]</c>.
    /// </summary>
    internal static class DiskBufferProbe
    {
        public static string Run(int events)
        {
            var report = new StringBuilder();
            var logEvent = new LogEventInfo(LogLevel.Info, "bench", null, "order {0} processed", new object[] { 1 });
            var payload = new PayloadWriter();
            for (int i = 0; i < 10_000; i++)
                Serialize(payload, logEvent);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < events; i++)
                Serialize(payload, logEvent);
            double seconds = watch.Elapsed.TotalSeconds;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            report.AppendLine(string.Format(CultureInfo.InvariantCulture, "serializer alone (one event, formatted once): {0:F0} ns/event, {1:F1} B/event, record {2} B",
                seconds * 1e9 / events, (double)allocated / events, payload.Length));

            watch.Restart();
            for (int i = 0; i < events; i++)
                GC.KeepAlive(new LogEventInfo(LogLevel.Info, "bench", null, "order {0} processed", new object[] { i }));
            double creating = watch.Elapsed.TotalSeconds;
            before = GC.GetAllocatedBytesForCurrentThread();
            watch.Restart();
            for (int i = 0; i < events; i++)
                Serialize(payload, new LogEventInfo(LogLevel.Info, "bench", null, "order {0} processed", new object[] { i }));
            seconds = watch.Elapsed.TotalSeconds - creating;
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            report.AppendLine(string.Format(CultureInfo.InvariantCulture, "serializer on fresh events (formats each message; creating the event subtracted): {0:F0} ns/event, {1:F1} B/event with the event",
                seconds * 1e9 / events, (double)allocated / events));

            before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < events; i++)
                GC.KeepAlive(ScopeContext.GetAllProperties());
            report.AppendLine(string.Format(CultureInfo.InvariantCulture, "ScopeContext.GetAllProperties() without a scope: {0:F1} B/call", (double)(GC.GetAllocatedBytesForCurrentThread() - before) / events));
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < events; i++)
                GC.KeepAlive(logEvent.CallerMemberName);
            report.AppendLine(string.Format(CultureInfo.InvariantCulture, "CallerMemberName: {0:F1} B/call", (double)(GC.GetAllocatedBytesForCurrentThread() - before) / events));

            foreach (int threads in new[] { 1, 4 })
                report.AppendLine("no wrapper: " + Wrapper(events, threads, 0));
            foreach (int threads in new[] { 1, 4 })
                report.AppendLine("target down (replay idle): " + Wrapper(events, threads, LiveWindow.DefaultCapacity, down: true));
            foreach (int capacity in new[] { LiveWindow.DefaultCapacity })
            {
                foreach (int threads in new[] { 1, 4 })
                    report.AppendLine("window " + capacity.ToString(CultureInfo.InvariantCulture) + ": " + Wrapper(events, threads, capacity));
            }
            return report.ToString();
        }

        private static void Serialize(PayloadWriter payload, LogEventInfo logEvent)
        {
            payload.Reset();
            payload.Skip(RecordFormat.RecordHeaderBytes);
            EventSerializer.Write(payload, logEvent);
        }

        private static string Wrapper(int events, int threads, int capacity, bool down = false)
        {
            string directory = Path.Combine(Path.GetTempPath(), "pylog-db-probe-" + Guid.NewGuid().ToString("N"));
            var sink = new DiskBufferSideBySide.CountingTarget { Name = "sink", Throw = down };
            var wrapper = new DiskBufferTargetWrapper("buffer", sink, directory) { LiveWindowCapacity = Math.Max(1, capacity), RetryDelayMilliseconds = down ? 600000 : 1000, MaxRetryDelayMilliseconds = 600000 };
            var factory = new LogFactory();
            var config = new LoggingConfiguration(factory);
            config.AddRule(LogLevel.Info, LogLevel.Fatal, capacity == 0 ? sink : wrapper);
            factory.Configuration = config;
            var logger = factory.GetLogger("bench");
            try
            {
                int gc0 = GC.CollectionCount(0);
                int gc1 = GC.CollectionCount(1);
                var pauseBefore = GC.GetTotalPauseDuration();
                long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                var process = Process.GetCurrentProcess();
                var cpuBefore = process.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                int perThread = events / threads;
                var workers = new Thread[threads];
                for (int t = 0; t < threads; t++)
                {
                    workers[t] = new Thread(() =>
                    {
                        for (int i = 0; i < perThread; i++)
                            logger.Info("order {0} processed", i);
                    });
                    workers[t].Start();
                }
                foreach (var worker in workers)
                    worker.Join();
                double calls = watch.Elapsed.TotalSeconds;
                long total = (long)perThread * threads;
                while (!down && Volatile.Read(ref sink.Count) < total)
                    Thread.Sleep(1);
                double delivered = watch.Elapsed.TotalSeconds;
                process.Refresh();
                double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                var (window, disk) = wrapper.HandOverSources;
                return string.Format(CultureInfo.InvariantCulture,
                    "wrapper, {0} thread(s): calls {1:N0} ev/s, delivered {2:N0} ev/s, {3:N0} B/event, CPU {4:F2} s for {5:F2} s wall, gen0 GCs {6} (gen1 {9}), GC pause {10:F2} s, from window {7:N0}, from disk {8:N0}",
                    threads, total / calls, total / delivered, (double)allocated / total, cpu, delivered, GC.CollectionCount(0) - gc0, window, disk,
                    GC.CollectionCount(1) - gc1, (GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds);
            }
            finally
            {
                factory.Shutdown();
                try
                {
                    Directory.Delete(directory, true);
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
