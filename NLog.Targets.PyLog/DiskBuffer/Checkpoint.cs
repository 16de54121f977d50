using System;
using System.Buffers.Binary;
using System.IO;
using Microsoft.Win32.SafeHandles;
using NLog.Common;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// The position before which every buffered event has its outcome, kept in the file
    /// <c>checkpoint</c> as two 24-byte slots written alternately (<c>generation, position, crc</c>):
    /// a torn write damages one slot and the other still holds the previous value. Written after
    /// each advance with one positional write; not fsynced (a lost update only replays events twice).
    /// </summary>
    internal sealed class Checkpoint : IDisposable
    {
        public const string FileName = "checkpoint";
        private const int SlotBytes = 24;

        private readonly string _path;
        private SafeFileHandle? _handle;
        private long _generation;

        public Checkpoint(string directory)
        {
            _path = Path.Combine(directory, FileName);
        }

        /// <summary>The stored position, or 0 (start of the first segment) when there is none or both slots are damaged.</summary>
        public long Load()
        {
            try
            {
                if (!File.Exists(_path))
                    return 0;
                byte[] data = File.ReadAllBytes(_path);
                long best = 0, bestGeneration = -1;
                for (int slot = 0; slot < 2; slot++)
                {
                    if (data.Length < (slot + 1) * SlotBytes)
                        break;
                    var span = data.AsSpan(slot * SlotBytes, SlotBytes);
                    if (BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(16)) != Crc32C.Compute(span.Slice(0, 16)))
                        continue;
                    long generation = BinaryPrimitives.ReadInt64LittleEndian(span);
                    if (generation > bestGeneration)
                    {
                        bestGeneration = generation;
                        best = BinaryPrimitives.ReadInt64LittleEndian(span.Slice(8));
                    }
                }
                _generation = Math.Max(0, bestGeneration + 1);
                return best;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                InternalLogger.Warn(ex, "DiskBufferWrapper: could not read '{0}'; replaying from the oldest segment.", _path);
                return 0;
            }
        }

        public void Store(long position)
        {
            Span<byte> slot = stackalloc byte[SlotBytes];
            BinaryPrimitives.WriteInt64LittleEndian(slot, _generation);
            BinaryPrimitives.WriteInt64LittleEndian(slot.Slice(8), position);
            BinaryPrimitives.WriteUInt32LittleEndian(slot.Slice(16), Crc32C.Compute(slot.Slice(0, 16)));
            try
            {
                if (_handle != null && !File.Exists(_path))
                {
                    // The directory was deleted (and made again): the handle points at an unlinked file.
                    _handle.Dispose();
                    _handle = null;
                }
                _handle ??= File.OpenHandle(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
                RandomAccess.Write(_handle, slot, (_generation & 1) * SlotBytes);
                _generation++;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // The directory may be gone or read-only; the next advance tries again with a fresh handle.
                _handle?.Dispose();
                _handle = null;
                InternalLogger.Debug(ex, "DiskBufferWrapper: could not write '{0}'.", _path);
            }
        }

        public void Dispose()
        {
            _handle?.Dispose();
            _handle = null;
        }
    }
}
