using System;
using System.Text;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// Renders one event as the bytes of one line (the layout, then the line ending) into the
    /// target's buffer: an <see cref="IUtf8Layout"/> straight to UTF-8, any other layout through one
    /// reused <see cref="StringBuilder"/> encoded in place. Allocates nothing per line in steady state.
    /// </summary>
    internal sealed class LineRenderer
    {
        private readonly Layout _layout;
        private readonly IUtf8Layout? _utf8Layout;
        private readonly Encoding _encoding;
        private readonly byte[] _newLine;
        private readonly StringBuilder _builder = new StringBuilder(256);
        private char[] _chars = new char[256];

        public LineRenderer(Layout layout, Encoding encoding, string newLine)
        {
            _layout = layout;
            _encoding = encoding;
            _utf8Layout = encoding.CodePage == Encoding.UTF8.CodePage ? layout as IUtf8Layout : null;
            _newLine = encoding.GetBytes(newLine);
        }

        public void Render(LogEventInfo logEvent, LineBuffer output)
        {
            if (_utf8Layout != null)
            {
                _utf8Layout.RenderUtf8(logEvent, output);
                output.Write(_newLine);
                return;
            }

            var builder = _builder;
            builder.Clear();
            _layout.Render(logEvent, builder);
            int length = builder.Length;
            var span = output.GetSpan(_encoding.GetMaxByteCount(length) + _newLine.Length);
            ReadOnlySpan<char> chars = default;
            foreach (var chunk in builder.GetChunks())
            {
                if (chunk.Length == length)
                    chars = chunk.Span;     // the usual case: a reused builder holds one chunk
                break;
            }
            if (chars.Length != length)
            {
                if (_chars.Length < length)
                    _chars = new char[Math.Max(length, _chars.Length * 2)];
                builder.CopyTo(0, _chars, 0, length);
                chars = new ReadOnlySpan<char>(_chars, 0, length);
            }
            int written = _encoding.GetBytes(chars, span);
            _newLine.CopyTo(span.Slice(written));
            output.Advance(written + _newLine.Length);
        }
    }
}
