using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>
    /// Real processes, a real redis-server: a child logs through DiskBufferWrapper &gt; Redis, is killed
    /// with SIGKILL, and the next process with the same configuration delivers what it logged.
    /// </summary>
    [TestClass]
    public sealed class DiskBufferCrashTests
    {
        private const int Events = 30_000;
        private const string Key = "crash_list";

        private static string WriteConfig(string folder, string bufferDirectory, string wrappedTarget)
        {
            string path = Path.Combine(folder, "nlog.config");
            File.WriteAllText(path, $@"<?xml version=""1.0"" encoding=""utf-8""?>
<nlog xmlns=""http://www.nlog-project.org/schemas/NLog.xsd"" xmlns:xsi=""http://www.w3.org/2001/XMLSchema-instance"" throwConfigExceptions=""true"">
  <targets>
    <target xsi:type=""DiskBufferWrapper"" name=""buffer"" directory=""{bufferDirectory}"" flushIntervalMilliseconds=""100"" retryDelayMilliseconds=""200"" maxRetryDelayMilliseconds=""1000"">
      {wrappedTarget}
    </target>
  </targets>
  <rules><logger name=""*"" minlevel=""Info"" writeTo=""buffer"" /></rules>
</nlog>");
            return path;
        }

        private static string WriteRedisConfig(string folder, int redisPort)
            => WriteConfig(folder, Path.Combine(folder, "buffer"), $@"<target xsi:type=""Redis"" name=""redis"" host=""127.0.0.1"" port=""{redisPort}"" key=""{Key}"" batchSize=""500"" lingerMilliseconds=""20"" queueLimit=""5000"" retryDelayMilliseconds=""50"" maxRetryDelayMilliseconds=""500"">
        <layout xsi:type=""Plumelog"" appName=""crash"" env=""test"" />
      </target>");

        /// <summary>Counts each "event N" in the Redis list: how many distinct N, how many extra copies.</summary>
        private static (int Distinct, int Duplicates, List<int> Missing) Tally(RedisServer server, int expected)
        {
            using var client = server.Client();
            var messages = new List<string>();
            foreach (var json in client.ListRange(Key))
            {
                using var document = JsonDocument.Parse(json);
                messages.Add(document.RootElement.GetProperty("content").GetString()!);
            }
            return Tally(messages, expected);
        }

        private static (int Distinct, int Duplicates, List<int> Missing) Tally(IEnumerable<string> messages, int expected)
        {
            var seen = new Dictionary<int, int>();
            foreach (var content in messages)
            {
                int n = int.Parse(content.Substring("event ".Length), System.Globalization.CultureInfo.InvariantCulture);
                seen[n] = seen.TryGetValue(n, out int c) ? c + 1 : 1;
            }
            var missing = Enumerable.Range(0, expected).Where(i => !seen.ContainsKey(i)).ToList();
            return (seen.Count, seen.Values.Sum() - seen.Count, missing);
        }

        private static long ListLength(RedisServer server)
        {
            using var client = server.Client();
            return client.ListLength(Key);
        }

        /// <summary>Logs the events with the server down, waits past FlushIntervalMilliseconds, then SIGKILLs the child.</summary>
        private static void LogAndKill(string config)
        {
            using var child = CrashChild.Start(config, 0, Events, waitForEmpty: false);
            child.WaitFor("LOGGED", 120_000);
            // The contract: what was logged more than FlushIntervalMilliseconds (100) ago survives kill -9.
            var since = Stopwatch.StartNew();
            Poll.Until(() => since.ElapsedMilliseconds > 500, "past the flush interval");
            Assert.IsFalse(child.HasExited, "the child is still running when it is killed: " + child.Output);
            child.Kill();
        }

        [TestMethod]
        public void Kill_9_with_redis_down_then_next_process_delivers_every_event()
        {
            using var folder = new FilesTempFolder();
            using var server = RedisServer.Start();
            server.Kill();
            string config = WriteRedisConfig(folder.Path, server.Port);

            LogAndKill(config);
            Assert.IsTrue(DiskBufferTestKit.Segments(Path.Combine(folder.Path, "buffer")).Length > 0, "segments were left on disk");

            server.Restart();
            using (var second = CrashChild.Start(config, 0, 0, waitForEmpty: true))
                second.WaitFor("EMPTY", 120_000);

            var (distinct, duplicates, missing) = Tally(server, Events);
            Console.WriteLine($"delivered {distinct} distinct events, {duplicates} duplicates");
            Assert.AreEqual(0, missing.Count, "missing: " + string.Join(",", missing.Take(20)));
            Assert.AreEqual(Events, distinct);
            Assert.AreEqual(0, duplicates, "nothing was in flight at the kill (the server was down), so nothing arrives twice");
        }

        [TestMethod]
        public void Kill_9_in_the_middle_of_a_replay_then_third_process_delivers_the_rest()
        {
            using var folder = new FilesTempFolder();
            using var server = RedisServer.Start();
            server.Kill();
            string config = WriteRedisConfig(folder.Path, server.Port);
            LogAndKill(config);

            server.Restart();
            long atKill;
            using (var replaying = CrashChild.Start(config, 0, 0, waitForEmpty: true))
            {
                Poll.Until(() => ListLength(server) > 0, "the replay started delivering", 120_000);
                // Hold the server still (clients wait, nothing is lost) so the kill lands mid-replay.
                using (var client = server.Client())
                    client.Call("CLIENT", "PAUSE", "3000");
                atKill = ListLength(server);
                replaying.Kill();
            }
            Assert.IsTrue(atKill < Events, $"the kill landed mid-replay ({atKill} of {Events} delivered)");

            using (var third = CrashChild.Start(config, 0, 0, waitForEmpty: true))
                third.WaitFor("EMPTY", 120_000);

            var (distinct, duplicates, missing) = Tally(server, Events);
            Console.WriteLine($"killed after {atKill} delivered; in the end {distinct} distinct events, {duplicates} duplicates");
            Assert.AreEqual(0, missing.Count, "missing: " + string.Join(",", missing.Take(20)));
            Assert.AreEqual(Events, distinct);
            Assert.IsTrue(duplicates <= 5000 + 500, $"only events in flight at the kill (at most the Redis queue limit and a batch) arrive twice; {duplicates} did");
        }
    
        [TestMethod]
        public void Kill_9_with_a_plain_NLog_target_down_then_next_process_delivers_every_event()
        {
            // A plain NLog target (the child's CrashTcpLine) is judged by its continuation: no outcome reports.
            using var folder = new FilesTempFolder();
            using var collector = new TcpLineCollector();
            string config = WriteConfig(folder.Path, Path.Combine(folder.Path, "buffer"),
                $@"<target xsi:type=""CrashTcpLine"" name=""tcp"" port=""{collector.Port}"" />");

            LogAndKill(config);
            collector.Start();
            using (var second = CrashChild.Start(config, 0, 0, waitForEmpty: true))
                second.WaitFor("EMPTY", 120_000);
            Poll.Until(() => collector.Count >= Events, "the collector received every line", 30_000);

            var (distinct, duplicates, missing) = Tally(collector.Lines, Events);
            Console.WriteLine($"delivered {distinct} distinct events, {duplicates} duplicates");
            Assert.AreEqual(0, missing.Count, "missing: " + string.Join(",", missing.Take(20)));
            Assert.AreEqual(Events, distinct);
        }
    
        [TestMethod]
        public void Kill_9_with_every_kafka_broker_down_then_next_process_delivers_every_event()
        {
            using var folder = new FilesTempFolder();
            using var cluster = KafkaMockCluster.Start(1);
            cluster.CreateTopic("crash", 1);
            cluster.AllBrokersDown();
            string config = WriteConfig(folder.Path, Path.Combine(folder.Path, "buffer"),
                $@"<target xsi:type=""Kafka"" name=""kafka"" bootstrapServers=""{cluster.BootstrapServers}"" topic=""crash"" layout=""${{message}}"" batchSize=""500"" queueLimit=""5000"" />");

            LogAndKill(config);
            cluster.AllBrokersUp();
            using (var second = CrashChild.Start(config, 0, 0, waitForEmpty: true))
                second.WaitFor("EMPTY", 120_000);

            var records = KafkaTopicReader.Read(cluster.BootstrapServers, "crash", 1, Events, TimeSpan.FromSeconds(60));
            var (distinct, duplicates, missing) = Tally(records.Select(r => r.Value), Events);
            Console.WriteLine($"delivered {distinct} distinct events, {duplicates} duplicates");
            Assert.AreEqual(0, missing.Count, "missing: " + string.Join(",", missing.Take(20)));
            Assert.AreEqual(Events, distinct);
        }
    }
}
