using System;
using System.Text;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using NLog.Targets.PyLog.Sls;

namespace NLog.Targets.PyLog.Benchmarks.Sls
{
    /// <summary>
    /// Why the SLS target writes its LogGroup with its own <see cref="ProtoBuffer"/> and does not
    /// depend on Google.Protobuf: the same <c>Log</c> message (time, three contents of rendered
    /// UTF-8, nanoseconds) written by each, into a buffer reused across calls.
    /// </summary>
    [MemoryDiagnoser]
    public class ProtobufWriterBenchmarks
    {
        private static readonly byte[][] s_keys = { Encoding.UTF8.GetBytes("level"), Encoding.UTF8.GetBytes("logger"), Encoding.UTF8.GetBytes("message") };
        private readonly byte[][] _values =
        {
            Encoding.UTF8.GetBytes("Info"),
            Encoding.UTF8.GetBytes("Shop.Orders.Checkout"),
            Encoding.UTF8.GetBytes("order 12345 shipped to customer 67890 in 3 parcels, total 199.99 EUR"),
        };
        private readonly ProtoBuffer _own = new ProtoBuffer(1024);
        private readonly byte[] _googleBuffer = new byte[1024];

        [Benchmark(Baseline = true)]
        public int OwnProtoBuffer()
        {
            var log = _own;
            log.Reset();
            log.WriteTag(1, 0);
            log.WriteVarint(1764633600);
            for (int i = 0; i < s_keys.Length; i++)
            {
                log.WriteTag(2, 2);
                log.WriteVarint((uint)(ProtoBuffer.FieldSize(s_keys[i].Length) + ProtoBuffer.FieldSize(_values[i].Length)));
                log.WriteBytesField(1, s_keys[i]);
                log.WriteBytesField(2, _values[i]);
            }
            log.WriteTag(4, 5);
            log.WriteFixed32(123456700);
            return log.Length;
        }

        [Benchmark]
        public int GoogleProtobufCodedOutputStream()
        {
            // ByteString wraps the rendered bytes without a copy; the stream writes into the reused array.
            var output = new CodedOutputStream(_googleBuffer);
            output.WriteTag(1, WireFormat.WireType.Varint);
            output.WriteUInt32(1764633600);
            for (int i = 0; i < s_keys.Length; i++)
            {
                output.WriteTag(2, WireFormat.WireType.LengthDelimited);
                output.WriteLength(CodedOutputStream.ComputeBytesSize(UnsafeByteOperations.UnsafeWrap(s_keys[i])) + 2
                    + CodedOutputStream.ComputeBytesSize(UnsafeByteOperations.UnsafeWrap(_values[i])));
                output.WriteTag(1, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(UnsafeByteOperations.UnsafeWrap(s_keys[i]));
                output.WriteTag(2, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(UnsafeByteOperations.UnsafeWrap(_values[i]));
            }
            output.WriteTag(4, WireFormat.WireType.Fixed32);
            output.WriteFixed32(123456700);
            output.Flush();
            return (int)output.Position;
        }
    }
}
