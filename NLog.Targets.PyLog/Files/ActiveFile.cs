using System;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// The file being written, without a buffer of its own (the target buffers), so every
    /// <see cref="Write"/> is one call into the OS. With a <see cref="RollLock"/> (<c>ConcurrentWrites</c>)
    /// it is shared with other processes: it is opened <c>O_APPEND</c>, each write holds the roll lock
    /// shared and first reopens the active file when another process has archived the one held open.
    /// </summary>
    internal sealed class ActiveFile
    {
        private readonly RollLock? _rollLock;
        private FileStream? _stream;
        private SafeFileHandle? _shared;
        private long _generation;

        public ActiveFile(string path, RollLock? rollLock)
        {
            Path = path;
            _rollLock = rollLock;
        }

        public string Path { get; }

        public bool IsShared => _rollLock != null;

        public bool IsOpen => _stream != null || _shared != null;

        /// <summary>Bytes in the file: counted from its length at open time, or (shared) its length after the last write.</summary>
        public long Length { get; private set; }

        /// <summary>Opens (or creates) the file for appending, creating its folder when missing.</summary>
        public void Open()
        {
            Close();
            string? directory = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(directory))
                Directory.CreateDirectory(directory);
            if (_rollLock is null)
            {
                var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
                Length = stream.Length;
                _stream = stream;
                return;
            }

            _rollLock.EnterShared();    // nothing when held already: the generation must be the one of the file opened
            try
            {
                OpenShared();
            }
            finally
            {
                _rollLock.Exit();
            }
        }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            if (_rollLock is null)
            {
                if (_stream is null)
                    throw new IOException("The file is not open: " + Path);
                _stream.Write(bytes);
                Length += bytes.Length;
                return;
            }

            _rollLock.EnterShared();
            try
            {
                if (_shared is null || _rollLock.ReadGeneration() != _generation || !File.Exists(Path))
                    OpenShared();   // archived by another process (or deleted): these lines belong in the new file
                LinuxFile.WriteAll(_shared!, bytes, Path);
                Length = RandomAccess.GetLength(_shared!);
            }
            finally
            {
                _rollLock.Exit();
            }
        }

        /// <summary>
        /// Before a roll. Shared: takes the roll lock exclusively and returns true when the file held
        /// open is still the active one; otherwise another process has rolled it, and the file is
        /// reopened, the lock released, and false returned. Single-process: always true.
        /// </summary>
        public bool BeginRoll()
        {
            if (_rollLock is null)
                return true;
            _rollLock.EnterExclusive();
            try
            {
                if (_shared != null && _rollLock.ReadGeneration() == _generation && File.Exists(Path))
                    return true;
                OpenShared();
            }
            catch
            {
                _rollLock.Exit();
                throw;
            }
            _rollLock.Exit();
            return false;
        }

        /// <summary>After a roll that <see cref="BeginRoll"/> allowed.</summary>
        public void EndRoll() => _rollLock?.Exit();

        /// <summary>True when the file is still where it was opened (it may have been deleted, or its folder).</summary>
        public bool StillExists() => File.Exists(Path);

        public void Close()
        {
            var stream = _stream;
            var shared = _shared;
            _stream = null;
            _shared = null;
            stream?.Dispose();
            shared?.Dispose();
        }

        private void OpenShared()
        {
            _shared?.Dispose();
            _shared = null;
            string? directory = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(directory))
                Directory.CreateDirectory(directory);
            _generation = _rollLock!.ReadGeneration();
            _shared = LinuxFile.OpenAppend(Path);
            Length = RandomAccess.GetLength(_shared);
        }
    }
}
