using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using NLog.Common;
using NLog.Config;
using NLog.Targets;

namespace NLog.Targets.PyLog.Benchmarks.Files
{
    /// <summary>
    /// ArchiveFile against NLog's FileTarget (KeepFileOpen=true, AutoFlush=false), same layout,
    /// one thread, synchronous logger calls; and ArchiveFile with rolling + gzip on vs off.
    /// Run: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*ArchiveFileBenchmarks*' --job short</c>.
    /// </summary>
    [MemoryDiagnoser]
    public class ArchiveFileBenchmarks
    {
        private const int EventsPerOperation = 100_000;
        private const string LineLayout = "${longdate}|${level:uppercase=true}|${logger}|${message}";

        private string _folder = string.Empty;
        private LogFactory? _factory;
        private Logger? _logger;
        private Target? _target;
        private AsyncLogEventInfo[] _events = Array.Empty<AsyncLogEventInfo>();
        private string _activeFile = string.Empty;

        [GlobalSetup(Targets = new[] { nameof(NLogFileTarget), nameof(NLogFileTarget_TargetOnly) })]
        public void SetupNLogFile() => Start(new FileTarget("nlog")
        {
            FileName = _activeFile = Path.Combine(NewFolder(), "nlog.log"),
            Layout = LineLayout,
            KeepFileOpen = true,
            AutoFlush = false,
        });

        [GlobalSetup(Targets = new[] { nameof(ArchiveFile_RollingOff), nameof(ArchiveFile_RollingOff_TargetOnly) })]
        public void SetupArchiveFile() => Start(new ArchiveFileTarget
        {
            Name = "archive",
            FileName = _activeFile = Path.Combine(NewFolder(), "app.log"),
            Layout = LineLayout,
        });

        [GlobalSetup(Target = nameof(ArchiveFile_RollingGzip))]
        public void SetupArchiveFileGzip()
        {
            string folder = NewFolder();
            Start(new ArchiveFileTarget
            {
                Name = "archive-gz",
                FileName = Path.Combine(folder, "app.log"),
                ArchiveFileName = Path.Combine(folder, "app-%d{yyyy-MM-dd-HH-mm}-%i.log.gz"),
                ArchiveAboveSize = 8 * 1024 * 1024,
                MaxArchiveFiles = 20,
                Layout = LineLayout,
            });
        }

        /// <summary>
        /// Without rolling, the one file would grow by ~8.5 MB per operation to gigabytes, and the
        /// page cache behind it (dirty-page writeback, memory reclaim) rather than the target
        /// would set the pace, and differently from run to run. Emptying it before each iteration
        /// (the writer keeps its handle and offset; the skipped range becomes a hole) keeps every
        /// benchmark's file as small as the rolled one's.
        /// </summary>
        [IterationSetup(Targets = new[] { nameof(NLogFileTarget), nameof(NLogFileTarget_TargetOnly), nameof(ArchiveFile_RollingOff), nameof(ArchiveFile_RollingOff_TargetOnly) })]
        public void EmptyTheFile()
        {
            _factory?.Flush();
            if (!File.Exists(_activeFile))
                return;
            using var file = new FileStream(_activeFile, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            file.SetLength(0);
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            _factory?.Shutdown();
            _factory = null;
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerOperation, Description = "NLog FileTarget (KeepFileOpen, AutoFlush=false)")]
        public void NLogFileTarget() => LogMany();

        [Benchmark(OperationsPerInvoke = EventsPerOperation, Description = "ArchiveFile, rolling off")]
        public void ArchiveFile_RollingOff() => LogMany();

        [Benchmark(OperationsPerInvoke = EventsPerOperation, Description = "ArchiveFile, %d{minute}-%i.log.gz, 8 MB, 20 kept")]
        public void ArchiveFile_RollingGzip() => LogMany();

        [Benchmark(OperationsPerInvoke = EventsPerOperation, Description = "target only: NLog FileTarget")]
        public void NLogFileTarget_TargetOnly() => WriteMany();

        [Benchmark(OperationsPerInvoke = EventsPerOperation, Description = "target only: ArchiveFile, rolling off")]
        public void ArchiveFile_RollingOff_TargetOnly() => WriteMany();

        /// <summary>The same pre-built events straight into the target: layout, encoding and I/O without the logger pipeline.</summary>
        private void WriteMany()
        {
            var target = _target!;
            var events = _events;
            for (int i = 0; i < EventsPerOperation; i++)
                target.WriteAsyncLogEvent(events[i & (events.Length - 1)]);
        }

        private void LogMany()
        {
            var logger = _logger!;
            for (int i = 0; i < EventsPerOperation; i++)
                logger.Info("Order {0} shipped to warehouse", i);
        }

        private string NewFolder()
        {
            _folder = Path.Combine(Path.GetTempPath(), "pylog-bench-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_folder);
            return _folder;
        }

        private void Start(Target target)
        {
            var factory = new LogFactory();
            var config = new LoggingConfiguration(factory);
            config.AddRuleForAllLevels(target);
            factory.Configuration = config;
            _factory = factory;
            _logger = factory.GetLogger("Benchmarks.Orders");
            _target = target;
            AsyncContinuation done = static _ => { };
            _events = new AsyncLogEventInfo[1024];
            for (int i = 0; i < _events.Length; i++)
            {
                var logEvent = LogEventInfo.Create(LogLevel.Info, "Benchmarks.Orders", null, "Order {0} shipped to warehouse", new object[] { i });
                _ = logEvent.FormattedMessage;
                _events[i] = new AsyncLogEventInfo(logEvent, done);
            }
        }
    }
}
