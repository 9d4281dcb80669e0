/**
 * IA³, a third-party-style plugin built against {@code peft4j-api} alone: learned vectors that scale the
 * outputs of k/v and the inputs of down_proj, in PEFT's adapter layout.
 */
package dev.peft4j.plugins.ia3;
