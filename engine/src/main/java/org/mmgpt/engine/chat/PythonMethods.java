package org.mmgpt.engine.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python methods that chat templates call on strings and dicts, with Python's semantics.
 * Jinja2 evaluates {@code content.split('</think>')[-1].lstrip('\n')} on Python objects; Jinjava
 * sees a {@link String} and would call Java's methods ({@code split} takes a regex there, and
 * {@code startswith} does not exist). This resolver answers first for the names below and leaves
 * everything else to Jinjava.
 */
final class PythonMethods extends ELResolver {
    /** The method that {@link JinjaSource} writes for {@code x[start:stop:step]}. */
    static final String SLICE = "py_slice__";

    private static final Set<String> STRING_METHODS = Set.of(
            "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit", "splitlines",
            "upper", "lower", "title", "capitalize", "replace", "find", "rfind", "count", "join",
            "isdigit", "isalpha", "isspace", "isalnum", "isupper", "islower", SLICE);

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        String name = String.valueOf(method);
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String s && STRING_METHODS.contains(name)) {
            result = string(s, name, args);
        } else if (base instanceof List<?> list && name.equals(SLICE)) {
            result = slice(list, args);
        } else if (base instanceof Map<?, ?> map && name.equals("get") && args.length == 2) {
            result = map.containsKey(args[0]) ? map.get(args[0]) : args[1];
        } else if (base instanceof Map<?, ?> map && name.equals("keys") && args.length == 0) {
            result = new ArrayList<>(map.keySet());
        } else {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    /** {@code 'abc'[-1]}: Jinjava indexes lists but not strings (the index arrives as text). */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (base instanceof String s && property != null && String.valueOf(property).matches("-?\\d+")) {
            int i = Integer.parseInt(String.valueOf(property));
            if (i < 0) {
                i += s.length();
            }
            context.setPropertyResolved(true);
            return i >= 0 && i < s.length() ? String.valueOf(s.charAt(i)) : null;
        }
        return null;
    }

    private static Object string(String s, String name, Object[] a) {
        return switch (name) {
            case "strip" -> rstrip(lstrip(s, arg(a, 0)), arg(a, 0));
            case "lstrip" -> lstrip(s, arg(a, 0));
            case "rstrip" -> rstrip(s, arg(a, 0));
            case "startswith" -> affixes(a[0]).stream().anyMatch(s::startsWith);
            case "endswith" -> affixes(a[0]).stream().anyMatch(s::endsWith);
            case "split" -> split(s, arg(a, 0), a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "rsplit" -> rsplit(s, arg(a, 0), a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "splitlines" -> new ArrayList<>(s.lines().toList());
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace" -> replace(s, str(a[0]), str(a[1]), a.length > 2 ? ((Number) a[2]).intValue() : -1);
            case "find" -> (long) s.indexOf(str(a[0]));
            case "rfind" -> (long) s.lastIndexOf(str(a[0]));
            case "count" -> count(s, str(a[0]));
            case "join" -> join(s, a[0]);
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(c -> JinjaSource.isSpace((char) c));
            case "isupper" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT));
            case "islower" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT));
            case SLICE -> {
                List<Object> chars = new ArrayList<>();
                s.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
                StringBuilder b = new StringBuilder();
                slice(chars, a).forEach(b::append);
                yield b.toString();
            }
            default -> throw new IllegalStateException(name);
        };
    }

    private static String arg(Object[] a, int i) {
        return a.length > i && a[i] != null ? str(a[i]) : null;
    }

    private static String str(Object o) {
        return String.valueOf(o);
    }

    private static List<String> affixes(Object prefix) {
        if (prefix instanceof Collection<?> c) {
            return c.stream().map(String::valueOf).toList();
        }
        return List.of(str(prefix));
    }

    private static boolean strips(char c, String chars) {
        return chars == null ? JinjaSource.isSpace(c) : chars.indexOf(c) >= 0;
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && strips(s.charAt(i - 1), chars)) {
            i--;
        }
        return s.substring(0, i);
    }

    /** str.split: a literal separator, or runs of whitespace with empty pieces dropped when none. */
    private static List<Object> split(String s, String sep, int maxSplit) {
        List<Object> parts = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && JinjaSource.isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= s.length()) {
                    return parts;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(s.substring(i));
                    return parts;
                }
                int j = i;
                while (j < s.length() && !JinjaSource.isSpace(s.charAt(j))) {
                    j++;
                }
                parts.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int from = 0;
        for (int at = s.indexOf(sep); at >= 0 && (maxSplit < 0 || parts.size() < maxSplit); at = s.indexOf(sep, from)) {
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static List<Object> rsplit(String s, String sep, int maxSplit) {
        if (sep == null || maxSplit < 0) {
            return split(s, sep, maxSplit);
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        List<Object> parts = new ArrayList<>();
        int to = s.length();
        for (int at = s.lastIndexOf(sep, to - sep.length()); at >= 0 && parts.size() < maxSplit;
                at = s.lastIndexOf(sep, to - sep.length())) {
            parts.add(0, s.substring(at + sep.length(), to));
            to = at;
        }
        parts.add(0, s.substring(0, to));
        return parts;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return b.toString();
    }

    private static String replace(String s, String old, String replacement, int count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder b = new StringBuilder();
        int from = 0;
        for (int n = 0; n < count; n++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            b.append(s, from, at).append(replacement);
            from = at + old.length();
            if (old.isEmpty()) {
                if (from < s.length()) {
                    b.append(s.charAt(from));
                }
                from++;
            }
        }
        return from <= s.length() ? b.append(s.substring(from)).toString() : b.toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String sep, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> it) {
            it.forEach(o -> parts.add(str(o)));
        } else {
            throw new IllegalArgumentException("join() needs a list");
        }
        return String.join(sep, parts);
    }

    /** Python's seq[start:stop:step], negative indices and a negative step included. */
    static List<Object> slice(List<?> list, Object[] a) {
        int n = list.size();
        Long step = a.length > 2 && a[2] != null ? ((Number) a[2]).longValue() : 1L;
        if (step == 0) {
            throw new IllegalArgumentException("slice step cannot be zero");
        }
        long lower = step < 0 ? -1 : 0;
        long upper = step < 0 ? n - 1 : n;
        long start = a.length > 0 && a[0] != null ? bound(((Number) a[0]).longValue(), n, lower, upper)
                : step < 0 ? upper : lower;
        long stop = a.length > 1 && a[1] != null ? bound(((Number) a[1]).longValue(), n, lower, upper)
                : step < 0 ? lower : upper;
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.add(list.get((int) i));
        }
        return out;
    }

    private static long bound(long i, int n, long lower, long upper) {
        if (i < 0) {
            i += n;
            return Math.max(i, lower);
        }
        return Math.min(i, upper);
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // Templates never write through this resolver.
    }
}
