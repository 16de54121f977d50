using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using NLog.Config;

namespace NLog.Targets.PyLog.Tests.Files
{
    /// <summary>Shared helpers of the ArchiveFile tests.</summary>
    internal static class ArchiveFileTestKit
    {
        /// <summary>A LogFactory with <paramref name="target"/> as its only target, for every level.</summary>
        public static LogFactory Start(Target target)
        {
            var factory = new LogFactory { ThrowConfigExceptions = true };
            var config = new LoggingConfiguration(factory);
            config.AddRuleForAllLevels(target);
            factory.Configuration = config;
            return factory;
        }

        public static LogFactory LoadXml(string xml)
            => new LogFactory().Setup()
                .SetupExtensions(e => e.RegisterAssembly(typeof(ArchiveFileTarget).Assembly))
                .LoadConfigurationFromXml(xml).LogFactory;

        /// <summary>The lines of a file; <c>.gz</c> files are decompressed.</summary>
        public static string[] ReadLines(string path)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var lines = new List<string>();
            string? line;
            while ((line = reader.ReadLine()) != null)
                lines.Add(line);
            return lines.ToArray();
        }

        /// <summary>
        /// File names in <paramref name="folder"/>, sorted ordinally, without the lock files that stay
        /// beside an active file (<c>app.log.lock</c>, <c>app.log.roll.lock</c>; pinned by the multi-process tests).
        /// </summary>
        public static string[] Names(string folder)
            => Directory.Exists(folder)
                ? Directory.GetFiles(folder).Select(p => Path.GetFileName(p)!).Where(n => !n.EndsWith(".lock", StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal).ToArray()
                : Array.Empty<string>();

        /// <summary>Polls until <paramref name="condition"/> holds; false on timeout.</summary>
        public static bool WaitFor(Func<bool> condition, int timeoutMilliseconds = 10000)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMilliseconds);
            while (DateTime.UtcNow < deadline)
            {
                if (condition())
                    return true;
                Thread.Sleep(20);
            }
            return condition();
        }

        /// <summary>Every message of an exception chain, so a test can look for the property name.</summary>
        public static string Messages(Exception ex)
        {
            var text = new StringBuilder();
            for (Exception? e = ex; e != null; e = e.InnerException)
                text.Append(e.GetType().Name).Append(": ").Append(e.Message).Append(" | ");
            return text.ToString();
        }
    }
}
