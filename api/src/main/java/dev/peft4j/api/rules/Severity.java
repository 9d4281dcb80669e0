package dev.peft4j.api.rules;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** Whether a broken rule stops the run or is only reported. */
@API(status = STABLE, since = "0.1")
public enum Severity {
  ERROR,
  WARNING
}
