using System;
using System.Buffers;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// The reusable byte buffer that rendered lines are appended to until they are written to the
    /// file in one call. Grows when a line does not fit and never shrinks, so the steady state
    /// allocates nothing.
    /// </summary>
    internal sealed class LineBuffer : IBufferWriter<byte>
    {
        private byte[] _buffer;
        private int _count;

        public LineBuffer(int capacity)
        {
            _buffer = new byte[Math.Max(capacity, 256)];
        }

        public int Count => _count;

        public ReadOnlySpan<byte> WrittenSpan => new ReadOnlySpan<byte>(_buffer, 0, _count);

        public byte[] Array => _buffer;

        public void Advance(int count)
        {
            if (count < 0 || _count + count > _buffer.Length)
                throw new ArgumentOutOfRangeException(nameof(count));
            _count += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return new Memory<byte>(_buffer, _count, _buffer.Length - _count);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return new Span<byte>(_buffer, _count, _buffer.Length - _count);
        }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(new Span<byte>(_buffer, _count, bytes.Length));
            _count += bytes.Length;
        }

        /// <summary>Forgets everything from <paramref name="length"/> on (undoes a half-rendered line).</summary>
        public void Truncate(int length) => _count = length;

        /// <summary>Drops the first <paramref name="length"/> bytes and moves the rest to the front.</summary>
        public void Consume(int length)
        {
            int rest = _count - length;
            if (rest > 0)
                Buffer.BlockCopy(_buffer, length, _buffer, 0, rest);
            _count = rest;
        }

        public void Clear() => _count = 0;

        private void Ensure(int sizeHint)
        {
            if (sizeHint < 1)
                sizeHint = 1;
            if (_buffer.Length - _count >= sizeHint)
                return;
            int size = Math.Max(_buffer.Length * 2, _count + sizeHint);
            var next = new byte[size];
            Buffer.BlockCopy(_buffer, 0, next, 0, _count);
            _buffer = next;
        }
    }
}
