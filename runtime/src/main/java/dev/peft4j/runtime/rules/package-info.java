/**
 * Checking the rules every method declares, and the runtime's own ({@link dev.peft4j.runtime.rules.CoreRules}),
 * against the chosen methods, their settings and facts of the run and machine ({@link
 * dev.peft4j.runtime.rules.RunFacts}).
 */
package dev.peft4j.runtime.rules;
