using System;
using System.Threading;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>
    /// Makes Confluent.Kafka load librdkafka through its own loader, once, and turns a failure into
    /// a message that names the library and the loader's reason.
    /// </summary>
    /// <remarks>
    /// The native library comes with Confluent.Kafka's <c>librdkafka.redist</c> package into the
    /// application's output folder (<c>runtimes/{rid}/native</c>). On Linux that package holds
    /// several builds; Confluent's loader tries them in turn (on a Debian without <c>libsasl2.so.3</c>
    /// the plain <c>librdkafka.so</c> fails and the <c>centos8</c> build loads). No resolver of this
    /// package interferes: what the loader picks is what runs.
    /// </remarks>
    internal static class KafkaNativeLibrary
    {
        private static readonly object s_lock = new object();
        private static string? s_version;

        /// <summary>librdkafka's version, loading it first if needed.</summary>
        /// <exception cref="DllNotFoundException">It cannot be loaded; the message says which library and why.</exception>
        public static string EnsureLoaded()
        {
            var version = Volatile.Read(ref s_version);
            if (version != null)
                return version;
            lock (s_lock)
            {
                if (s_version != null)
                    return s_version;
                try
                {
                    s_version = Confluent.Kafka.Library.VersionString;
                    return s_version;
                }
                catch (Exception ex) when (ex is DllNotFoundException || ex is TypeInitializationException || ex is InvalidOperationException
                    || ex is EntryPointNotFoundException || ex is BadImageFormatException || ex is System.IO.FileLoadException)
                {
                    throw new DllNotFoundException(FailureMessage(ex), ex);
                }
            }
        }

        /// <summary>The error text for a librdkafka that did not load: the library, then every reason the loader gave.</summary>
        internal static string FailureMessage(Exception exception)
        {
            var reasons = new System.Text.StringBuilder();
            for (var e = exception; e != null; e = e.InnerException)
            {
                if (reasons.Length > 0)
                    reasons.Append(" <- ");
                reasons.Append(e.GetType().Name).Append(": ").Append(e.Message);
            }
            return "The native Kafka client library librdkafka (package librdkafka.redist, a dependency of Confluent.Kafka, "
                + "expected in the application's runtimes/" + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier
                + "/native folder) could not be loaded by Confluent.Kafka's loader: " + reasons;
        }
    }
}
