// Types of the Dockerfile front end: positions, diagnostics, typed
// instructions and the build plan (stages). Values in instructions are kept
// as written (quotes, escapes and $VARs untouched) exactly like Docker's own
// parser keeps them; `expandStage` (evaluate.ts) gives the expanded values.

/** 1-based line and column. Columns count UTF-16 code units (as editors do). */
export interface Position {
  line: number;
  column: number;
}

/** `end` is exclusive: the position just after the last character. */
export interface Range {
  start: Position;
  end: Position;
}

export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  message: string;
  range: Range;
  /** A short stable name for warnings, e.g. "MaintainerDeprecated". */
  code?: string;
}

export interface Directive {
  /** Lower-cased name: "escape", "syntax" or "check". */
  name: string;
  value: string;
  range: Range;
}

export interface Directives {
  /** The escape character: "\\" (default) or "`". */
  escape: string;
  syntax: string | null;
  check: string | null;
  list: Directive[];
}

/** A command in shell form (one string for the shell) or exec (JSON) form. */
export type Command = { form: "shell"; script: string } | { form: "exec"; args: string[] };

/** A here-document body attached to RUN (or ONBUILD RUN). */
export interface Heredoc {
  /** The delimiter word with any quotes removed, e.g. EOF. */
  name: string;
  /**
   * The body as written: every line with its "\n", without the terminator
   * line. For `<<-` the leading tabs are still there (see `chomp`): in a
   * compound shell command the shell strips them itself.
   */
  content: string;
  /** `<<-EOF`: leading tabs are stripped from the body lines and terminator. */
  chomp: boolean;
  /** False when any part of the delimiter was quoted (`<<"EOF"`, `<<'EOF'`). */
  expand: boolean;
}

export interface KeyValue {
  key: string;
  value: string;
}

/** A RUN --mount, parsed the way BuildKit parses it. */
export interface Mount {
  type: "bind" | "cache" | "tmpfs" | "secret" | "ssh";
  target: string | null;
  source: string | null;
  from: string | null;
  readonly: boolean;
  /** Cache id (type=cache) or secret/ssh id. */
  id: string | null;
  sharing: "shared" | "private" | "locked" | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  size: string | null;
  required: boolean;
  env: string | null;
  /** The flag value as written, e.g. "type=cache,target=/root/.cache". */
  raw: string;
}

export type CopySource =
  | { kind: "path"; path: string }
  /** ADD only: an http(s) URL. Needs network access at build time. */
  | { kind: "url"; url: string }
  /** ADD only: a git repository (git@, git://, ssh://, *.git URLs). Needs network access. */
  | { kind: "git"; url: string }
  /** `<<EOF` source: content is the body, with tabs already stripped for `<<-`. */
  | { kind: "heredoc"; name: string; content: string; expand: boolean };

interface Base {
  /** Whole instruction, including continuation lines and heredoc bodies. */
  range: Range;
  /** The instruction as one line: continuations joined, comment lines dropped, no heredoc bodies. */
  original: string;
}

export interface FromInstruction extends Base {
  keyword: "FROM";
  /** The base as written: an image reference, "scratch" or a stage name. */
  image: string;
  /** `AS name`, lower-cased as Docker does. */
  stageName: string | null;
  platform: string | null;
}

export interface RunInstruction extends Base {
  keyword: "RUN";
  command: Command;
  heredocs: Heredoc[];
  mounts: Mount[];
  network: string | null;
  security: string | null;
}

export interface CmdInstruction extends Base {
  keyword: "CMD";
  command: Command;
}

export interface EntrypointInstruction extends Base {
  keyword: "ENTRYPOINT";
  command: Command;
}

export interface EnvInstruction extends Base {
  keyword: "ENV";
  pairs: KeyValue[];
}

export interface ArgDefinition {
  name: string;
  /** null: declared without a default (`ARG NAME`). */
  default: string | null;
}

export interface ArgInstruction extends Base {
  keyword: "ARG";
  args: ArgDefinition[];
}

export interface LabelInstruction extends Base {
  keyword: "LABEL";
  pairs: KeyValue[];
}

export interface ExposeInstruction extends Base {
  keyword: "EXPOSE";
  /** As written, e.g. "80", "53/udp", "8000-8010/tcp". Expanded: one "port/proto" each. */
  ports: string[];
}

export interface WorkdirInstruction extends Base {
  keyword: "WORKDIR";
  path: string;
}

export interface UserInstruction extends Base {
  keyword: "USER";
  /** The whole argument, "user[:group]". */
  value: string;
  user: string;
  group: string | null;
}

export interface CopyInstruction extends Base {
  keyword: "COPY";
  sources: CopySource[];
  dest: string;
  from: string | null;
  chown: string | null;
  chmod: string | null;
  link: boolean;
  parents: boolean;
  exclude: string[];
}

export interface AddInstruction extends Base {
  keyword: "ADD";
  sources: CopySource[];
  dest: string;
  chown: string | null;
  chmod: string | null;
  link: boolean;
  keepGitDir: boolean | null;
  checksum: string | null;
  unpack: boolean | null;
  exclude: string[];
}

export interface VolumeInstruction extends Base {
  keyword: "VOLUME";
  paths: string[];
}

export interface ShellInstruction extends Base {
  keyword: "SHELL";
  shell: string[];
}

export interface HealthcheckInstruction extends Base {
  keyword: "HEALTHCHECK";
  /** null for HEALTHCHECK NONE. */
  command: Command | null;
  /** Durations in nanoseconds (as in the image config); null when not given. */
  interval: number | null;
  timeout: number | null;
  startPeriod: number | null;
  startInterval: number | null;
  retries: number | null;
}

export interface StopsignalInstruction extends Base {
  keyword: "STOPSIGNAL";
  signal: string;
}

export interface OnbuildInstruction extends Base {
  keyword: "ONBUILD";
  /** The trigger, parsed; null when it does not parse (Docker only checks it in the child build). */
  trigger: Instruction | null;
  /** What Docker stores in the image config: the trigger text, heredoc bodies appended. */
  expression: string;
}

export interface MaintainerInstruction extends Base {
  keyword: "MAINTAINER";
  name: string;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | EnvInstruction
  | ArgInstruction
  | LabelInstruction
  | ExposeInstruction
  | WorkdirInstruction
  | UserInstruction
  | CopyInstruction
  | AddInstruction
  | VolumeInstruction
  | ShellInstruction
  | HealthcheckInstruction
  | StopsignalInstruction
  | OnbuildInstruction
  | MaintainerInstruction;

export type Keyword = Instruction["keyword"];

export interface ParseResult {
  directives: Directives;
  /** Every instruction that parsed, in file order (ARGs before the first FROM included). */
  instructions: Instruction[];
  diagnostics: Diagnostic[];
}

export type StageBase =
  | { kind: "scratch" }
  | { kind: "image"; ref: string }
  | { kind: "stage"; index: number; name: string };

export interface Stage {
  index: number;
  name: string | null;
  from: FromInstruction;
  /** What FROM names; null when it holds a $VAR (known only after expansion, see expandStage). */
  base: StageBase | null;
  /** The instructions after FROM. */
  instructions: Instruction[];
  /** Earlier stages this one needs (FROM, COPY --from, RUN --mount from=), sorted. */
  dependsOn: number[];
  /** From the FROM line to the end of the stage's last instruction. */
  range: Range;
}

export interface BuildPlan {
  directives: Directives;
  /** ARG instructions before the first FROM. */
  globalArgs: ArgInstruction[];
  stages: Stage[];
  /** Parse and plan diagnostics, sorted by position. */
  diagnostics: Diagnostic[];
}
