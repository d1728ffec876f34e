package org.mmgpt.engine.chat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code tojson} filter as Hugging Face defines it for chat templates:
 * {@code json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)}.
 * Python's layout matters because it lands in prompts verbatim: {@code {"a": 1, "b": [1, 2]}} with
 * spaces after ',' and ':' (Jackson and Jinja2's own tojson write it differently).
 */
final class PyJson {
    private final String indent; // null: one line
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;

    PyJson(String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        this.indent = indent;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
    }

    /** json.dumps defaults: separators (', ', ': ') on one line, (',', ': ') with an indent. */
    static PyJson of(Object indent, List<?> separators, boolean sortKeys) {
        String ind = indent == null ? null
                : indent instanceof Number n ? " ".repeat(Math.max(0, n.intValue())) : String.valueOf(indent);
        String item = ind == null ? ", " : ",";
        String key = ": ";
        if (separators != null && separators.size() == 2) {
            item = String.valueOf(separators.get(0));
            key = String.valueOf(separators.get(1));
        }
        return new PyJson(ind, item, key, sortKeys);
    }

    String dumps(Object value) {
        StringBuilder b = new StringBuilder();
        write(b, value, 0);
        return b.toString();
    }

    private void write(StringBuilder b, Object v, int level) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Boolean bool) {
            b.append(bool ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            b.append(pyFloat(((Number) v).doubleValue()));
        } else if (v instanceof Number n) {
            b.append(n instanceof BigDecimal d ? pyFloat(d.doubleValue()) : n.toString());
        } else if (v instanceof Map<?, ?> map) {
            List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
            if (sortKeys) {
                entries.sort((x, y) -> key(x.getKey()).compareTo(key(y.getKey())));
            }
            b.append('{');
            for (int i = 0; i < entries.size(); i++) {
                separate(b, i, level + 1);
                string(b, key(entries.get(i).getKey()));
                b.append(keySeparator);
                write(b, entries.get(i).getValue(), level + 1);
            }
            close(b, '}', entries.isEmpty(), level);
        } else if (v instanceof Iterable<?> it) {
            List<Object> items = new ArrayList<>();
            it.forEach(items::add);
            b.append('[');
            for (int i = 0; i < items.size(); i++) {
                separate(b, i, level + 1);
                write(b, items.get(i), level + 1);
            }
            close(b, ']', items.isEmpty(), level);
        } else if (v instanceof Object[] array) {
            write(b, List.of(array), level);
        } else {
            string(b, v.toString());
        }
    }

    private void separate(StringBuilder b, int i, int level) {
        if (i > 0) {
            b.append(itemSeparator);
        }
        if (indent != null) {
            b.append('\n').append(indent.repeat(level));
        }
    }

    private void close(StringBuilder b, char c, boolean empty, int level) {
        if (indent != null && !empty) {
            b.append('\n').append(indent.repeat(level));
        }
        b.append(c);
    }

    /** Python turns keys into strings: True → "true", None → "null", 1 → "1". */
    private static String key(Object k) {
        if (k == null) {
            return "null";
        }
        if (k instanceof Boolean bool) {
            return bool ? "true" : "false";
        }
        return k instanceof Double d ? pyFloat(d) : k.toString();
    }

    /** ensure_ascii=False: only '"', '\\' and control characters are escaped. */
    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** Python's float repr: 1.0, 0.0001, 1e-05, 1e+16, NaN, Infinity. */
    static String pyFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        BigDecimal x = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        int exponent = x.precision() - x.scale() - 1;
        if (exponent < -4 || exponent >= 16) {
            String digits = x.unscaledValue().abs().toString();
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return (d < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+")
                    + String.format("%02d", Math.abs(exponent));
        }
        String plain = x.toPlainString();
        return plain.contains(".") ? plain : plain + ".0";
    }
}
