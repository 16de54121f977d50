using System;
using System.Buffers.Binary;
using System.Text;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// A growable byte buffer the logging thread serializes one record into (reused per thread, so
    /// nothing is allocated per event once it has grown to the size of the largest event).
    /// </summary>
    internal sealed class PayloadWriter
    {
        // A huge event (a multi-megabyte message) must not pin its buffer for the thread's lifetime.
        private const int MaxRetainedBytes = 1024 * 1024;

        private byte[] _buffer = new byte[1024];
        private readonly CachedText _logger = new CachedText();
        private readonly CachedText _template = new CachedText();

        public int Length { get; set; }

        public Span<byte> Written => new Span<byte>(_buffer, 0, Length);

        public void Reset()
        {
            if (_buffer.Length > MaxRetainedBytes)
                _buffer = new byte[1024];
            Length = 0;
        }

        public void Skip(int count)
        {
            Ensure(count);
            Length += count;
        }

        public void WriteByte(byte value)
        {
            Ensure(1);
            _buffer[Length++] = value;
        }

        public void WriteVarint(ulong value)
        {
            Ensure(10);
            while (value >= 0x80)
            {
                _buffer[Length++] = (byte)(value | 0x80);
                value >>= 7;
            }
            _buffer[Length++] = (byte)value;
        }

        public void WriteInt64(long value)
        {
            Ensure(8);
            BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(Length), value);
            Length += 8;
        }

        public void WriteInt32(int value)
        {
            Ensure(4);
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(Length), value);
            Length += 4;
        }

        public void WriteBytes(ReadOnlySpan<byte> value)
        {
            WriteVarint((ulong)value.Length);
            Ensure(value.Length);
            value.CopyTo(_buffer.AsSpan(Length));
            Length += value.Length;
        }

        /// <summary>As <see cref="WriteString"/>; the encoding of the previous logger name is reused when the same string comes again.</summary>
        public void WriteLoggerName(string? value) => WriteCached(value, _logger);

        /// <summary>As <see cref="WriteString"/>; the encoding of the previous template is reused when the same string comes again.</summary>
        public void WriteTemplate(string? value) => WriteCached(value, _template);

        private void WriteCached(string? value, CachedText cache)
        {
            // Logger names and templates are mostly the same string instances, call after call.
            if (value is null || !ReferenceEquals(value, cache.Text))
            {
                int start = Length;
                WriteString(value);
                if (value != null && Length - start <= 512)
                {
                    cache.Text = value;
                    cache.Encoded = _buffer.AsSpan(start, Length - start).ToArray();
                }
                return;
            }
            var encoded = cache.Encoded!;
            Ensure(encoded.Length);
            encoded.CopyTo(_buffer.AsSpan(Length));
            Length += encoded.Length;
        }

        /// <summary>Length + 1 as a varint (0 means null), then UTF-8.</summary>
        public void WriteString(string? value)
        {
            if (value is null)
            {
                WriteByte(0);
                return;
            }
            int max = Encoding.UTF8.GetMaxByteCount(value.Length);
            Ensure(max + 5);
            // Encode first, then write the length in front: reserve the widest varint the text can need.
            int prefix = VarintSize((ulong)max + 1);
            int written = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(Length + prefix));
            int actualPrefix = VarintSize((ulong)written + 1);
            if (actualPrefix != prefix)
                Buffer.BlockCopy(_buffer, Length + prefix, _buffer, Length + actualPrefix, written);
            WriteVarint((ulong)written + 1);
            Length += written;
        }

        private static int VarintSize(ulong value)
        {
            int size = 1;
            while (value >= 0x80)
            {
                value >>= 7;
                size++;
            }
            return size;
        }

        private sealed class CachedText
        {
            public string? Text;
            public byte[]? Encoded;
        }

        private void Ensure(int count)
        {
            if (Length + count <= _buffer.Length)
                return;
            int size = Math.Max(_buffer.Length * 2, Length + count);
            Array.Resize(ref _buffer, size);
        }
    }

    /// <summary>The last string read for one field (logger, template, thread), so repeats decode to the same instance.</summary>
    internal sealed class DecodedTextCache
    {
        public byte[]? Bytes;
        public string? Text;
    }

    /// <summary>Reads what <see cref="PayloadWriter"/> wrote; a malformed payload throws <see cref="FormatException"/>.</summary>
    internal ref struct PayloadReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _position;

        public PayloadReader(ReadOnlySpan<byte> data)
        {
            _data = data;
            _position = 0;
        }

        public bool AtEnd => _position >= _data.Length;

        public byte ReadByte()
        {
            if (_position >= _data.Length)
                throw new FormatException("Buffer record ends early.");
            return _data[_position++];
        }

        public ulong ReadVarint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = ReadByte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                    return value;
            }
            throw new FormatException("Buffer record holds a malformed number.");
        }

        public int ReadCount()
        {
            ulong value = ReadVarint();
            if (value > (ulong)(_data.Length - _position) + 1)
                throw new FormatException("Buffer record announces more items than it holds.");
            return (int)value;
        }

        public long ReadInt64()
        {
            var span = Take(8);
            return BinaryPrimitives.ReadInt64LittleEndian(span);
        }

        public int ReadInt32()
        {
            var span = Take(4);
            return BinaryPrimitives.ReadInt32LittleEndian(span);
        }

        public byte[] ReadBytes() => Take(ReadCount()).ToArray();

        public string? ReadString()
        {
            int length = ReadCount();
            if (length == 0)
                return null;
            return Encoding.UTF8.GetString(Take(length - 1));
        }

        /// <summary>As <see cref="ReadString()"/>, returning the previous string of <paramref name="cache"/> when the bytes are the same (no new string).</summary>
        public string? ReadString(DecodedTextCache cache)
        {
            int length = ReadCount();
            if (length == 0)
                return null;
            var bytes = Take(length - 1);
            if (cache.Bytes != null && bytes.SequenceEqual(cache.Bytes))
                return cache.Text;
            string text = Encoding.UTF8.GetString(bytes);
            if (bytes.Length <= 512)
            {
                cache.Bytes = bytes.ToArray();
                cache.Text = text;
            }
            return text;
        }

        /// <summary>The UTF-8 bytes of a string as <see cref="PayloadWriter.WriteString"/> wrote it; false for null.</summary>
        public bool TryReadStringBytes(out ReadOnlySpan<byte> bytes)
        {
            int length = ReadCount();
            bytes = length == 0 ? default : Take(length - 1);
            return length != 0;
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || _position + count > _data.Length)
                throw new FormatException("Buffer record ends early.");
            var span = _data.Slice(_position, count);
            _position += count;
            return span;
        }
    }
}
