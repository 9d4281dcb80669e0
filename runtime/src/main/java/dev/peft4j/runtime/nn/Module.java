package dev.peft4j.runtime.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * peft4j's own module tree: named parameters and named children, so that every parameter has its
 * dotted Hugging Face name ({@code model.layers.0.self_attn.q_proj.weight}) and a child can be
 * replaced (an adapter wrapping a linear layer). Modules call their children through {@link
 * #child(String)}, never through fields, so that a replacement takes effect.
 */
public abstract class Module {

  private final Map<String, Parameter> parameters = new LinkedHashMap<>();
  private final Map<String, Module> children = new LinkedHashMap<>();

  protected final Parameter register(String name, Parameter parameter) {
    if (parameters.putIfAbsent(name, parameter) != null) {
      throw new IllegalStateException("parameter " + name + " is registered twice");
    }
    return parameter;
  }

  protected final <M extends Module> M add(String name, M module) {
    if (children.putIfAbsent(name, module) != null) {
      throw new IllegalStateException("module " + name + " is registered twice");
    }
    return module;
  }

  /** The child called {@code name}. */
  public final Module child(String name) {
    Module child = children.get(name);
    if (child == null) {
      throw new NoSuchElementException("no module '" + name + "' in " + getClass().getSimpleName() + "; children: "
          + children.keySet());
    }
    return child;
  }

  /** Puts {@code replacement} in the place of the child called {@code name}. */
  public final void replaceChild(String name, Module replacement) {
    if (!children.containsKey(name)) {
      throw new NoSuchElementException("no module '" + name + "' to replace in " + getClass().getSimpleName());
    }
    children.put(name, replacement);
  }

  public final Map<String, Module> children() {
    return Collections.unmodifiableMap(children);
  }

  /** This module's own parameters (not its children's). */
  public final Map<String, Parameter> ownParameters() {
    return Collections.unmodifiableMap(parameters);
  }

  /** Every parameter below this module by dotted name, own parameters first, then children's in order. */
  public final Map<String, Parameter> namedParameters() {
    Map<String, Parameter> all = new LinkedHashMap<>();
    collect("", all);
    return all;
  }

  /** Every module below this one (itself as ""), by dotted name. */
  public final Map<String, Module> namedModules() {
    Map<String, Module> all = new LinkedHashMap<>();
    collectModules("", all);
    return all;
  }

  private void collect(String prefix, Map<String, Parameter> into) {
    parameters.forEach((name, p) -> into.put(prefix + name, p));
    children.forEach((name, child) -> child.collect(prefix + name + ".", into));
  }

  private void collectModules(String prefix, Map<String, Module> into) {
    into.put(prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1), this);
    children.forEach((name, child) -> child.collectModules(prefix + name + ".", into));
  }
}
