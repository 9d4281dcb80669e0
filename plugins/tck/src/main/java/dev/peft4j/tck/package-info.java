/**
 * The plugin test kit: the contract every method keeps ({@link dev.peft4j.tck.MethodContract}), as a JUnit 5 class
 * a plugin's test extends, run through the runtime's own discovery, validation, model, training loop and adapter
 * files on a tiny model ({@link dev.peft4j.tck.KitModel}).
 */
package dev.peft4j.tck;
