using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>Damaged files are skipped and counted as <c>corrupt</c>; the rest is replayed, in order, and nothing throws.</summary>
    [TestClass]
    public sealed class DiskBufferCorruptionTests
    {
        private const int Events = 100;

        /// <summary>Leaves <see cref="Events"/> events on disk: the wrapped target drops every one transiently.</summary>
        private static string[] LeaveEventsOnDisk(string directory)
        {
            var failing = new ReportingTestTarget { Name = "wrapped", Decide = _ => DeliveryOutcome.DroppedTransient(DropReasons.RetriesExhausted) };
            var (factory, wrapper) = DiskBufferTestKit.Create(failing, directory);
            var logger = factory.GetLogger("test");
            for (int i = 0; i < Events; i++)
                logger.Info("event {0:D3} with some padding to make the record longer", i);
            Poll.Until(() => wrapper.BufferedEvents == Events, "the events are on disk");
            factory.Shutdown();
            var segments = DiskBufferTestKit.Segments(directory);
            Assert.AreEqual(1, segments.Length, "one segment holds them: " + string.Join(", ", segments));
            return segments;
        }

        /// <summary>The offsets of the records in a segment file (walking the length fields).</summary>
        private static List<long> RecordOffsets(string segment)
        {
            var bytes = File.ReadAllBytes(segment);
            var offsets = new List<long>();
            int position = 16;
            while (position + 12 <= bytes.Length)
            {
                offsets.Add(position);
                position += 12 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position + 8));
            }
            return offsets;
        }

        private static (List<string> Delivered, long Corrupt) Replay(string directory)
        {
            using var metrics = new MetricCollector("buffer");
            var wrapped = new ReportingTestTarget { Name = "wrapped" };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, directory);
            Poll.Until(() => wrapper.BufferedEvents == 0 && wrapped.Attempts > 0, "the replay finished");
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();
            return (wrapped.Delivered, metrics.Dropped(DropReasons.Corrupt));
        }

        private static List<string> Expected(params int[] skipped)
            => Enumerable.Range(0, Events).Where(i => !skipped.Contains(i)).Select(i => $"event {i:D3} with some padding to make the record longer").ToList();

        [TestMethod]
        public void Torn_tail_after_a_crash_is_skipped_and_counted_as_corrupt()
        {
            using var folder = new FilesTempFolder();
            var segment = LeaveEventsOnDisk(folder.Path)[0];
            long last = RecordOffsets(segment).Last();
            using (var file = new FileStream(segment, FileMode.Open))
                file.SetLength(last + 20); // the last record is cut mid-payload, as a crash mid-write leaves it

            var (delivered, corrupt) = Replay(folder.Path);
            CollectionAssert.AreEqual(Expected(Events - 1), delivered);
            Assert.AreEqual(1, corrupt);
        }

        [TestMethod]
        public void Flipped_bytes_cost_one_record_and_the_rest_is_replayed()
        {
            using var folder = new FilesTempFolder();
            var segment = LeaveEventsOnDisk(folder.Path)[0];
            var offsets = RecordOffsets(segment);
            var bytes = File.ReadAllBytes(segment);
            bytes[offsets[10] + 30] ^= 0xFF;
            bytes[offsets[50] + 6] ^= 0x01; // the length field of record 50
            File.WriteAllBytes(segment, bytes);

            var (delivered, corrupt) = Replay(folder.Path);
            CollectionAssert.AreEqual(Expected(10, 50), delivered);
            Assert.AreEqual(2, corrupt);
        }

        [TestMethod]
        public void Record_with_a_good_checksum_that_cannot_be_decoded_is_skipped_once()
        {
            // A record from a newer format (another version byte) whose checksum is right: the
            // reader accepts it, the decoder refuses it. The replay must move past it, not read it
            // again and again.
            using var folder = new FilesTempFolder();
            var segment = LeaveEventsOnDisk(folder.Path)[0];
            var offsets = RecordOffsets(segment);
            var bytes = File.ReadAllBytes(segment);
            int record = (int)offsets[20];
            int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(record + 8));
            bytes[record + 12] = 0x7F; // the payload's version byte
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(record + 4), NLog.Targets.PyLog.DiskBuffer.Crc32C.Compute(bytes.AsSpan(record + 8, 4 + length)));
            File.WriteAllBytes(segment, bytes);

            var (delivered, corrupt) = Replay(folder.Path);
            CollectionAssert.AreEqual(Expected(20), delivered);
            Assert.AreEqual(1, corrupt, "the record is counted once");
        }

        [TestMethod]
        public void Truncated_segment_replays_what_is_left()
        {
            using var folder = new FilesTempFolder();
            var segment = LeaveEventsOnDisk(folder.Path)[0];
            var offsets = RecordOffsets(segment);
            using (var file = new FileStream(segment, FileMode.Open))
                file.SetLength(offsets[40] + 5);

            var (delivered, corrupt) = Replay(folder.Path);
            CollectionAssert.AreEqual(Expected(Enumerable.Range(40, Events - 40).ToArray()), delivered);
            Assert.AreEqual(1, corrupt);
        }

        [TestMethod]
        public void Foreign_file_named_like_a_segment_is_skipped_and_other_files_are_left_alone()
        {
            using var folder = new FilesTempFolder();
            var segment = LeaveEventsOnDisk(folder.Path)[0];
            // The garbage sorts before the real segment: it is replayed first.
            File.Move(segment, Path.Combine(folder.Path, "000000000005.seg"));
            var random = new byte[5000];
            new Random(42).NextBytes(random);
            File.WriteAllBytes(Path.Combine(folder.Path, "000000000002.seg"), random);
            File.WriteAllText(Path.Combine(folder.Path, "notes.txt"), "not ours");

            var (delivered, corrupt) = Replay(folder.Path);
            CollectionAssert.AreEqual(Expected(), delivered);
            Assert.AreEqual(1, corrupt, "the foreign segment counts once");
            Assert.IsTrue(File.Exists(Path.Combine(folder.Path, "notes.txt")), "files that are not segments are never deleted");
            Assert.AreEqual(0, DiskBufferTestKit.Segments(folder.Path).Length, "replayed segments, the foreign one included, are deleted");
        }

        [TestMethod]
        public void Damaged_checkpoint_replays_from_the_oldest_segment()
        {
            using var folder = new FilesTempFolder();
            LeaveEventsOnDisk(folder.Path);
            File.WriteAllBytes(Path.Combine(folder.Path, "checkpoint"), new byte[] { 1, 2, 3, 4, 5, 6, 7 });

            var (delivered, corrupt) = Replay(folder.Path);
            CollectionAssert.AreEqual(Expected(), delivered);
            Assert.AreEqual(0, corrupt);
        }
    }
}
