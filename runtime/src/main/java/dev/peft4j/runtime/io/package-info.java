/**
 * Files the runtime writes and reads besides models: adapters in PEFT's layout ({@link
 * dev.peft4j.runtime.io.AdapterFiles}), folders written atomically ({@link dev.peft4j.runtime.io.AtomicFolders}) and
 * checksums that tell a damaged file ({@link dev.peft4j.runtime.io.Checksums}).
 */
package dev.peft4j.runtime.io;
