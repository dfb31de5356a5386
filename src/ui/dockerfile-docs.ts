// Short docs for each Dockerfile instruction (hover) and what to offer while
// typing (completion): instructions and their flags. Pure data and functions,
// no Monaco, so they can be unit tested in Node; dockerfile-language.ts joins
// them with dockerfile-language-service (which knows more places but has
// older, shorter instruction docs and few flags) and monaco.ts makes providers.

export interface InstructionDoc {
  keyword: string;
  /** One line: what it does. */
  summary: string;
  /** The forms it takes. */
  syntax: string[];
  /** More detail, a sentence or two. */
  detail: string;
  example: string;
  /** Monaco snippet inserted on completion (${1:placeholder} stops). */
  snippet: string;
  /** Flags with a one-line description. */
  flags?: Record<string, string>;
  deprecated?: boolean;
}

const docs: InstructionDoc[] = [
  {
    keyword: "FROM",
    summary: "Starts a build stage from a base image (or `scratch`, or an earlier stage).",
    syntax: ["FROM [--platform=<platform>] <image>[:<tag>] [AS <name>]"],
    detail: "Every Dockerfile needs at least one FROM. Each FROM begins a new stage; name it with `AS` to copy from it later. In Berth the bundled base image is `busybox`.",
    example: "FROM busybox AS build",
    snippet: "FROM ${1:busybox}",
    flags: { "--platform": "The platform of the base image, e.g. linux/386." },
  },
  {
    keyword: "RUN",
    summary: "Runs a command in a new layer on top of the image so far.",
    syntax: ["RUN <command>          (shell form, runs in /bin/sh -c)", 'RUN ["executable", "arg", ...]   (exec form)'],
    detail: "The files the command changes become a new layer. The result is cached: the step runs again only if it or something before it changed.",
    example: "RUN mkdir -p /app && echo ready > /app/status",
    snippet: "RUN ${1:command}",
    flags: {
      "--mount": "Mounts a cache, bind, tmpfs or secret for this command only.",
      "--network": "Network for the command: default, none or host.",
      "--security": "sandbox (default) or insecure.",
    },
  },
  {
    keyword: "CMD",
    summary: "The default command of a container started from the image.",
    syntax: ['CMD ["executable", "arg", ...]   (exec form, preferred)', 'CMD ["arg", ...]   (default arguments to ENTRYPOINT)', "CMD command arg ...   (shell form)"],
    detail: "Arguments given to `docker run` replace CMD. Only the last CMD in a stage counts.",
    example: 'CMD ["httpd", "-f", "-p", "8080"]',
    snippet: 'CMD ["${1:executable}"]',
  },
  {
    keyword: "LABEL",
    summary: "Adds key=value metadata to the image.",
    syntax: ['LABEL <key>=<value> [<key>=<value> ...]'],
    detail: "Quote values with spaces. Labels are shown by `docker image inspect`.",
    example: 'LABEL org.opencontainers.image.title="hello"',
    snippet: 'LABEL ${1:key}="${2:value}"',
  },
  {
    keyword: "MAINTAINER",
    summary: "Deprecated: sets the author field. Use a LABEL instead.",
    syntax: ["MAINTAINER <name>"],
    detail: 'Write `LABEL org.opencontainers.image.authors="name"` instead.',
    example: 'LABEL org.opencontainers.image.authors="you@example.com"',
    snippet: "MAINTAINER ${1:name}",
    deprecated: true,
  },
  {
    keyword: "EXPOSE",
    summary: "Documents the ports the container listens on.",
    syntax: ["EXPOSE <port>[/<protocol>] ..."],
    detail: "It publishes nothing by itself: `docker run -p` does that. The protocol is tcp unless you write /udp.",
    example: "EXPOSE 8080",
    snippet: "EXPOSE ${1:8080}",
  },
  {
    keyword: "ENV",
    summary: "Sets environment variables for later steps and for the container.",
    syntax: ["ENV <key>=<value> [<key>=<value> ...]"],
    detail: "Values persist in the image. For values only needed while building, use ARG.",
    example: "ENV APP_HOME=/app PORT=8080",
    snippet: "ENV ${1:NAME}=${2:value}",
  },
  {
    keyword: "ADD",
    summary: "Copies files, URLs or git repositories into the image; unpacks local tar archives.",
    syntax: ["ADD [--chown=<user>:<group>] [--chmod=<perms>] <src>... <dest>", 'ADD ["<src>", ... "<dest>"]'],
    detail: "Prefer COPY for plain files: ADD also fetches URLs (which needs network access) and extracts local archives.",
    example: "ADD rootfs.tar /",
    snippet: "ADD ${1:src} ${2:dest}",
    flags: {
      "--chown": "Owner of the copied files, user[:group].",
      "--chmod": "Permission bits of the copied files, e.g. 755.",
      "--checksum": "Expected sha256 of a URL source.",
      "--keep-git-dir": "Keep the .git folder of a git source.",
      "--link": "Copy into an independent layer.",
      "--exclude": "Leave out paths matching a pattern.",
    },
  },
  {
    keyword: "COPY",
    summary: "Copies files from the build context (or another stage) into the image.",
    syntax: ["COPY [--from=<stage>] [--chown=<user>:<group>] [--chmod=<perms>] <src>... <dest>", 'COPY ["<src>", ... "<dest>"]'],
    detail: "Sources are relative to the build context (the workspace). A dest ending in / is a folder. Copy only what a step needs, early, to keep the cache useful.",
    example: "COPY --from=build /out/app /usr/local/bin/app",
    snippet: "COPY ${1:src} ${2:dest}",
    flags: {
      "--from": "Copy from a build stage (by name or index) or an image instead of the context.",
      "--chown": "Owner of the copied files, user[:group].",
      "--chmod": "Permission bits of the copied files, e.g. 755.",
      "--link": "Copy into an independent layer.",
      "--parents": "Keep the parent folders of the sources.",
      "--exclude": "Leave out paths matching a pattern.",
    },
  },
  {
    keyword: "ENTRYPOINT",
    summary: "The executable a container runs; CMD gives its default arguments.",
    syntax: ['ENTRYPOINT ["executable", "arg", ...]   (exec form, preferred)', "ENTRYPOINT command arg ...   (shell form)"],
    detail: "With the exec form, `docker run IMAGE args` appends args to the entrypoint. Only the last ENTRYPOINT counts.",
    example: 'ENTRYPOINT ["/app/serve.sh"]',
    snippet: 'ENTRYPOINT ["${1:executable}"]',
  },
  {
    keyword: "VOLUME",
    summary: "Marks a path whose data lives outside the container's layers.",
    syntax: ['VOLUME ["/data"]', "VOLUME /data /other"],
    detail: "`docker run` mounts a new anonymous volume there unless you pass `-v name:/data`. A named volume outlives the container.",
    example: "VOLUME /data",
    snippet: "VOLUME ${1:/data}",
  },
  {
    keyword: "USER",
    summary: "Sets the user (and group) for later RUN, CMD and ENTRYPOINT.",
    syntax: ["USER <user>[:<group>]", "USER <uid>[:<gid>]"],
    detail: "The user must exist in the image, or be given as a number.",
    example: "USER 1000:1000",
    snippet: "USER ${1:user}",
  },
  {
    keyword: "WORKDIR",
    summary: "Sets the working directory for later steps and the container; creates it if needed.",
    syntax: ["WORKDIR <path>"],
    detail: "A relative path is taken from the previous WORKDIR.",
    example: "WORKDIR /app",
    snippet: "WORKDIR ${1:/app}",
  },
  {
    keyword: "ARG",
    summary: "Declares a build argument, set with `docker build --build-arg`.",
    syntax: ["ARG <name>[=<default>]"],
    detail: "Only seen while building (not in the image). An ARG before the first FROM can be used in FROM lines; declare it again inside a stage to use it there.",
    example: "ARG VERSION=1.0",
    snippet: "ARG ${1:NAME}",
  },
  {
    keyword: "ONBUILD",
    summary: "Adds an instruction that runs when this image is used as a base.",
    syntax: ["ONBUILD <INSTRUCTION>"],
    detail: "The trigger runs in the child build right after its FROM. ONBUILD cannot hold FROM, MAINTAINER or another ONBUILD.",
    example: "ONBUILD COPY . /app",
    snippet: "ONBUILD ${1:INSTRUCTION}",
  },
  {
    keyword: "STOPSIGNAL",
    summary: "The signal `docker stop` sends to the container's process.",
    syntax: ["STOPSIGNAL <signal>"],
    detail: "A name like SIGTERM or SIGINT, or a number. The default is SIGTERM.",
    example: "STOPSIGNAL SIGINT",
    snippet: "STOPSIGNAL ${1:SIGTERM}",
  },
  {
    keyword: "HEALTHCHECK",
    summary: "Tells how to check that the container still works.",
    syntax: ["HEALTHCHECK [--interval=..] [--timeout=..] [--retries=..] CMD <command>", "HEALTHCHECK NONE"],
    detail: "The command exits 0 when healthy and 1 when not. NONE turns off a check inherited from the base image.",
    example: "HEALTHCHECK --interval=30s CMD wget -q -O /dev/null http://localhost:8080/ || exit 1",
    snippet: "HEALTHCHECK CMD ${1:command}",
    flags: {
      "--interval": "Time between checks (default 30s).",
      "--timeout": "Time before a check counts as failed (default 30s).",
      "--start-period": "Start-up time during which failures do not count.",
      "--start-interval": "Time between checks during the start period.",
      "--retries": "Failures in a row before the container is unhealthy (default 3).",
    },
  },
  {
    keyword: "SHELL",
    summary: "Changes the shell used by the shell form of RUN, CMD and ENTRYPOINT.",
    syntax: ['SHELL ["executable", "parameters"]'],
    detail: 'The default on Linux is ["/bin/sh", "-c"]. It must be written in JSON form.',
    example: 'SHELL ["/bin/sh", "-ec"]',
    snippet: 'SHELL ["${1:/bin/sh}", "${2:-c}"]',
  },
];

export const INSTRUCTION_DOCS: ReadonlyMap<string, InstructionDoc> = new Map(docs.map((d) => [d.keyword, d]));

/** Markdown for a hover over an instruction keyword. */
export function instructionMarkdown(doc: InstructionDoc): string {
  const lines = [
    `**${doc.keyword}**${doc.deprecated ? " _(deprecated)_" : ""} — ${doc.summary}`,
    "",
    "```dockerfile",
    ...doc.syntax,
    "```",
    doc.detail,
  ];
  if (doc.flags) {
    lines.push("", ...Object.entries(doc.flags).map(([f, d]) => `- \`${f}\`: ${d}`));
  }
  lines.push("", "Example:", "```dockerfile", doc.example, "```");
  lines.push("", `[Dockerfile reference](${referenceUrl(doc.keyword)})`);
  return lines.join("\n");
}

/** The instruction's section of Docker's Dockerfile reference. */
export function referenceUrl(keyword: string): string {
  return `https://docs.docker.com/reference/dockerfile/#${keyword.toLowerCase()}`;
}

export interface WordAt {
  word: string;
  /** 1-based start and end (exclusive) columns. */
  start: number;
  end: number;
}

/** The instruction keyword under `column` (1-based) in `line`, if the word there is one. */
export function keywordAt(line: string, column: number): WordAt | null {
  // The first word on the line, or the word after ONBUILD.
  const m = /^(\s*)([A-Za-z]+)(\s+([A-Za-z]+))?/.exec(line);
  if (!m) return null;
  const candidates: WordAt[] = [{ word: m[2], start: m[1].length + 1, end: m[1].length + 1 + m[2].length }];
  if (m[2].toUpperCase() === "ONBUILD" && m[4]) {
    const start = m[0].length - m[4].length + 1;
    candidates.push({ word: m[4], start, end: start + m[4].length });
  }
  for (const c of candidates) {
    if (column >= c.start && column <= c.end && INSTRUCTION_DOCS.has(c.word.toUpperCase())) return c;
  }
  return null;
}

export type CompletionContext =
  | { kind: "instruction"; prefix: string; start: number; afterOnbuild: boolean }
  | { kind: "flag"; keyword: string; prefix: string; start: number }
  | null;

/**
 * What to complete at `column` (1-based, the cursor) in `line`, knowing whether
 * the previous line ended with a continuation (then it is not an instruction).
 */
export function completionContext(line: string, column: number, continued = false): CompletionContext {
  const before = line.slice(0, column - 1);
  if (/^\s*#/.test(before)) return null;
  if (!continued) {
    const inst = /^(\s*)([A-Za-z]*)$/.exec(before);
    if (inst) return { kind: "instruction", prefix: inst[2], start: inst[1].length + 1, afterOnbuild: false };
    const onb = /^(\s*ONBUILD\s+)([A-Za-z]*)$/i.exec(before);
    if (onb) return { kind: "instruction", prefix: onb[2], start: onb[1].length + 1, afterOnbuild: true };
  }
  const flag = /^\s*(?:ONBUILD\s+)?([A-Za-z]+)\s+(?:--[A-Za-z-]+(?:=\S*)?\s+)*(--?[A-Za-z-]*)$/i.exec(before);
  if (!continued && flag && INSTRUCTION_DOCS.get(flag[1].toUpperCase())?.flags) {
    return { kind: "flag", keyword: flag[1].toUpperCase(), prefix: flag[2], start: before.length - flag[2].length + 1 };
  }
  return null;
}

/** Instructions not allowed after ONBUILD. */
export const NOT_AFTER_ONBUILD = new Set(["FROM", "MAINTAINER", "ONBUILD"]);

/** Does the text of this line (without its newline) continue on the next one? */
export function endsWithContinuation(line: string, escape = "\\"): boolean {
  if (/^\s*#/.test(line)) return false;
  return line.trimEnd().endsWith(escape);
}

/** The escape character of a Dockerfile: `\` unless an `# escape=` directive before anything else says otherwise. */
export function escapeOf(text: string): string {
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*#\s*([a-zA-Z]+)\s*=\s*(\S*)\s*$/.exec(line);
    if (!m) break;
    if (m[1].toLowerCase() === "escape" && (m[2] === "`" || m[2] === "\\")) return m[2];
  }
  return "\\";
}

/**
 * The instruction keyword (upper case) that line `index` (0-based) of `lines`
 * belongs to: its own first word, or that of the line an instruction
 * continued from (over comment and empty lines, as Docker reads them). The
 * word after ONBUILD counts. Null in a comment or before any instruction.
 */
export function instructionOfLine(lines: readonly string[], index: number, escape = "\\"): string | null {
  if (/^\s*#/.test(lines[index] ?? "")) return null;
  let start = index;
  for (let j = index - 1; j >= 0; j--) {
    const line = lines[j]!;
    if (/^\s*(#|$)/.test(line)) continue;
    if (!endsWithContinuation(line, escape)) break;
    start = j;
  }
  const m = /^\s*([A-Za-z]+)(?:\s+([A-Za-z]+))?/.exec(lines[start] ?? "");
  if (!m) return null;
  const word = m[1].toUpperCase();
  return word === "ONBUILD" && m[2] ? m[2].toUpperCase() : word;
}
