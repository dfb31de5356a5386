// Public surface of src/cli: the docker command line for the page's
// terminal and for Node (see node.ts for the Node side's CliIO).

export { runDocker, resolveCommand, rootHelpText, allCommands, allGroups, GLOBAL_FLAGS } from "./docker.ts";
export { splitCommandLine, tokenize, quoteWord, type Token, type TokenizeResult } from "./tokenize.ts";
export { complete, type Completion } from "./complete.ts";
export { withCallbackProxy } from "./proxy.ts";
export type { CliIO, CliStdin, LocalStat, BuildContext, Output } from "./io.ts";
export { CliError, UsageError, ExitStatus } from "./errors.ts";
