/**
 * Finding methods: {@link java.util.ServiceLoader} over the classpath and over each plugin jar in a class
 * loader of its own ({@link dev.peft4j.runtime.plugin.PluginDiscovery}); what was found, refused and why ({@link
 * dev.peft4j.runtime.plugin.Discovery}).
 */
package dev.peft4j.runtime.plugin;
