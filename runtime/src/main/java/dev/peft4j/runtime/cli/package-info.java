/**
 * The {@code peft4j} command line (picocli): one class per command, each a thin layer over the library API, with
 * errors printed as messages (file, line, key and what to do) and exit codes, never a stack trace alone.
 */
package dev.peft4j.runtime.cli;
