/**
 * The exit codes of the CLIs that talk to the API (dlq, export, tail), said once; each help text names
 * the ones its command uses.
 */
export const EXIT = {
  /** Done: dlq printed what was asked or replayed with nothing still failing, export wrote it all, tail was stopped. */
  ok: 0,
  /** It ran, but the result is incomplete: a dlq replay left letters failing or ended cancelled or failed; an export was cut off. */
  incomplete: 1,
  /** A usage error, no answer from the API, or a refusal (an HTTP error status with its problem). */
  error: 2,
  /** Ctrl-C while dlq watched a replay: the job keeps running on the server (128 + SIGINT). */
  interrupted: 130,
} as const;
