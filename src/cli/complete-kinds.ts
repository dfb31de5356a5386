// What a flag value or a positional argument names, for tab completion.

export type CompletionKind =
  | "container" // any container
  | "container-running"
  | "container-stopped"
  | "container-paused"
  | "image"
  | "volume"
  | "network"
  | "file" // a local path: nothing to suggest from the engine
  | "none"
  | readonly string[]; // a fixed set of values
