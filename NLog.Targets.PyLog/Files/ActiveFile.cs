using System;
using System.IO;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// The file being written. A <see cref="FileStream"/> without its own buffer (the target
    /// buffers), so every <see cref="Write"/> is one call into the OS.
    /// </summary>
    internal sealed class ActiveFile
    {
        private FileStream? _stream;

        public ActiveFile(string path)
        {
            Path = path;
        }

        public string Path { get; }

        public bool IsOpen => _stream != null;

        /// <summary>Bytes in the file, counted from its length at open time.</summary>
        public long Length { get; private set; }

        /// <summary>Opens (or creates) the file for appending, creating its folder when missing.</summary>
        public void Open()
        {
            Close();
            string? directory = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(directory))
                Directory.CreateDirectory(directory);
            var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            Length = stream.Length;
            _stream = stream;
        }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            if (_stream is null)
                throw new IOException("The file is not open: " + Path);
            _stream.Write(bytes);
            Length += bytes.Length;
        }

        /// <summary>True when the file is still where it was opened (it may have been deleted, or its folder).</summary>
        public bool StillExists() => File.Exists(Path);

        public void Close()
        {
            var stream = _stream;
            _stream = null;
            stream?.Dispose();
        }
    }
}
