using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Threading;
using NLog.Common;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// Runs archive work off the logging thread, one item at a time and in order: gzip
    /// compression, retention, and flush continuations (so a flush completes after the archives
    /// queued before it). Uses a thread-pool thread only while there is work.
    /// </summary>
    /// <remarks>
    /// Compression writes <c>name.gz.tmp</c>, optionally syncs it to disk, renames it to <c>name.gz</c> and only
    /// then deletes the uncompressed source. A process crash therefore leaves either the source
    /// (compressed again at the next start-up) or a complete archive, never a partial file under
    /// the final name; with the sync on, so does a power loss. The source is read through its
    /// <see cref="ArchiveClaim"/>, held until the source is deleted, so that with several processes
    /// exactly one compresses each archive and a temporary file is deleted only by its claimant.
    /// </remarks>
    internal sealed class ArchiveWorker
    {
        internal const string TempSuffix = ".tmp";

        private readonly object _lock = new object();
        private readonly Queue<WorkItem> _queue = new Queue<WorkItem>();
        private readonly ArchiveRetention _retention;
        private readonly CompressionLevel _level;
        private readonly bool _flushToDisk;
        private readonly RollLock? _rollLock;
        private readonly object _owner;
        private bool _running;

        public ArchiveWorker(ArchiveRetention retention, CompressionLevel level, bool flushToDisk, RollLock? rollLock, object owner)
        {
            _rollLock = rollLock;
            _retention = retention;
            _level = level;
            _flushToDisk = flushToDisk;
            _owner = owner;
        }

        /// <summary>Compressions that have failed (the uncompressed archive is kept).</summary>
        public int CompressionFailures => Volatile.Read(ref _compressionFailures);

        private int _compressionFailures;

        /// <summary>Queues the compression of <paramref name="source"/>, already opened (claimed) as <paramref name="input"/>, which the worker closes.</summary>
        public void EnqueueCompression(string source, string finalPath, FileStream input) => Enqueue(new WorkItem(source, finalPath, input, null, false));

        public void EnqueueRetention()
        {
            if (_retention.IsEnabled)
                Enqueue(new WorkItem(null, null, null, null, true));
        }

        public void EnqueueContinuation(AsyncContinuation continuation) => Enqueue(new WorkItem(null, null, null, continuation, false));

        /// <summary>Waits until every queued item has run; false on timeout.</summary>
        public bool WaitIdle(TimeSpan timeout)
        {
            long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            lock (_lock)
            {
                while (_running)
                {
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0)
                        return false;
                    Monitor.Wait(_lock, (int)Math.Min(left, int.MaxValue));
                }
                return true;
            }
        }

        private void Enqueue(WorkItem item)
        {
            lock (_lock)
            {
                _queue.Enqueue(item);
                if (_running)
                    return;
                _running = true;
            }
            ThreadPool.UnsafeQueueUserWorkItem(static state => ((ArchiveWorker)state!).Drain(), this);
        }

        private void Drain()
        {
            while (true)
            {
                WorkItem item;
                lock (_lock)
                {
                    if (_queue.Count == 0)
                    {
                        _running = false;
                        Monitor.PulseAll(_lock);
                        return;
                    }
                    item = _queue.Dequeue();
                }

                try
                {
                    if (item.Source != null && item.FinalPath != null && item.Input != null)
                    {
                        Compress(item.Source, item.FinalPath, item.Input);
                        ApplyRetention();
                    }
                    else if (item.Retention)
                    {
                        ApplyRetention();
                    }
                    else
                    {
                        item.Continuation?.Invoke(null);
                    }
                }
                catch (Exception ex)
                {
                    // Nothing may escape onto the thread pool: that would end the process.
                    InternalLogger.Warn(ex, "{0}: Archive work failed", _owner);
                }
            }
        }

        /// <summary>Retention holds the roll lock, so that processes sharing the file never delete in parallel.</summary>
        private void ApplyRetention()
        {
            if (_rollLock is null)
            {
                _retention.Apply();
                return;
            }
            _rollLock.EnterExclusive();
            try
            {
                _retention.Apply();
            }
            finally
            {
                _rollLock.Exit();
            }
        }

        private void Compress(string source, string finalPath, FileStream input)
        {
            string temp = finalPath + TempSuffix;
            using (input)   // the claim: held until the source is gone or the attempt is given up
            {
                try
                {
                    using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1))
                    {
                        using (var gzip = new GZipStream(output, _level, leaveOpen: true))
                        {
                            var hook = ArchiveTestHooks.DuringCompression;
                            if (hook != null)
                                CopyFirstBlockThenCall(input, gzip, output, hook, source);
                            input.CopyTo(gzip, 64 * 1024);
                        }
                        output.Flush(flushToDisk: _flushToDisk);
                    }
                    File.Move(temp, finalPath, overwrite: true);
                    File.Delete(source);
                    InternalLogger.Debug("{0}: Compressed archive '{1}'", _owner, finalPath);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    Interlocked.Increment(ref _compressionFailures);
                    InternalLogger.Warn(ex, "{0}: Could not compress archive '{1}'; it stays uncompressed and is retried at the next start-up", _owner, source);
                    TryDelete(temp);
                }
            }
        }

        private void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Debug(ex, "{0}: Could not delete '{1}'", _owner, path);
            }
        }

        private static void CopyFirstBlockThenCall(FileStream input, GZipStream gzip, FileStream output, Action<string> hook, string source)
        {
            var block = new byte[64 * 1024];
            int read = input.Read(block, 0, block.Length);
            gzip.Write(block, 0, read);
            gzip.Flush();
            output.Flush();
            hook(source);
        }

        private readonly struct WorkItem
        {
            public WorkItem(string? source, string? finalPath, FileStream? input, AsyncContinuation? continuation, bool retention)
            {
                Source = source;
                FinalPath = finalPath;
                Input = input;
                Continuation = continuation;
                Retention = retention;
            }

            public string? Source { get; }

            public string? FinalPath { get; }

            public FileStream? Input { get; }

            public AsyncContinuation? Continuation { get; }

            public bool Retention { get; }
        }
    }
}
