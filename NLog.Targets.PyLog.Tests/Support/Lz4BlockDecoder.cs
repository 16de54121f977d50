using System;
using System.IO;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>
    /// Decodes one raw LZ4 block (the format of LZ4_compress_default, which SLS's <c>lz4</c> and
    /// Plumelog's compressor use), written from the format description
    /// (lz4/doc/lz4_Block_format.md) so that the tests check the library's encoder against an
    /// independent decoder rather than against the same package.
    /// </summary>
    internal static class Lz4BlockDecoder
    {
        /// <summary>Decodes <paramref name="block"/>; the result must be exactly <paramref name="rawSize"/> bytes.</summary>
        public static byte[] Decode(byte[] block, int rawSize)
        {
            var output = new byte[rawSize];
            int ip = 0, op = 0;
            while (ip < block.Length)
            {
                int token = block[ip++];
                int literals = token >> 4;
                if (literals == 15)
                    literals += ReadLength(block, ref ip);
                if (ip + literals > block.Length || op + literals > rawSize)
                    throw new InvalidDataException("LZ4 block: literal run past the end");
                Buffer.BlockCopy(block, ip, output, op, literals);
                ip += literals;
                op += literals;
                if (ip == block.Length)
                    break; // the last sequence has literals only
                if (ip + 2 > block.Length)
                    throw new InvalidDataException("LZ4 block: truncated match offset");
                int offset = block[ip] | (block[ip + 1] << 8);
                ip += 2;
                if (offset == 0 || offset > op)
                    throw new InvalidDataException("LZ4 block: match offset " + offset + " outside the output");
                int match = (token & 15) + 4;
                if ((token & 15) == 15)
                    match += ReadLength(block, ref ip);
                if (op + match > rawSize)
                    throw new InvalidDataException("LZ4 block: match past the declared size");
                for (int i = 0; i < match; i++, op++)
                    output[op] = output[op - offset]; // byte by byte: matches may overlap their source
            }
            if (op != rawSize)
                throw new InvalidDataException("LZ4 block decoded to " + op + " bytes, expected " + rawSize);
            return output;
        }

        private static int ReadLength(byte[] block, ref int ip)
        {
            int length = 0, b;
            do
            {
                if (ip >= block.Length)
                    throw new InvalidDataException("LZ4 block: truncated length");
                b = block[ip++];
                length += b;
            }
            while (b == 255);
            return length;
        }
    }
}
