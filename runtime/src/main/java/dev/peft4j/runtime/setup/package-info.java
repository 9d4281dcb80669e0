/**
 * Putting methods on a model: creating them from validated settings and applying them in order ({@link
 * dev.peft4j.runtime.setup.MethodSetup}), the services a method is given ({@link
 * dev.peft4j.runtime.setup.RuntimeMethodContext}), and attaching a saved adapter of any installed method ({@link
 * dev.peft4j.runtime.setup.Adapters}).
 */
package dev.peft4j.runtime.setup;
