/**
 * Planning a run before anything is loaded: the model's parameters as shapes ({@link
 * dev.peft4j.api.plan.ModelShape}, from {@code config.json} alone) and what a method does to them and
 * to the optimizer ({@link dev.peft4j.api.plan.MethodPlan}), so that {@code peft4j plan} can count
 * trainable parameters and price memory for any method, a third party's included. A method opts in
 * by implementing {@link dev.peft4j.api.MethodFactory#plan}.
 */
@API(status = EXPERIMENTAL, since = "0.2")
package dev.peft4j.api.plan;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import org.apiguardian.api.API;
