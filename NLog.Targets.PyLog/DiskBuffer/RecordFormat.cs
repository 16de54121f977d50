using System;
using System.Buffers.Binary;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// The on-disk layout of a segment: a 16-byte header, then records framed as
    /// <c>magic(4) crc32c(4) length(4) payload(length)</c>, little-endian. The checksum covers the
    /// length field and the payload, so a damaged length is caught too. The magic lets a reader
    /// resynchronise after damage: it scans forward to the next magic whose record checks out, so
    /// one flipped byte costs one record, not the rest of the segment.
    /// </summary>
    internal static class RecordFormat
    {
        /// <summary>"PYLOGDB" and format version 1.</summary>
        public static ReadOnlySpan<byte> SegmentMagic => "PYLOGDB\u0001"u8;

        public const int SegmentHeaderBytes = 16;

        public const uint RecordMagic = 0x4C52_4250; // "PBRL" little-endian

        public const int RecordHeaderBytes = 12;

        /// <summary>The largest payload a reader accepts; anything larger is damage (one event is far smaller).</summary>
        public const int MaxPayloadBytes = 64 * 1024 * 1024;

        public const string SegmentExtension = ".seg";

        public static string SegmentFileName(long id) => id.ToString("D12", System.Globalization.CultureInfo.InvariantCulture) + SegmentExtension;

        /// <summary>Parses a segment file name; foreign names are not segments.</summary>
        public static bool TryParseSegmentFileName(string fileName, out long id)
        {
            id = 0;
            if (fileName.Length != 12 + SegmentExtension.Length || !fileName.EndsWith(SegmentExtension, StringComparison.Ordinal))
                return false;
            return long.TryParse(fileName.AsSpan(0, 12), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id) && id > 0;
        }

        public static void WriteSegmentHeader(Span<byte> destination, long createdUtcTicks)
        {
            SegmentMagic.CopyTo(destination);
            BinaryPrimitives.WriteInt64LittleEndian(destination.Slice(8), createdUtcTicks);
        }

        public static bool IsSegmentHeader(ReadOnlySpan<byte> header) => header.Length >= SegmentHeaderBytes && header.Slice(0, 8).SequenceEqual(SegmentMagic);

        /// <summary>Fills in magic, checksum and length of a record whose payload is already in place after the header.</summary>
        public static void Seal(Span<byte> record)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, RecordMagic);
            BinaryPrimitives.WriteInt32LittleEndian(record.Slice(8), record.Length - RecordHeaderBytes);
            BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(4), Crc32C.Compute(record.Slice(8)));
        }

        /// <summary>The payload length a record header announces; -1 when it is not a plausible record header.</summary>
        public static int PeekLength(ReadOnlySpan<byte> header)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != RecordMagic)
                return -1;
            int length = BinaryPrimitives.ReadInt32LittleEndian(header.Slice(8));
            return length < 0 || length > MaxPayloadBytes ? -1 : length;
        }

        /// <summary>True when <paramref name="record"/> (header and payload) carries a matching checksum.</summary>
        public static bool Verify(ReadOnlySpan<byte> record)
            => BinaryPrimitives.ReadUInt32LittleEndian(record.Slice(4)) == Crc32C.Compute(record.Slice(8));
    }
}
