using System;
using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// A growable UTF-8 buffer with the few JSON primitives the layout needs. Every string goes
    /// through <see cref="WriteString(ReadOnlySpan{char})"/>, which escapes quotes, backslashes and
    /// all control characters (so a rendered event never contains a raw line break) and replaces
    /// lone surrogates with U+FFFD, so the output is valid UTF-8 and valid JSON for any input.
    /// </summary>
    internal sealed class Utf8JsonBuffer : IBufferWriter<byte>
    {
        private const int DefaultCapacity = 1024;

        // Characters that cannot be copied verbatim into a JSON string: C0 controls, '"', '\',
        // and U+2028/U+2029 (valid JSON, but line terminators for JavaScript consumers).
        private static readonly SearchValues<char> s_needsEscape = SearchValues.Create(
            "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F" +
            "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F" +
            "\"\\\u2028\u2029");

        private static readonly double[] s_powersOfTen = { 1d, 10d, 100d, 1000d, 10000d };

        private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

        private byte[] _buffer;
        private int _length;
        private char[] _chars = new char[256];

        public Utf8JsonBuffer(int capacity = DefaultCapacity)
        {
            _buffer = new byte[capacity];
        }

        /// <summary>Bytes written so far; settable to roll back a partly written value.</summary>
        public int Length
        {
            get => _length;
            set => _length = value;
        }

        public int Capacity => _buffer.Length;

        public ReadOnlySpan<byte> WrittenSpan => new ReadOnlySpan<byte>(_buffer, 0, _length);

        public void Clear() => _length = 0;

        public void Advance(int count) => _length += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(Math.Max(sizeHint, 1));
            return _buffer.AsMemory(_length);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(Math.Max(sizeHint, 1));
            return _buffer.AsSpan(_length);
        }

        /// <summary>A scratch char buffer of at least <paramref name="size"/> chars (not thread-safe; one user at a time).</summary>
        public char[] RentChars(int size)
        {
            if (_chars.Length < size)
            {
                _chars = new char[Math.Max(size, _chars.Length * 2)];
            }

            return _chars;
        }

        public void WriteByte(byte value)
        {
            if (_length == _buffer.Length)
            {
                Grow(1);
            }

            _buffer[_length++] = value;
        }

        public void WriteRaw(ReadOnlySpan<byte> utf8)
        {
            Ensure(utf8.Length);
            utf8.CopyTo(_buffer.AsSpan(_length));
            _length += utf8.Length;
        }

        /// <summary>Writes <paramref name="value"/> as a quoted, escaped JSON string.</summary>
        public void WriteString(ReadOnlySpan<char> value)
        {
            WriteByte((byte)'"');
            WriteStringContent(value);
            WriteByte((byte)'"');
        }

        /// <summary>Writes a quoted JSON property name followed by a colon.</summary>
        public void WritePropertyName(ReadOnlySpan<char> name)
        {
            WriteString(name);
            WriteByte((byte)':');
        }

        /// <summary>Writes the escaped content of a JSON string, without quotes.</summary>
        public void WriteStringContent(ReadOnlySpan<char> value)
        {
            while (!value.IsEmpty)
            {
                int run = value.IndexOfAny(s_needsEscape);
                if (run < 0)
                {
                    run = value.Length;
                }

                if (run > 0)
                {
                    WriteUtf16Run(value.Slice(0, run));
                    value = value.Slice(run);
                    if (value.IsEmpty)
                    {
                        return;
                    }
                }

                WriteEscaped(value[0]);
                value = value.Slice(1);
            }
        }

        /// <summary>Writes UTF-16 text without JSON escaping (raw JSON), replacing invalid surrogates and line breaks.</summary>
        public void WriteRawUtf16(ReadOnlySpan<char> value)
        {
            int start = _length;
            WriteUtf16Run(value);
            Span<byte> written = _buffer.AsSpan(start, _length - start);
            // Outside strings CR/LF are insignificant whitespace, and inside strings they are
            // invalid JSON anyway (the caller validates): keep one event on one line.
            for (int i = written.IndexOfAny((byte)'\r', (byte)'\n'); i >= 0; i = written.IndexOfAny((byte)'\r', (byte)'\n'))
            {
                written[i] = (byte)' ';
            }
        }

        /// <summary>
        /// Writes an attribute value: a JSON string when <paramref name="encode"/>, else the text as
        /// raw JSON when it is exactly one valid JSON value, and as a string when it is not.
        /// </summary>
        public void WriteAttributeValue(ReadOnlySpan<char> value, bool encode)
        {
            if (!encode)
            {
                int valueStart = _length;
                WriteRawUtf16(value);
                if (RawJson.IsSingleValue(WrittenSpan.Slice(valueStart)))
                {
                    return;
                }

                _length = valueStart;
            }

            WriteString(value);
        }

        public void WriteNull() => WriteRaw("null"u8);

        public void WriteBoolean(bool value) => WriteRaw(value ? "true"u8 : "false"u8);

        /// <summary>Writes an unquoted UTF-8 formattable value (a JSON number).</summary>
        public void WriteNumber<T>(T value, ReadOnlySpan<char> format = default)
            where T : IUtf8SpanFormattable
        {
            Ensure(64);
            int written;
            while (!value.TryFormat(_buffer.AsSpan(_length), out written, format, System.Globalization.CultureInfo.InvariantCulture))
            {
                Grow(_buffer.Length);
            }

            _length += written;
        }

        /// <summary>Writes a quoted UTF-8 formattable value whose text never needs escaping (dates, GUIDs, time spans).</summary>
        public void WriteQuotedAscii<T>(T value, ReadOnlySpan<char> format = default)
            where T : IUtf8SpanFormattable
        {
            WriteByte((byte)'"');
            WriteNumber(value, format);
            WriteByte((byte)'"');
        }

        /// <summary>Writes a floating point number (shortest round-trippable form); NaN and infinities (not JSON numbers) become strings.</summary>
        public void WriteDouble(double value)
        {
            if (!double.IsFinite(value))
            {
                WriteQuotedAscii(value);
            }
            else if (!TryWriteShortDecimal(value))
            {
                WriteNumber(value);
            }
        }

        /// <summary>
        /// Fast path for the common doubles with at most four decimals (12.5, 0.25, 99.99): written
        /// from an integer, several times faster than the general shortest-form algorithm, with the
        /// same text. <paramref name="value"/> = n / 10^k is verified exactly before anything is written.
        /// </summary>
        private bool TryWriteShortDecimal(double value)
        {
            // Outside this range .NET switches to exponent notation; keep its text there.
            double magnitude = Math.Abs(value);
            if (magnitude < 1e-4 || magnitude >= 1e14)
            {
                return false;
            }

            double[] powers = s_powersOfTen;
            for (int k = 0; k < powers.Length; k++)
            {
                double scaled = value * powers[k];
                if (scaled != Math.Floor(scaled) || Math.Abs(scaled) >= 9e15)
                {
                    continue;
                }

                long n = (long)scaled;
                if (n / powers[k] != value)
                {
                    continue;
                }

                // value * 10^k can round to an integer at a larger k than needed (2331494.76 -> 2331494760 / 1000).
                while (k > 0 && n % 10 == 0)
                {
                    n /= 10;
                    k--;
                }

                if (k == 0)
                {
                    WriteNumber(n);
                    return true;
                }

                Span<byte> digits = stackalloc byte[24];
                ulong absolute = (ulong)(n < 0 ? -n : n);
                absolute.TryFormat(digits, out int length, default, System.Globalization.CultureInfo.InvariantCulture);
                Ensure(length + k + 3);
                if (n < 0)
                {
                    _buffer[_length++] = (byte)'-';
                }

                if (length <= k)
                {
                    // 0.0125: a leading "0." and zeros up to the first digit.
                    _buffer[_length++] = (byte)'0';
                    _buffer[_length++] = (byte)'.';
                    for (int zeros = k - length; zeros > 0; zeros--)
                    {
                        _buffer[_length++] = (byte)'0';
                    }

                    WriteRaw(digits.Slice(0, length));
                }
                else
                {
                    WriteRaw(digits.Slice(0, length - k));
                    WriteByte((byte)'.');
                    WriteRaw(digits.Slice(length - k, k));
                }

                return true;
            }

            return false;
        }

        public void WriteFloat(float value)
        {
            if (float.IsFinite(value))
            {
                WriteNumber(value);
            }
            else
            {
                WriteQuotedAscii(value);
            }
        }

        public void WriteBase64(ReadOnlySpan<byte> data)
        {
            WriteByte((byte)'"');
            Ensure(Base64.GetMaxEncodedToUtf8Length(data.Length));
            Base64.EncodeToUtf8(data, _buffer.AsSpan(_length), out _, out int written);
            _length += written;
            WriteByte((byte)'"');
        }

        /// <summary>Formats <paramref name="value"/> through <see cref="ISpanFormattable"/> and writes it as an escaped string.</summary>
        public void WriteFormattedString(ISpanFormattable value, IFormatProvider? provider)
        {
            char[] chars = RentChars(64);
            int written;
            while (!value.TryFormat(chars, out written, default, provider))
            {
                chars = RentChars(chars.Length * 2);
            }

            WriteString(chars.AsSpan(0, written));
        }

        private void WriteUtf16Run(ReadOnlySpan<char> run)
        {
            Ensure(checked(run.Length * 3));
            // replaceInvalidSequences: a lone surrogate becomes U+FFFD, so the output is always valid UTF-8.
            Utf8.FromUtf16(run, _buffer.AsSpan(_length), out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
            _length += written;
        }

        private void WriteEscaped(char c)
        {
            Ensure(6);
            Span<byte> span = _buffer.AsSpan(_length);
            span[0] = (byte)'\\';
            switch (c)
            {
                case '"': span[1] = (byte)'"'; _length += 2; return;
                case '\\': span[1] = (byte)'\\'; _length += 2; return;
                case '\n': span[1] = (byte)'n'; _length += 2; return;
                case '\r': span[1] = (byte)'r'; _length += 2; return;
                case '\t': span[1] = (byte)'t'; _length += 2; return;
                case '\b': span[1] = (byte)'b'; _length += 2; return;
                case '\f': span[1] = (byte)'f'; _length += 2; return;
            }

            span[1] = (byte)'u';
            span[2] = HexDigits[(c >> 12) & 0xF];
            span[3] = HexDigits[(c >> 8) & 0xF];
            span[4] = HexDigits[(c >> 4) & 0xF];
            span[5] = HexDigits[c & 0xF];
            _length += 6;
        }

        private void Ensure(int count)
        {
            if (_buffer.Length - _length < count)
            {
                Grow(count);
            }
        }

        private void Grow(int count)
        {
            int needed = checked(_length + count);
            int size = Math.Max(needed, checked(_buffer.Length * 2));
            Array.Resize(ref _buffer, size);
        }

        /// <summary>Decodes the written bytes (always valid UTF-8) and appends them to <paramref name="builder"/>.</summary>
        public void AppendTo(StringBuilder builder)
        {
            ReadOnlySpan<byte> bytes = WrittenSpan;
            char[] chars = RentChars(bytes.Length);
            int count = Encoding.UTF8.GetChars(bytes, chars);
            builder.Append(chars, 0, count);
        }
    }
}
