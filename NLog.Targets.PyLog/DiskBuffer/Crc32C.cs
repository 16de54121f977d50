using System;
using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every buffer record.
    /// Uses the CPU's CRC32 instruction (SSE4.2 on x64, the CRC extension on Arm64) and a table
    /// otherwise; all three give the same value (check value of "123456789" is 0xE3069283).
    /// </summary>
    internal static class Crc32C
    {
        private const uint Polynomial = 0x82F63B78u;
        private static readonly uint[] s_table = CreateTable();

        public static uint Compute(ReadOnlySpan<byte> data) => ~Append(0xFFFFFFFFu, data);

        private static uint Append(uint crc, ReadOnlySpan<byte> data)
        {
            if (Sse42.X64.IsSupported)
            {
                ulong wide = crc;
                while (data.Length >= 8)
                {
                    wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
                    data = data.Slice(8);
                }
                crc = (uint)wide;
                foreach (byte b in data)
                    crc = Sse42.Crc32(crc, b);
                return crc;
            }
            if (Crc32.Arm64.IsSupported)
            {
                while (data.Length >= 8)
                {
                    crc = Crc32.Arm64.ComputeCrc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
                    data = data.Slice(8);
                }
                foreach (byte b in data)
                    crc = Crc32.ComputeCrc32C(crc, b);
                return crc;
            }
            return AppendSoftware(crc, data);
        }

        internal static uint ComputeSoftware(ReadOnlySpan<byte> data) => ~AppendSoftware(0xFFFFFFFFu, data);

        private static uint AppendSoftware(uint crc, ReadOnlySpan<byte> data)
        {
            uint[] table = s_table;
            foreach (byte b in data)
                crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }

        private static uint[] CreateTable()
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint entry = i;
                for (int bit = 0; bit < 8; bit++)
                    entry = (entry & 1) != 0 ? (entry >> 1) ^ Polynomial : entry >> 1;
                table[i] = entry;
            }
            return table;
        }
    }
}
