using System;
using System.IO;
using System.IO.Compression;
using K4os.Compression.LZ4;

namespace NLog.Targets.PyLog.Sls
{
    /// <summary>Compresses one serialized LogGroup into a buffer reused across requests.</summary>
    internal abstract class SlsCompressor
    {
        /// <summary>The value of <c>x-log-compresstype</c>, or null to send none.</summary>
        public abstract string? HeaderValue { get; }

        /// <summary>The body to send; valid until the next call.</summary>
        public abstract ArraySegment<byte> Compress(ArraySegment<byte> raw);

        public static SlsCompressor Create(SlsCompression compression)
        {
            switch (compression)
            {
                case SlsCompression.Lz4:
                    return new Lz4Compressor();
                case SlsCompression.Deflate:
                    return new DeflateCompressor();
                default:
                    return new NoCompressor();
            }
        }

        private sealed class NoCompressor : SlsCompressor
        {
            public override string? HeaderValue => null;

            public override ArraySegment<byte> Compress(ArraySegment<byte> raw) => raw;
        }

        private sealed class Lz4Compressor : SlsCompressor
        {
            private byte[] _output = new byte[64 * 1024];

            public override string? HeaderValue => "lz4";

            public override ArraySegment<byte> Compress(ArraySegment<byte> raw)
            {
                int bound = LZ4Codec.MaximumOutputSize(raw.Count);
                if (_output.Length < bound)
                    _output = new byte[Math.Max(bound, _output.Length * 2)];
                // The fast level of the reference implementation's default compressor: a raw block, as the service decodes.
                int written = LZ4Codec.Encode(raw.AsSpan(), _output.AsSpan(), LZ4Level.L00_FAST);
                if (written <= 0)
                    throw new InvalidOperationException("LZ4 encoding failed for " + raw.Count + " bytes.");
                return new ArraySegment<byte>(_output, 0, written);
            }
        }

        private sealed class DeflateCompressor : SlsCompressor
        {
            private readonly MemoryStream _output = new MemoryStream(64 * 1024);

            public override string? HeaderValue => "deflate";

            public override ArraySegment<byte> Compress(ArraySegment<byte> raw)
            {
                _output.SetLength(0);
                using (var zlib = new ZLibStream(_output, CompressionLevel.Optimal, leaveOpen: true))
                    zlib.Write(raw);
                return new ArraySegment<byte>(_output.GetBuffer(), 0, (int)_output.Length);
            }
        }
    }
}
