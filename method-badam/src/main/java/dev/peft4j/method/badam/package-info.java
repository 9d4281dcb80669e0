/**
 * BAdam: block-coordinate Adam, full-parameter training one block of decoder layers at a time (layer mode) or a
 * random share of every weight (ratio mode), as the {@code badam} package computes it.
 */
package dev.peft4j.method.badam;
