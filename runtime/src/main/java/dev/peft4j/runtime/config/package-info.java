/**
 * Reading a run file: HOCON with {@code key=value} and {@code -Dpeft4j.*} overrides over the defaults of every
 * discovered method ({@link dev.peft4j.runtime.config.RunConfigLoader}), the runtime's own settings ({@link
 * dev.peft4j.runtime.config.CoreSettings}) and the refusal of keys nobody reads ({@link
 * dev.peft4j.runtime.config.UnknownKeys}).
 */
package dev.peft4j.runtime.config;
