/**
 * Rules between methods as data: a {@link dev.peft4j.api.rules.Rule} is a {@link
 * dev.peft4j.api.rules.Condition} over the chosen methods, their settings and facts of the run, with a severity and the
 * message to show when it holds; the runtime checks every method's rules together and reports each broken one with
 * where its settings came from.
 */
package dev.peft4j.api.rules;
