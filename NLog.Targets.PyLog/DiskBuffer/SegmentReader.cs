using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// Reads the records of one segment file in order. A record that does not check out (a torn
    /// tail, flipped bytes, a truncated file, a file that is not a segment) is skipped: the reader
    /// scans forward to the next record magic whose checksum matches, and counts each skipped
    /// stretch once in <see cref="CorruptStretches"/>. It never throws for bad content and never
    /// stops short of the readable end, so a damaged file cannot stall a replay.
    /// </summary>
    internal sealed class SegmentReader : IDisposable
    {
        private const int DefaultBufferBytes = 256 * 1024;

        private readonly SafeFileHandle _handle;
        private byte[] _buffer = new byte[DefaultBufferBytes];
        private long _bufferOffset;
        private int _bufferLength;
        private bool _inCorruptStretch;
        // A sealed file no longer grows: its length is asked once (fstat), not once per record.
        private long _sealedLength = -1;

        private SegmentReader(long id, SafeFileHandle handle)
        {
            Id = id;
            _handle = handle;
        }

        public long Id { get; }

        /// <summary>The file offset of the next record to read.</summary>
        public long Offset { get; private set; }

        /// <summary>How many damaged stretches were skipped so far.</summary>
        public int CorruptStretches { get; private set; }

        /// <summary>Opens a segment; null when the file is gone.</summary>
        public static SegmentReader? Open(long id, string path, long startOffset)
        {
            SafeFileHandle handle;
            try
            {
                handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (FileNotFoundException)
            {
                return null;
            }
            catch (DirectoryNotFoundException)
            {
                return null;
            }
            var reader = new SegmentReader(id, handle);
            if (startOffset <= RecordFormat.SegmentHeaderBytes)
            {
                Span<byte> header = stackalloc byte[RecordFormat.SegmentHeaderBytes];
                int read = RandomAccess.Read(handle, header, 0);
                if (read == RecordFormat.SegmentHeaderBytes && RecordFormat.IsSegmentHeader(header))
                {
                    reader.Offset = RecordFormat.SegmentHeaderBytes;
                }
                else
                {
                    // Not one of ours (or its header is damaged): salvage any records it holds.
                    reader.Offset = 0;
                    reader.MarkCorrupt();
                }
            }
            else
            {
                reader.Offset = startOffset;
            }
            return reader;
        }

        /// <summary>Reads every valid record of a file: offset and level (for counting what an eviction drops).</summary>
        public static IEnumerable<(long Offset, int LevelOrdinal)> Scan(string path)
        {
            using var reader = Open(0, path, 0);
            if (reader is null)
                yield break;
            while (reader.TryRead(long.MaxValue, out var offset, out var payload) == ReadResult.Record)
                yield return (offset, EventSerializer.ReadLevelOrdinal(payload.Span));
        }

        /// <summary>
        /// Reads the next valid record below <paramref name="readableLength"/> (<c>long.MaxValue</c>:
        /// the file is sealed, read to its end). The payload is valid until the next call.
        /// </summary>
        public ReadResult TryRead(long readableLength, out long offset, out ReadOnlyMemory<byte> payload)
        {
            bool sealedFile = readableLength == long.MaxValue;
            long end = readableLength;
            if (sealedFile)
            {
                end = _sealedLength;
                if (end < 0)
                {
                    end = FileLength();
                    // A failed fstat answers the current offset: not worth keeping.
                    if (end > Offset)
                        _sealedLength = end;
                }
            }
            payload = default;
            while (true)
            {
                offset = Offset;
                if (Offset + RecordFormat.RecordHeaderBytes > end)
                {
                    if (sealedFile && Offset < end)
                    {
                        // A torn tail: fewer bytes than a record header.
                        MarkCorrupt();
                        Offset = end;
                    }
                    return ReadResult.End;
                }

                if (!Fill(Offset, RecordFormat.RecordHeaderBytes))
                    return ReadResult.End;
                var header = Span(Offset, RecordFormat.RecordHeaderBytes);
                int length = RecordFormat.PeekLength(header);
                if (length < 0)
                {
                    Resync();
                    continue;
                }
                long recordEnd = Offset + RecordFormat.RecordHeaderBytes + length;
                if (recordEnd > end)
                {
                    if (!sealedFile)
                        return ReadResult.End; // not there yet (or damage the writer will never extend)
                    Resync();
                    continue;
                }
                if (!Fill(Offset, RecordFormat.RecordHeaderBytes + length))
                    return ReadResult.End;
                var record = Span(Offset, RecordFormat.RecordHeaderBytes + length);
                if (!RecordFormat.Verify(record))
                {
                    Resync();
                    continue;
                }
                _inCorruptStretch = false;
                payload = new ReadOnlyMemory<byte>(_buffer, (int)(Offset - _bufferOffset) + RecordFormat.RecordHeaderBytes, length);
                Offset = recordEnd;
                return ReadResult.Record;
            }
        }

        /// <summary>
        /// Continues at <paramref name="offset"/>, the start of a record (the replay pump took the
        /// records before it from memory); what the buffer already holds stays usable.
        /// </summary>
        public void MoveTo(long offset)
        {
            Offset = offset;
            _inCorruptStretch = false;
        }

        /// <summary>Counts a record that checked out but could not be decoded, as a damaged stretch of its own.</summary>
        public void CountUndecodable()
        {
            CorruptStretches++;
        }

        public void Dispose() => _handle.Dispose();

        private long FileLength()
        {
            try
            {
                return RandomAccess.GetLength(_handle);
            }
            catch (IOException)
            {
                return Offset;
            }
        }

        private void MarkCorrupt()
        {
            if (_inCorruptStretch)
                return;
            _inCorruptStretch = true;
            CorruptStretches++;
        }

        /// <summary>The record at <see cref="Offset"/> is damaged: move to the next byte that starts with the record magic.</summary>
        private void Resync()
        {
            MarkCorrupt();
            long end = FileLength();
            long position = Offset + 1;
            while (position + 4 <= end)
            {
                if (!Fill(position, (int)Math.Min(end - position, DefaultBufferBytes / 2)))
                    break;
                var window = Span(position, (int)Math.Min(end - position, _bufferLength - (position - _bufferOffset)));
                int found = IndexOfMagic(window);
                if (found >= 0)
                {
                    Offset = position + found;
                    return;
                }
                position += Math.Max(1, window.Length - 3);
            }
            Offset = end;
        }

        private static int IndexOfMagic(ReadOnlySpan<byte> data)
        {
            Span<byte> magic = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(magic, RecordFormat.RecordMagic);
            return data.IndexOf(magic);
        }

        private ReadOnlySpan<byte> Span(long offset, int count) => new ReadOnlySpan<byte>(_buffer, (int)(offset - _bufferOffset), count);

        /// <summary>Makes bytes [offset, offset+count) available in the buffer; false when the file ends first.</summary>
        private bool Fill(long offset, int count)
        {
            if (offset >= _bufferOffset && offset + count <= _bufferOffset + _bufferLength)
                return true;
            if (count > _buffer.Length)
                _buffer = new byte[Math.Max(count, _buffer.Length * 2)];
            else if (_buffer.Length > DefaultBufferBytes && count <= DefaultBufferBytes)
                _buffer = new byte[DefaultBufferBytes];
            _bufferOffset = offset;
            _bufferLength = 0;
            while (_bufferLength < _buffer.Length)
            {
                int read = RandomAccess.Read(_handle, _buffer.AsSpan(_bufferLength), offset + _bufferLength);
                if (read <= 0)
                    break;
                _bufferLength += read;
                if (_bufferLength >= count)
                    break;
            }
            return _bufferLength >= count;
        }
    }

    internal enum ReadResult
    {
        /// <summary>Nothing more below the readable length (for now).</summary>
        End,

        Record,
    }
}
