// Errors the CLI raises itself (as opposed to the daemon's BerthErrors).
//
// docker prints its own errors as they are and exits with a status: 125 for
// flag errors ("unknown flag: --foo\nSee 'docker ps --help'.") and for
// run/create failures, 1 for the rest. An error that came from the engine is
// printed as "Error response from daemon: <message>".

export class CliError extends Error {
  readonly status: number;
  constructor(message: string, status = 1) {
    super(message);
    this.name = "CliError";
    this.status = status;
  }
}

/** A flag or argument the user got wrong: printed with "See 'docker x --help'." by the dispatcher. */
export class UsageError extends CliError {
  constructor(message: string, status = 125) {
    super(message, status);
    this.name = "UsageError";
  }
}

/** Ends a command with a status and nothing more to print (what it had to say is out already). */
export class ExitStatus extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`exit status ${status}`);
    this.name = "ExitStatus";
    this.status = status;
  }
}
