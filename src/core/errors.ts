// Typed errors that survive the worker boundary.
//
// Every error the engine raises is a BerthError with a `kind` (what went wrong,
// for code to branch on) and a message written for people (what and where:
// file, line, flag). `toWire`/`fromWire` turn one into plain data and back, so
// that comlink (structured clone) keeps the kind across the Worker boundary.

export type ErrorKind =
  | "invalid-argument" // bad user input: a flag, a name, a Dockerfile line
  | "not-found" // no such image, container, blob, file
  | "already-exists" // name or ref in use
  | "conflict" // the operation does not fit the current state
  | "digest-mismatch" // content does not hash to what it claims
  | "unauthorized" // registry credentials missing or wrong
  | "unavailable" // a dependency (guest, network) cannot be reached
  | "guest" // the guest reported a failure
  | "asset" // a guest asset is missing or broken
  | "cancelled"
  | "internal";

export interface ErrorDetails {
  /** File the error is about, e.g. "Dockerfile" or "public/guest/bzImage". */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** 1-based column in `file`. */
  column?: number;
  /** A command-line flag, e.g. "--memory". */
  flag?: string;
  [key: string]: unknown;
}

export class BerthError extends Error {
  readonly kind: ErrorKind;
  readonly details: ErrorDetails;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BerthError";
    this.kind = kind;
    this.details = details;
  }

  toWire(): WireError {
    return { __berthError: true, kind: this.kind, message: this.message, details: this.details };
  }
}

export interface WireError {
  __berthError: true;
  kind: ErrorKind;
  message: string;
  details: ErrorDetails;
}

export function isWireError(value: unknown): value is WireError {
  return typeof value === "object" && value !== null && (value as WireError).__berthError === true;
}

export function fromWire(wire: WireError): BerthError {
  return new BerthError(wire.kind, wire.message, wire.details);
}

/** Wraps anything thrown into a BerthError, keeping one that already is. */
export function toBerthError(err: unknown, kind: ErrorKind = "internal"): BerthError {
  if (err instanceof BerthError) return err;
  if (isWireError(err)) return fromWire(err);
  const message = err instanceof Error ? err.message : String(err);
  return new BerthError(kind, message, {}, { cause: err });
}

export function isErrorKind(err: unknown, kind: ErrorKind): boolean {
  return err instanceof BerthError && err.kind === kind;
}
