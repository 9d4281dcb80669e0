package dev.peft4j.api.model;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import ai.djl.ndarray.NDArray;
import org.apiguardian.api.API;

/** Something that maps {@code [..., in]} to {@code [..., out]}: a linear layer or a wrapper of one. */
@API(status = EXPERIMENTAL, since = "0.1")
public interface LinearLayer {

  int inFeatures();

  int outFeatures();

  NDArray forward(NDArray input);
}
