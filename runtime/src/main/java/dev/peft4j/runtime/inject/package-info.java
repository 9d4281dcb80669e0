/**
 * The Guice wiring of the runtime: the discovered methods and the services they are given, bound in one module.
 */
package dev.peft4j.runtime.inject;
