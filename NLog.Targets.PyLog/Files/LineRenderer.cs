using System;
using System.Text;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// Renders one event as the bytes of one line (the layout, then the line ending) into the
    /// target's buffer: an <see cref="IUtf8Layout"/> straight to UTF-8, the common line layouts through
    /// <see cref="CompiledLineLayout"/>, any other layout through one reused <see cref="StringBuilder"/>
    /// encoded in place. Allocates nothing per line in steady state.
    /// </summary>
    internal sealed class LineRenderer
    {
        private readonly Layout _layout;
        private readonly IUtf8Layout? _utf8Layout;
        private readonly CompiledLineLayout? _compiled;
        private readonly Encoding _encoding;
        private readonly byte[] _newLine;
        private readonly StringBuilder _builder = new StringBuilder(256);
        private char[] _chars = new char[256];

        public LineRenderer(Layout layout, Encoding encoding, string newLine)
        {
            _layout = layout;
            _encoding = encoding;
            bool utf8 = encoding.CodePage == Encoding.UTF8.CodePage;
            _utf8Layout = utf8 ? layout as IUtf8Layout : null;
            _compiled = utf8 && _utf8Layout is null ? CompiledLineLayout.TryCompile(layout) : null;
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

            if (_compiled != null)
            {
                _compiled.Render(logEvent, output);
                output.Write(_newLine);
                return;
            }

            var builder = _builder;
            builder.Clear();
            _layout.Render(logEvent, builder);
            Encode(builder, _encoding, output, ref _chars);
            output.Write(_newLine);
        }

        /// <summary>Encodes what <paramref name="builder"/> holds into <paramref name="output"/>, straight from its chunk when it has one.</summary>
        internal static void Encode(StringBuilder builder, Encoding encoding, LineBuffer output, ref char[] scratch)
        {
            int length = builder.Length;
            var span = output.GetSpan(encoding.GetMaxByteCount(length));
            ReadOnlySpan<char> chars = default;
            foreach (var chunk in builder.GetChunks())
            {
                if (chunk.Length == length)
                    chars = chunk.Span;     // the usual case: a reused builder holds one chunk
                break;
            }
            if (chars.Length != length)
            {
                if (scratch.Length < length)
                    scratch = new char[Math.Max(length, scratch.Length * 2)];
                builder.CopyTo(0, scratch, 0, length);
                chars = new ReadOnlySpan<char>(scratch, 0, length);
            }
            output.Advance(encoding.GetBytes(chars, span));
        }
    }
}
