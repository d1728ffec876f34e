package org.mmgpt.engine.chat;

/**
 * Rewrites a Jinja template so that Jinjava renders it the way Hugging Face's Jinja2 environment
 * does. Two things differ between the engines and both are settled here, at the source level,
 * before Jinjava sees the template:
 *
 * <ul>
 *   <li>Whitespace. HF renders with {@code trim_blocks=True, lstrip_blocks=True} and Jinja2's
 *       default {@code keep_trailing_newline=False}. Jinjava's own trimming differs in cases real
 *       templates hit (it drops the newline after {@code {{ x }}} inside a for loop, strips the
 *       spaces of {@code "Hello {% if %}"}, ignores {@code {%+}}). So the rules of Jinja2's lexer
 *       are applied here to the literal text, the {@code -}/{@code +} markers are removed, and
 *       Jinjava runs with its own trimming off.
 *   <li>Expressions, where Jinjava's parser reads Jinja differently. String literals follow Python's
 *       escapes ({@code '\x41'}, unicode escapes) that Jinjava rejects: each literal is decoded and
 *       written back with only the escapes Jinjava knows. Slices with a step ({@code messages[::-1]},
 *       in Qwen3's template) do not parse: they become a call to {@link PythonMethods#SLICE}.
 *       Keyword arguments get parentheses ({@code namespace(i=n - 1)} would be {@code (i=n) - 1}).
 *       And a "}}" that closes nested dicts gets a space, or Jinjava would end the tag there.
 * </ul>
 */
final class JinjaSource {
    private JinjaSource() {}

    static String normalise(String source) {
        // Jinja2 treats \r\n, \r and \n alike and drops one trailing newline of the template.
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) {
            s = s.substring(0, s.length() - 1);
        }
        return new JinjaSource.Lexer(s).run();
    }

    private static final class Lexer {
        private final String s;
        private final StringBuilder out = new StringBuilder();
        private int pos;
        // Jinja2's line_starting: whether the last token ended a line (so lstrip_blocks may strip
        // the indentation that opens the next text, even without a newline inside that text).
        private boolean lineStarting = true;

        Lexer(String s) {
            this.s = s;
        }

        String run() {
            while (pos < s.length()) {
                int open = nextOpening(pos);
                if (open < 0) {
                    out.append(s, pos, s.length());
                    break;
                }
                char kind = s.charAt(open + 1);
                int p = open + 2;
                char sign = p < s.length() && (s.charAt(p) == '-' || s.charAt(p) == '+') ? s.charAt(p) : 0;
                out.append(stripBefore(s.substring(pos, open), kind, sign));
                if (sign != 0) {
                    p++;
                }
                if (kind == '#') {
                    comment(p, open);
                } else if (kind == '%' && isRaw(p)) {
                    raw(p, open);
                } else {
                    tag(kind, p, open);
                }
            }
            return out.toString();
        }

        private int nextOpening(int from) {
            for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
                char c = s.charAt(i + 1);
                if (c == '{' || c == '%' || c == '#') {
                    return i;
                }
            }
            return -1;
        }

        /** The text before a tag, after the '-' marker or lstrip_blocks had their say. */
        private String stripBefore(String text, char kind, char sign) {
            if (sign == '-') {
                return rstrip(text);
            }
            if (sign != '+' && kind != '{') {
                int lineStart = text.lastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && lineStart < text.length()
                        && isBlank(text, lineStart)) {
                    return text.substring(0, lineStart);
                }
            }
            return text;
        }

        private void comment(int p, int open) {
            int close = s.indexOf("#}", p);
            if (close < 0) {
                throw syntax("missing end of comment tag", open);
            }
            char sign = close - 1 >= p && (s.charAt(close - 1) == '-' || s.charAt(close - 1) == '+')
                    ? s.charAt(close - 1) : 0;
            afterTag(close + 2, sign, true);
        }

        private boolean isRaw(int p) {
            int i = skipSpace(p);
            if (!s.startsWith("raw", i)) {
                return false;
            }
            i = skipSpace(i + 3);
            return s.startsWith("%}", i) || s.startsWith("-%}", i);
        }

        /** {% raw %}: the content is text; Jinja2 applies no trim_blocks after the opening tag. */
        private void raw(int p, int open) {
            int i = skipSpace(skipSpace(p) + 3);
            boolean strip = s.charAt(i) == '-';
            pos = i + (strip ? 3 : 2);
            if (strip) {
                pos = skipSpace(pos);
            }
            lineStarting = pos > 0 && s.charAt(pos - 1) == '\n';
            int endOpen = pos;
            while (true) {
                endOpen = s.indexOf("{%", endOpen);
                if (endOpen < 0) {
                    throw syntax("missing end of raw directive", open);
                }
                int q = endOpen + 2;
                char sign = q < s.length() && (s.charAt(q) == '-' || s.charAt(q) == '+') ? s.charAt(q) : 0;
                int k = skipSpace(sign != 0 ? q + 1 : q);
                if (s.startsWith("endraw", k)) {
                    int e = skipSpace(k + 6);
                    char endSign = s.charAt(e) == '-' || s.charAt(e) == '+' ? s.charAt(e) : 0;
                    if (s.startsWith("%}", endSign != 0 ? e + 1 : e)) {
                        out.append("{% raw %}")
                                .append(stripBefore(s.substring(pos, endOpen), '%', sign))
                                .append("{% endraw %}");
                        afterTag((endSign != 0 ? e + 1 : e) + 2, endSign, true);
                        return;
                    }
                }
                endOpen = q;
            }
        }

        /**
         * A {{ expression }} or a {% statement %}, copied with three rewrites: string literals (see
         * above), slices with a step, and keyword arguments put in parentheses ({@code
         * namespace(i=n - 1)}: Jinjava would read {@code (i=n) - 1}).
         */
        private void tag(char kind, int p, int open) {
            String close = kind == '{' ? "}}" : "%}";
            boolean macro = kind == '%' && s.startsWith("macro", skipSpace(p));
            StringBuilder body = new StringBuilder();
            // Open brackets: {char, start in body, top-level colons, keyword argument open}.
            java.util.ArrayDeque<int[]> brackets = new java.util.ArrayDeque<>();
            int i = p;
            while (true) {
                if (i >= s.length()) {
                    throw syntax("missing end of tag " + (kind == '{' ? "'}}'" : "'%}'"), open);
                }
                char c = s.charAt(i);
                if (brackets.isEmpty()) {
                    if (s.startsWith(close, i)) {
                        emitTag(kind, body);
                        afterTag(i + 2, (char) 0, kind == '%');
                        return;
                    }
                    if ((c == '-' || (c == '+' && kind == '%')) && s.startsWith(close, i + 1)) {
                        emitTag(kind, body);
                        afterTag(i + 3, c, kind == '%');
                        return;
                    }
                }
                int[] top = brackets.peek();
                if (c == '\'' || c == '"') {
                    int end = stringEnd(i, open);
                    body.append(javaLiteral(decodePython(s.substring(i + 1, end))));
                    i = end + 1;
                    continue;
                }
                if (c == '(' || c == '[' || c == '{') {
                    brackets.push(new int[] {c, body.length(), 0, 0});
                } else if (c == ':' && top != null && top[0] == '[') {
                    top[2]++;
                } else if (c == '=' && !macro && top != null && top[0] == '(' && top[3] == 0
                        && i + 1 < s.length() && s.charAt(i + 1) != '=' && endsWithName(body)) {
                    body.append("=(");
                    top[3] = 1;
                    i++;
                    continue;
                } else if (c == ',' && top != null && top[3] == 1) {
                    body.append(')');
                    top[3] = 0;
                } else if (c == ')' || c == ']' || c == '}') {
                    if (top == null) {
                        throw syntax("unexpected '" + c + "'", i);
                    }
                    brackets.pop();
                    if (top[3] == 1) {
                        body.append(')');
                    }
                    if (c == ']' && top[2] == 2) {
                        body.append(']');
                        String slice = body.substring(top[1]);
                        body.setLength(top[1]);
                        body.append(stepSlice(slice));
                        i++;
                        continue;
                    }
                    if (c == '}' && body.length() > 0 && body.charAt(body.length() - 1) == '}') {
                        body.append(' '); // "}}" would end the expression in Jinjava's scanner
                    }
                }
                body.append(c);
                i++;
            }
        }

        private static boolean endsWithName(StringBuilder body) {
            int j = body.length() - 1;
            while (j >= 0 && body.charAt(j) == ' ') {
                j--;
            }
            return j >= 0 && (Character.isLetterOrDigit(body.charAt(j)) || body.charAt(j) == '_');
        }

        private void emitTag(char kind, StringBuilder body) {
            boolean brace = body.length() > 0 && body.charAt(body.length() - 1) == '}';
            out.append(kind == '{' ? "{{" : "{%").append(body).append(brace ? " " : "")
                    .append(kind == '{' ? "}}" : "%}");
        }

        /**
         * After a tag: '-' eats all following whitespace; '+' keeps it; otherwise trim_blocks eats one
         * newline after a statement or comment (never after an expression).
         */
        private void afterTag(int end, char sign, boolean block) {
            int next = end;
            if (sign == '-') {
                next = skipSpace(end);
            } else if (sign != '+' && block && next < s.length() && s.charAt(next) == '\n') {
                next++;
            }
            char last = next > end ? s.charAt(next - 1) : s.charAt(end - 1);
            lineStarting = last == '\n';
            pos = next;
        }

        private int stringEnd(int start, int open) {
            char quote = s.charAt(start);
            for (int i = start + 1; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    return i;
                }
            }
            throw syntax("unterminated string", open);
        }

        private int skipSpace(int i) {
            while (i < s.length() && isSpace(s.charAt(i))) {
                i++;
            }
            return i;
        }

        private IllegalArgumentException syntax(String what, int at) {
            int line = 1;
            for (int i = 0; i < at && i < s.length(); i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                }
            }
            return new IllegalArgumentException("chat template syntax error at line " + line + ": " + what);
        }
    }

    /** "[a:b:c]" → "." + SLICE + "(a, b, c)", with empty parts as none. */
    private static String stepSlice(String bracketed) {
        String inner = bracketed.substring(1, bracketed.length() - 1);
        // The two top-level colons: the caller counted them outside nested brackets and strings,
        // so the first two colons at depth 0 of this text are the ones.
        int depth = 0;
        int first = -1;
        int second = -1;
        boolean inQuote = false;
        char quote = 0;
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (inQuote) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    inQuote = false;
                }
            } else if (c == '\'' || c == '"') {
                inQuote = true;
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ':' && depth == 0) {
                if (first < 0) {
                    first = i;
                } else if (second < 0) {
                    second = i;
                }
            }
        }
        return "." + PythonMethods.SLICE + "(" + orNone(inner.substring(0, first)) + ", "
                + orNone(inner.substring(first + 1, second)) + ", " + orNone(inner.substring(second + 1)) + ")";
    }

    private static String orNone(String part) {
        return part.isBlank() ? "none" : part.strip();
    }

    /** Python's string escapes, as Jinja2 applies them to a literal (unicode-escape). */
    static String decodePython(String raw) {
        StringBuilder b = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '\\' || i + 1 >= raw.length()) {
                b.append(c);
                continue;
            }
            char e = raw.charAt(++i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case '\\' -> b.append('\\');
                case '\'' -> b.append('\'');
                case '"' -> b.append('"');
                case 'a' -> b.append('\u0007');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'v' -> b.append('\u000b');
                case '\n' -> { } // a backslash-newline continues the line
                case 'x', 'u', 'U' -> {
                    int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + 1 + len > raw.length()) {
                        throw new IllegalArgumentException("chat template: truncated \\" + e + " escape in a string");
                    }
                    int code = Integer.parseInt(raw.substring(i + 1, i + 1 + len), 16);
                    b.appendCodePoint(code);
                    i += len;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int end = i;
                        while (end < raw.length() && end < i + 3 && raw.charAt(end) >= '0' && raw.charAt(end) <= '7') {
                            end++;
                        }
                        b.append((char) Integer.parseInt(raw.substring(i, end), 8));
                        i = end - 1;
                    } else {
                        b.append('\\').append(e); // Python keeps unknown escapes as they are
                    }
                }
            }
        }
        return b.toString();
    }

    /** A literal Jinjava reads back as exactly {@code value}: only the quote and the backslash escaped. */
    static String javaLiteral(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    private static boolean isBlank(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            if (!isSpace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static String rstrip(String text) {
        int end = text.length();
        while (end > 0 && isSpace(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }
}
