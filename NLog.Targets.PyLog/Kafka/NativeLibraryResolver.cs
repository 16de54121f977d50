using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>
    /// Lets Confluent.Kafka find librdkafka where the operating system installed it.
    /// </summary>
    /// <remarks>
    /// Confluent.Kafka imports <c>librdkafka</c>, which the runtime probes as <c>librdkafka.so</c>:
    /// the file shipped by the <c>librdkafka.redist</c> package, or by a distribution's <c>-dev</c>
    /// package. Debian's runtime package <c>librdkafka1</c> only installs <c>librdkafka.so.1</c>.
    /// The resolver first lets the runtime probe as usual (so <c>librdkafka.redist</c> keeps
    /// precedence), then tries the versioned names. It also maps <c>libdl</c> (used by
    /// <c>Library.Load</c>) to <c>libdl.so.2</c>, since glibc no longer ships an unversioned
    /// <c>libdl.so</c> outside its development package. An application that already installed its
    /// own resolver on Confluent.Kafka keeps it: the runtime allows one per assembly.
    /// </remarks>
    internal static class NativeLibraryResolver
    {
        internal const string LibraryName = "librdkafka";

        internal const string InstallHint =
            "Install it with 'apt-get install librdkafka1' (Debian/Ubuntu), 'dnf install librdkafka' (Fedora/RHEL), " +
            "or add the 'librdkafka.redist' NuGet package to the application";

        private static readonly string[] s_versionedNames =
        {
            "librdkafka.so.1",
            "/usr/lib/x86_64-linux-gnu/librdkafka.so.1",
            "/usr/lib/aarch64-linux-gnu/librdkafka.so.1",
            "/usr/lib64/librdkafka.so.1",
            "/usr/local/lib/librdkafka.so.1",
            "librdkafka.1.dylib",
        };

        private static int s_installed;
        private static readonly object s_loadLock = new object();
        private static string? s_version;

        /// <summary>The names tried after the runtime's own probing, in order.</summary>
        internal static IReadOnlyList<string> VersionedNames => s_versionedNames;

        /// <summary>
        /// Installs the resolver (once per process) and makes Confluent.Kafka load librdkafka now.
        /// </summary>
        /// <returns>librdkafka's version string.</returns>
        /// <exception cref="DllNotFoundException">No usable librdkafka; the message names it and how to install it.</exception>
        public static string EnsureLoaded()
        {
            var version = Volatile.Read(ref s_version);
            if (version != null)
                return version;

            lock (s_loadLock)
            {
                if (s_version != null)
                    return s_version;

                Install();
                try
                {
                    s_version = Confluent.Kafka.Library.VersionString;
                    return s_version;
                }
                catch (Exception ex) when (ex is DllNotFoundException || ex is TypeInitializationException || ex is InvalidOperationException || ex is EntryPointNotFoundException || ex is BadImageFormatException || ex is System.IO.FileLoadException)
                {
                    throw new DllNotFoundException(MissingLibraryMessage(s_versionedNames), ex);
                }
            }
        }

        /// <summary>The error text for a missing native library, listing what was tried.</summary>
        internal static string MissingLibraryMessage(IEnumerable<string> tried)
        {
            return "The native Kafka client library " + LibraryName + " could not be loaded (tried the runtime's probing of '" + LibraryName +
                "', then " + string.Join(", ", tried) + "). " + InstallHint + ".";
        }

        /// <summary>Loads the first of <paramref name="candidates"/> that the OS can load.</summary>
        internal static bool TryLoadFirst(IEnumerable<string> candidates, out IntPtr handle)
        {
            foreach (var candidate in candidates)
            {
                if (NativeLibrary.TryLoad(candidate, out handle))
                    return true;
            }
            handle = IntPtr.Zero;
            return false;
        }

        private static void Install()
        {
            if (Interlocked.Exchange(ref s_installed, 1) != 0)
                return;

            try
            {
                NativeLibrary.SetDllImportResolver(typeof(Confluent.Kafka.Library).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // The application set its own resolver on Confluent.Kafka first; it is in charge.
            }
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            IntPtr handle;
            if (string.Equals(libraryName, LibraryName, StringComparison.Ordinal))
            {
                // The runtime's probing first, so librdkafka.redist (and an explicit deployment) wins.
                if (NativeLibrary.TryLoad(libraryName, assembly, searchPath, out handle))
                    return handle;
                if (TryLoadFirst(s_versionedNames, out handle))
                    return handle;
            }
            else if (string.Equals(libraryName, "libdl", StringComparison.Ordinal) && RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                if (NativeLibrary.TryLoad(libraryName, assembly, searchPath, out handle))
                    return handle;
                if (NativeLibrary.TryLoad("libdl.so.2", out handle))
                    return handle;
            }

            // IntPtr.Zero: the runtime's default probing decides (and reports its own error).
            return IntPtr.Zero;
        }
    }
}
