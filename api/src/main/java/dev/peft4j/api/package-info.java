/**
 * The SPI a method implements, in its own jar: a {@link dev.peft4j.api.MethodProvider} found by {@link
 * java.util.ServiceLoader} hands the runtime a {@link dev.peft4j.api.MethodFactory}, which describes the method ({@link
 * dev.peft4j.api.MethodDescriptor}: its id, its kinds, its rules), reads its settings and creates it. A method is of one
 * or more kinds: an {@link dev.peft4j.api.AdapterMethod} adds weights, a {@link dev.peft4j.api.ParameterSelector}
 * chooses which weights train, an {@link dev.peft4j.api.OptimizerHook} changes how they step. Everything here depends
 * on DJL's api, Typesafe Config, SLF4J and apiguardian only.
 */
package dev.peft4j.api;
