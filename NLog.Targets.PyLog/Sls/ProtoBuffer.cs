using System;
using System.Buffers;

namespace NLog.Targets.PyLog.Sls
{
    /// <summary>
    /// A growable byte buffer with the few protobuf wire primitives the LogGroup needs
    /// (varint, fixed32, length-delimited). Reused across events and requests.
    /// </summary>
    internal sealed class ProtoBuffer : IBufferWriter<byte>
    {
        private byte[] _data;

        public ProtoBuffer(int capacity) => _data = new byte[Math.Max(capacity, 16)];

        public int Length { get; private set; }

        public byte[] Data => _data;

        public ReadOnlySpan<byte> WrittenSpan => new ReadOnlySpan<byte>(_data, 0, Length);

        public void Reset() => Length = 0;

        public byte[] ToArray() => WrittenSpan.ToArray();

        /// <summary>Field key: <c>(field &lt;&lt; 3) | wireType</c>; every field number used here is below 16, so one byte.</summary>
        public void WriteTag(int field, int wireType) => WriteByte((byte)((field << 3) | wireType));

        public void WriteByte(byte value)
        {
            Ensure(1);
            _data[Length++] = value;
        }

        public void WriteVarint(uint value)
        {
            Ensure(5);
            while (value >= 0x80)
            {
                _data[Length++] = (byte)(value | 0x80);
                value >>= 7;
            }
            _data[Length++] = (byte)value;
        }

        public void WriteFixed32(uint value)
        {
            Ensure(4);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(_data.AsSpan(Length), value);
            Length += 4;
        }

        public void WriteRaw(ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(_data.AsSpan(Length));
            Length += bytes.Length;
        }

        /// <summary>A length-delimited field: key, varint length, bytes.</summary>
        public void WriteBytesField(int field, ReadOnlySpan<byte> bytes)
        {
            WriteTag(field, 2);
            WriteVarint((uint)bytes.Length);
            WriteRaw(bytes);
        }

        public static int VarintSize(uint value)
        {
            int size = 1;
            while (value >= 0x80)
            {
                value >>= 7;
                size++;
            }
            return size;
        }

        /// <summary>Size on the wire of a length-delimited field with a one-byte key.</summary>
        public static int FieldSize(int length) => 1 + VarintSize((uint)length) + length;

        public void Advance(int count) => Length += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(Math.Max(sizeHint, 256));
            return _data.AsMemory(Length);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(Math.Max(sizeHint, 256));
            return _data.AsSpan(Length);
        }

        public void Ensure(int extra)
        {
            if (_data.Length - Length >= extra)
                return;
            long wanted = Math.Max((long)_data.Length * 2, (long)Length + extra);
            Array.Resize(ref _data, (int)Math.Min(wanted, Array.MaxLength));
        }
    }
}
