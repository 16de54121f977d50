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

        /// <summary>The serializer alone on one pre-formatted event, <paramref name="events"/> times: a loop to attach a profiler to.</summary>
        public static string SerializerLoop(int events)
        {
            var logEvent = new LogEventInfo(LogLevel.Info, "bench", null, "order {0} processed", new object[] { 1 });
            var payload = new PayloadWriter();
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < events; i++)
                Serialize(payload, logEvent);
            return string.Format(CultureInfo.InvariantCulture, "serializer alone: {0:F0} ns/event", watch.Elapsed.TotalSeconds * 1e9 / events);
        }

        /// <summary>Only the wrapper with its live window, <paramref name="rounds"/> times: a steady loop to attach a profiler to.</summary>
        public static string Profile(int events, int threads, int rounds, int capacity = LiveWindow.DefaultCapacity)
        {
            var report = new StringBuilder();
            using var sampler = new AllocationSampler();
            for (int round = 0; round < rounds; round++)
                report.AppendLine(Wrapper(events, threads, capacity));
            report.AppendLine("sampled allocations by type (GC AllocationTick, whole run incl. shutdowns):");
            report.Append(sampler.Report((long)events * rounds));
            return report.ToString();
        }

        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
        private static extern int ClockGetTime(int clock, out TimeSpec time);

        /// <summary>CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID).</summary>
        private static double ThreadCpuSeconds() => ClockGetTime(3, out var time) == 0 ? time.Seconds + time.Nanoseconds / 1e9 : double.NaN;

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
                int gc2 = GC.CollectionCount(2);
                long contentionBefore = Monitor.LockContentionCount;
                var pauseBefore = GC.GetTotalPauseDuration();
                long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                var process = Process.GetCurrentProcess();
                var cpuBefore = process.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                int perThread = events / threads;
                long samples = 0, pendingSum = 0, windowSum = 0, outstandingSum = 0, windowMax = 0;
                bool sampling = true;
                var sampler = new Thread(() =>
                {
                    while (Volatile.Read(ref sampling))
                    {
                        var (pending, inWindow, outstanding) = wrapper.InFlight;
                        samples++;
                        pendingSum += pending;
                        windowSum += inWindow;
                        outstandingSum += outstanding;
                        windowMax = Math.Max(windowMax, inWindow);
                        Thread.Sleep(1);
                    }
                }) { IsBackground = true };
                if (capacity != 0)
                    sampler.Start();
                var workers = new Thread[threads];
                double loggingCpu = 0;
                for (int t = 0; t < threads; t++)
                {
                    workers[t] = new Thread(() =>
                    {
                        double cpuStart = ThreadCpuSeconds();
                        for (int i = 0; i < perThread; i++)
                            logger.Info("order {0} processed", i);
                        double used = ThreadCpuSeconds() - cpuStart;
                        lock (workers)
                            loggingCpu += used;
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
                var ephemeral = GC.GetGCMemoryInfo(GCKind.Ephemeral);
                var last = GC.GetGCMemoryInfo(GCKind.Any);
                string gcInfo = string.Format(CultureInfo.InvariantCulture, "; last ephemeral GC (gen{0}): promoted {1:N0} KB, pause {2:F2} ms, gen0 budget {3:N0} KB; concurrent {4}, server {5}",
                    ephemeral.Generation, ephemeral.PromotedBytes / 1024, ephemeral.PauseDurations.Length > 0 ? ephemeral.PauseDurations[0].TotalMilliseconds : 0,
                    ephemeral.GenerationInfo.Length > 0 ? ephemeral.GenerationInfo[0].SizeBeforeBytes / 1024 : 0, last.Concurrent, System.Runtime.GCSettings.IsServerGC);
                Volatile.Write(ref sampling, false);
                if (capacity != 0)
                    sampler.Join();
                string inFlight = samples == 0 ? string.Empty : string.Format(CultureInfo.InvariantCulture,
                    "; in flight (mean of {0} samples): pending {1:N0} B, window {2:N0} (max {3:N0}), outstanding {4:N0}",
                    samples, pendingSum / samples, windowSum / samples, windowMax, outstandingSum / samples) + gcInfo;
                process.Refresh();
                double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                var (window, disk) = wrapper.HandOverSources;
                inFlight = string.Format(CultureInfo.InvariantCulture, "; logging threads' CPU {0:F0} ns/event (their wall {1:F0} ns/event/thread); lock contentions {2:N0}", loggingCpu * 1e9 / total, calls * 1e9 / perThread, Monitor.LockContentionCount - contentionBefore) + inFlight;
                return string.Format(CultureInfo.InvariantCulture,
                    "wrapper, {0} thread(s): calls {1:N0} ev/s, delivered {2:N0} ev/s, {3:N0} B/event, CPU {4:F2} s for {5:F2} s wall, gen0 GCs {6} (gen1 {9}, gen2 {12}), GC pause {10:F2} s, from window {7:N0}, from disk {8:N0}{11}",
                    threads, total / calls, total / delivered, (double)allocated / total, cpu, delivered, GC.CollectionCount(0) - gc0, window, disk,
                    GC.CollectionCount(1) - gc1, (GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds, inFlight, GC.CollectionCount(2) - gc2);
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
