package dev.peft4j.runtime.data;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python methods that chat templates call on strings and dicts ({@code content.split('</think>')[-1].lstrip('\n')},
 * {@code message.content.startswith(...)}, {@code tool.items()}), which Jinja2 evaluates as Python and Jinjava, whose
 * values are Java objects, does not know: each with Python's semantics. Placed before Jinjava's own resolver, it
 * answers only these method calls on a {@link String} or {@link Map} and leaves everything else to Jinjava.
 */
final class PythonMethods extends ELResolver {

  static final Set<String> STRING_METHODS = Set.of("startswith", "endswith", "strip", "lstrip", "rstrip", "split",
      "upper", "lower", "title", "capitalize", "replace", "find", "count", "join");
  static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get");

  @Override
  public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (method == null) {
      return null;
    }
    String name = method.toString();
    Object[] args = params == null ? new Object[0] : params;
    Object result;
    if (base instanceof String text && STRING_METHODS.contains(name)) {
      result = string(text, name, args);
    } else if (base instanceof Map<?, ?> map && DICT_METHODS.contains(name)) {
      result = dict(map, name, args);
    } else {
      return null;
    }
    context.setPropertyResolved(true);
    return result;
  }

  private static Object string(String text, String name, Object[] args) {
    return switch (name) {
      case "startswith" -> anyOf(args, 1, prefix -> text.startsWith(prefix));
      case "endswith" -> anyOf(args, 1, suffix -> text.endsWith(suffix));
      case "strip" -> rstrip(lstrip(text, chars(args)), chars(args));
      case "lstrip" -> lstrip(text, chars(args));
      case "rstrip" -> rstrip(text, chars(args));
      case "split" -> split(text, args);
      case "upper" -> text.toUpperCase(java.util.Locale.ROOT);
      case "lower" -> text.toLowerCase(java.util.Locale.ROOT);
      case "title" -> title(text);
      case "capitalize" -> text.isEmpty() ? text
          : text.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + text.substring(1).toLowerCase(java.util.Locale.ROOT);
      case "replace" -> replace(text, args);
      case "find" -> text.indexOf(argument(args, 0, name));
      case "count" -> count(text, argument(args, 0, name));
      case "join" -> join(text, args);
      default -> throw new IllegalStateException(name);
    };
  }

  private static Object dict(Map<?, ?> map, String name, Object[] args) {
    return switch (name) {
      case "items" -> {
        List<List<Object>> items = new ArrayList<>();
        map.forEach((key, value) -> items.add(List.of(key, value)));
        yield items;
      }
      case "keys" -> new ArrayList<>(map.keySet());
      case "values" -> new ArrayList<>(map.values());
      case "get" -> {
        if (args.length == 0) {
          throw new IllegalArgumentException("dict.get() needs a key");
        }
        yield map.containsKey(args[0]) ? map.get(args[0]) : args.length > 1 ? args[1] : null;
      }
      default -> throw new IllegalStateException(name);
    };
  }

  private interface Test {
    boolean test(String value);
  }

  /** {@code str.startswith(x)} takes a string or a tuple (a list here) of strings. */
  private static boolean anyOf(Object[] args, int needed, Test test) {
    if (args.length < needed) {
      throw new IllegalArgumentException("takes " + needed + " argument");
    }
    if (args[0] instanceof List<?> options) {
      return options.stream().anyMatch(option -> test.test(String.valueOf(option)));
    }
    return test.test(String.valueOf(args[0]));
  }

  private static String argument(Object[] args, int index, String method) {
    if (args.length <= index || args[index] == null) {
      throw new IllegalArgumentException("str." + method + "() needs argument " + (index + 1));
    }
    return String.valueOf(args[index]);
  }

  /** The characters {@code strip} removes: the argument's, or Python's whitespace when there is none. */
  private static String chars(Object[] args) {
    return args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
  }

  private static boolean strips(int codePoint, String chars) {
    return chars == null ? isSpace(codePoint) : chars.indexOf(codePoint) >= 0;
  }

  /** Python's {@code str.isspace} for one character. */
  static boolean isSpace(int c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0
        || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f
        || c == 0x3000;
  }

  private static String lstrip(String text, String chars) {
    int i = 0;
    while (i < text.length() && strips(text.codePointAt(i), chars)) {
      i += Character.charCount(text.codePointAt(i));
    }
    return text.substring(i);
  }

  private static String rstrip(String text, String chars) {
    int end = text.length();
    while (end > 0 && strips(text.codePointBefore(end), chars)) {
      end -= Character.charCount(text.codePointBefore(end));
    }
    return text.substring(0, end);
  }

  /** {@code str.split()} (runs of whitespace, no empty pieces) and {@code str.split(sep[, maxsplit])}. */
  private static List<String> split(String text, Object[] args) {
    String separator = chars(args);
    int limit = args.length > 1 && args[1] instanceof Number number ? number.intValue() : -1;
    List<String> pieces = new ArrayList<>();
    if (separator == null) {
      int i = 0;
      while (true) {
        while (i < text.length() && isSpace(text.codePointAt(i))) {
          i += Character.charCount(text.codePointAt(i));
        }
        if (i >= text.length()) {
          return pieces;
        }
        if (limit >= 0 && pieces.size() == limit) {
          pieces.add(rstrip(text.substring(i), null));
          return pieces;
        }
        int start = i;
        while (i < text.length() && !isSpace(text.codePointAt(i))) {
          i += Character.charCount(text.codePointAt(i));
        }
        pieces.add(text.substring(start, i));
      }
    }
    if (separator.isEmpty()) {
      throw new IllegalArgumentException("str.split(): empty separator");
    }
    int from = 0;
    for (int at = text.indexOf(separator); at >= 0 && (limit < 0 || pieces.size() < limit);
        at = text.indexOf(separator, from)) {
      pieces.add(text.substring(from, at));
      from = at + separator.length();
    }
    pieces.add(text.substring(from));
    return pieces;
  }

  private static String title(String text) {
    StringBuilder out = new StringBuilder(text.length());
    boolean previousCased = false;
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      out.appendCodePoint(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
      previousCased = Character.isLetter(c);
      i += Character.charCount(c);
    }
    return out.toString();
  }

  private static String replace(String text, Object[] args) {
    String old = argument(args, 0, "replace");
    String replacement = argument(args, 1, "replace");
    int count = args.length > 2 && args[2] instanceof Number number ? number.intValue() : -1;
    if (count < 0) {
      return text.replace(old, replacement);
    }
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (int done = 0; done < count; done++) {
      int at = old.isEmpty() ? (from <= text.length() ? from : -1) : text.indexOf(old, from);
      if (at < 0) {
        break;
      }
      out.append(text, from, at).append(replacement);
      if (old.isEmpty()) {
        if (at < text.length()) {
          out.append(text.charAt(at));
        }
        from = at + 1;
      } else {
        from = at + old.length();
      }
    }
    return from <= text.length() ? out.append(text.substring(from)).toString() : out.toString();
  }

  private static int count(String text, String part) {
    if (part.isEmpty()) {
      return text.codePointCount(0, text.length()) + 1;
    }
    int n = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
      n++;
    }
    return n;
  }

  private static String join(String separator, Object[] args) {
    if (args.length == 0 || !(args[0] instanceof Iterable<?> items)) {
      throw new IllegalArgumentException("str.join() needs a list");
    }
    List<String> parts = new ArrayList<>();
    items.forEach(item -> parts.add(String.valueOf(item)));
    return String.join(separator, parts);
  }

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {
    // Not a property resolver: Jinjava's own resolver sets values.
  }

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return Collections.emptyIterator();
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }
}
