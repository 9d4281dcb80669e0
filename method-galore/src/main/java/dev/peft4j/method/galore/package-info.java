/**
 * GaLore: gradients projected to a low rank by the top singular vectors of each weight's gradient, Adam in
 * the projected space, as {@code galore-torch} computes it, layer-wise too.
 */
package dev.peft4j.method.galore;
