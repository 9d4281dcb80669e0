/**
 * The linear algebra methods ask the runtime for ({@link dev.peft4j.api.MethodContext}): SVD and QR in float64
 * with EJML, where libtorch's through DJL are missing or slow.
 */
package dev.peft4j.runtime.linalg;
