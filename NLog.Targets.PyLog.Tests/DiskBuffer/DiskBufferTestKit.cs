using System;
using System.IO;
using System.Linq;
using NLog.Config;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>Builds a DiskBufferWrapper over a wrapped target in its own LogFactory, on a temp directory.</summary>
    internal static class DiskBufferTestKit
    {
        public static (LogFactory Factory, DiskBufferTargetWrapper Wrapper) Create(Target wrapped, string directory, Action<DiskBufferTargetWrapper>? configure = null, string name = "buffer")
        {
            var wrapper = new DiskBufferTargetWrapper(name, wrapped, directory)
            {
                FlushIntervalMilliseconds = 20,
                RetryDelayMilliseconds = 50,
                MaxRetryDelayMilliseconds = 200,
            };
            configure?.Invoke(wrapper);
            var factory = new LogFactory { ThrowConfigExceptions = true };
            var config = new LoggingConfiguration(factory);
            config.AddRule(LogLevel.Trace, LogLevel.Fatal, wrapper);
            factory.Configuration = config;
            return (factory, wrapper);
        }

        public static string[] Segments(string directory)
            => Directory.Exists(directory) ? Directory.GetFiles(directory, "*.seg").OrderBy(f => f, StringComparer.Ordinal).ToArray() : Array.Empty<string>();

        /// <summary>Bytes of the segment files now; a segment the wrapper deletes while this runs counts 0.</summary>
        public static long SegmentBytes(string directory) => Segments(directory).Sum(f =>
        {
            var file = new FileInfo(f);
            return file.Exists ? SafeLength(file) : 0;
        });

        private static long SafeLength(FileInfo file)
        {
            try
            {
                return file.Length;
            }
            catch (FileNotFoundException)
            {
                return 0;
            }
        }
    }
}
