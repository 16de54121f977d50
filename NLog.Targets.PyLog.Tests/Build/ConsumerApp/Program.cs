// A user's console application, built by PackagingTests in a temporary folder against the packed
// NLog.Targets.PyLog .nupkg: it loads the package through nlog.config's <extensions>, logs ten
// events to Redis, Kafka and SLS, and reports which native libraries the process mapped.
using System;
using System.IO;
using System.Linq;
using NLog;

LogManager.ThrowExceptions = true;
var factory = LogManager.Setup().LoadConfigurationFromFile(Path.Combine(AppContext.BaseDirectory, "nlog.config")).LogFactory;
var log = factory.GetLogger("consumer");
for (int i = 0; i < 10; i++)
    log.Info("packaged event {Index}", i);
factory.Flush(TimeSpan.FromSeconds(30));

var mapped = File.ReadAllLines("/proc/self/maps")
    .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
    .Where(fields => fields.Length >= 6)
    .Select(fields => fields[5])
    .Distinct()
    .ToList();
Console.WriteLine("base: " + AppContext.BaseDirectory);
Console.WriteLine("librdkafka: " + string.Join(";", mapped.Where(p => Path.GetFileName(p).Contains("librdkafka"))));
Console.WriteLine("liblz4: " + string.Join(";", mapped.Where(p => Path.GetFileName(p).Contains("liblz4"))));
Console.WriteLine("StackExchange.Redis: " + typeof(StackExchange.Redis.ConnectionMultiplexer).Assembly.GetName().Version);
Console.WriteLine("Confluent.Kafka: " + typeof(Confluent.Kafka.Library).Assembly.GetName().Version + " librdkafka " + Confluent.Kafka.Library.VersionString);
factory.Shutdown();
Console.WriteLine("done");
