// A subset of Go's text/template, enough for docker's --format and -f:
//
//   {{.Field}} {{.A.B}} {{.}} {{$}} {{$v := .X}} {{$v.Y}}
//   {{json .Config}} {{.Names | upper}} {{index .Labels "k"}} {{.Label "k"}}
//   {{if .X}}..{{else if .Y}}..{{else}}..{{end}} {{range .Mounts}}..{{end}}
//   {{range $k, $v := .Labels}}..{{end}} {{with .X}}..{{end}} {{- trims -}}
//
// Functions: docker's json, join, split, lower, upper, title, pad, truncate,
// println and Go's and, or, not, len, index, print, printf, eq, ne, lt, le,
// gt, ge. Values print as Go prints them: a missing map key as <no value>,
// a slice as [a b], a map as map[k:v].

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/** Marks an object as a Go struct: a missing field is an error instead of <no value>. */
export const STRUCT_NAME = Symbol("berth.template.struct");

export function asStruct<T extends object>(obj: T, typeName: string): T {
  Object.defineProperty(obj, STRUCT_NAME, { value: typeName, enumerable: false });
  return obj;
}

// ---------- lexer ----------

type Tok =
  | { t: "field"; v: string[] } // .A.B  ("." alone: [])
  | { t: "var"; v: string; chain: string[] }
  | { t: "ident"; v: string }
  | { t: "str"; v: string }
  | { t: "num"; v: number }
  | { t: "bool"; v: boolean }
  | { t: "nil" }
  | { t: "|" }
  | { t: "(" }
  | { t: ")" ; chain: string[] }
  | { t: ":=" }
  | { t: "=" }
  | { t: "," };

function lexAction(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const chainAt = (): string[] => {
    const chain: string[] = [];
    while (src[i] === "." && /[A-Za-z_]/.test(src[i + 1] ?? "")) {
      i++;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      chain.push(m[0]);
      i += m[0].length;
    }
    return chain;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === ".") {
      if (/[A-Za-z_]/.test(src[i + 1] ?? "")) toks.push({ t: "field", v: chainAt() });
      else {
        i++;
        toks.push({ t: "field", v: [] });
      }
    } else if (c === "$") {
      i++;
      const m = /^[A-Za-z0-9_]*/.exec(src.slice(i))!;
      i += m[0].length;
      toks.push({ t: "var", v: "$" + m[0], chain: chainAt() });
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      for (; j < src.length && src[j] !== '"'; j++) {
        if (src[j] === "\\") {
          const e = src[++j];
          s += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e === "0" ? "\0" : (e ?? "");
        } else s += src[j];
      }
      if (j >= src.length) throw new TemplateError("unterminated quoted string");
      toks.push({ t: "str", v: s });
      i = j + 1;
    } else if (c === "`") {
      const j = src.indexOf("`", i + 1);
      if (j < 0) throw new TemplateError("unterminated raw quoted string");
      toks.push({ t: "str", v: src.slice(i + 1, j) });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      toks.push({ t: "num", v: Number(m[0]) });
      i += m[0].length;
    } else if (c === "|") {
      toks.push({ t: "|" });
      i++;
    } else if (c === "(") {
      toks.push({ t: "(" });
      i++;
    } else if (c === ")") {
      i++;
      toks.push({ t: ")", chain: chainAt() });
    } else if (c === ":" && src[i + 1] === "=") {
      toks.push({ t: ":=" });
      i += 2;
    } else if (c === "=") {
      toks.push({ t: "=" });
      i++;
    } else if (c === ",") {
      toks.push({ t: "," });
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      i += m[0].length;
      if (m[0] === "true" || m[0] === "false") toks.push({ t: "bool", v: m[0] === "true" });
      else if (m[0] === "nil") toks.push({ t: "nil" });
      else toks.push({ t: "ident", v: m[0] });
    } else {
      throw new TemplateError(`unexpected ${JSON.stringify(c)} in command`);
    }
  }
  return toks;
}

// ---------- parser ----------

type Arg =
  | { k: "field"; chain: string[] }
  | { k: "var"; name: string; chain: string[] }
  | { k: "lit"; v: unknown }
  | { k: "ident"; name: string }
  | { k: "sub"; pipe: Pipe; chain: string[] };

interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Arg[][];
}

type Node =
  | { n: "text"; v: string }
  | { n: "action"; pipe: Pipe }
  | { n: "if" | "with" | "range"; pipe: Pipe; body: Node[]; alt: Node[] };

interface RawAction {
  src: string;
}

function splitTemplate(text: string): (string | RawAction)[] {
  const parts: (string | RawAction)[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    if (open < 0) {
      parts.push(text.slice(i));
      break;
    }
    let before = text.slice(i, open);
    let start = open + 2;
    if (text[start] === "-" && /\s/.test(text[start + 1] ?? "")) {
      before = before.replace(/\s+$/, "");
      start += 1;
    }
    // Find the closing }} outside of string literals.
    let j = start;
    let quote: string | null = null;
    for (; j < text.length; j++) {
      const c = text[j];
      if (quote) {
        if (c === "\\" && quote === '"') j++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "`") quote = c;
      else if (c === "}" && text[j + 1] === "}") break;
    }
    if (j >= text.length) throw new TemplateError("unclosed action");
    let body = text.slice(start, j);
    let next = j + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      const m = /^\s*/.exec(text.slice(next))!;
      next += m[0].length;
    }
    if (before) parts.push(before);
    parts.push({ src: body });
    i = next;
  }
  return parts;
}

function parsePipe(toks: Tok[], pos: { i: number }, inParens: boolean): Pipe {
  const pipe: Pipe = { decl: [], assign: false, cmds: [] };
  // $x := ... / $i, $e := ...
  const save = pos.i;
  const vars: string[] = [];
  while (toks[pos.i]?.t === "var" && (toks[pos.i] as { chain: string[] }).chain.length === 0) {
    vars.push((toks[pos.i] as { v: string }).v);
    pos.i++;
    if (toks[pos.i]?.t === ",") {
      pos.i++;
      continue;
    }
    break;
  }
  if (vars.length > 0 && (toks[pos.i]?.t === ":=" || toks[pos.i]?.t === "=")) {
    pipe.assign = toks[pos.i]!.t === "=";
    pipe.decl = vars;
    pos.i++;
  } else pos.i = save;

  let cmd: Arg[] = [];
  while (pos.i < toks.length) {
    const tok = toks[pos.i]!;
    if (tok.t === ")") {
      if (!inParens) throw new TemplateError("unexpected right paren");
      break;
    }
    pos.i++;
    switch (tok.t) {
      case "|":
        if (cmd.length === 0) throw new TemplateError("missing command before |");
        pipe.cmds.push(cmd);
        cmd = [];
        break;
      case "field":
        cmd.push({ k: "field", chain: tok.v });
        break;
      case "var":
        cmd.push({ k: "var", name: tok.v, chain: tok.chain });
        break;
      case "str":
      case "num":
      case "bool":
        cmd.push({ k: "lit", v: tok.v });
        break;
      case "nil":
        cmd.push({ k: "lit", v: null });
        break;
      case "ident":
        cmd.push({ k: "ident", name: tok.v });
        break;
      case "(": {
        const sub = parsePipe(toks, pos, true);
        const close = toks[pos.i];
        if (!close || close.t !== ")") throw new TemplateError("unclosed left paren");
        pos.i++;
        cmd.push({ k: "sub", pipe: sub, chain: close.chain });
        break;
      }
      default:
        throw new TemplateError(`unexpected ${JSON.stringify(tok.t)} in command`);
    }
  }
  if (cmd.length > 0) pipe.cmds.push(cmd);
  if (pipe.cmds.length === 0) throw new TemplateError("missing value for command");
  return pipe;
}

function parseActionPipe(src: string): Pipe {
  const toks = lexAction(src);
  const pos = { i: 0 };
  const pipe = parsePipe(toks, pos, false);
  if (pos.i < toks.length) throw new TemplateError("unexpected tokens after pipeline");
  return pipe;
}

function parseNodes(parts: (string | RawAction)[], pos: { i: number }, stopAt: string[]): { nodes: Node[]; stop?: string; stopSrc?: string } {
  const nodes: Node[] = [];
  while (pos.i < parts.length) {
    const part = parts[pos.i++]!;
    if (typeof part === "string") {
      nodes.push({ n: "text", v: part });
      continue;
    }
    const src = part.src.trim();
    if (src.startsWith("/*")) continue; // comment
    const word = /^[a-z]+/.exec(src)?.[0] ?? "";
    if (word === "end" || word === "else") {
      if (!stopAt.includes(word)) throw new TemplateError(`unexpected {{${word}}}`);
      return { nodes, stop: word, stopSrc: src };
    }
    if (word === "if" || word === "with" || word === "range") {
      nodes.push(parseBlock(word, src.slice(word.length), parts, pos));
      continue;
    }
    if (word === "define" || word === "template" || word === "block") throw new TemplateError(`{{${word}}} is not supported`);
    nodes.push({ n: "action", pipe: parseActionPipe(src) });
  }
  if (stopAt.length > 0) throw new TemplateError("unexpected EOF");
  return { nodes };
}

function parseBlock(kind: "if" | "with" | "range", pipeSrc: string, parts: (string | RawAction)[], pos: { i: number }): Node {
  const pipe = parseActionPipe(pipeSrc);
  const body = parseNodes(parts, pos, ["end", "else"]);
  let alt: Node[] = [];
  if (body.stop === "else") {
    const rest = body.stopSrc!.slice(4).trim();
    if (rest.startsWith("if ") && kind === "if") {
      alt = [parseBlock("if", rest.slice(2), parts, pos)];
    } else if (rest.startsWith("with ") && kind === "with") {
      alt = [parseBlock("with", rest.slice(4), parts, pos)];
    } else {
      if (rest !== "") throw new TemplateError(`unexpected ${JSON.stringify(rest)} after else`);
      const e = parseNodes(parts, pos, ["end"]);
      alt = e.nodes;
    }
  }
  return { n: kind, pipe, body: body.nodes, alt };
}

export interface Template {
  execute(data: unknown): string;
}

/** Parses a template; throws TemplateError ("template parsing error" in docker's words at the call site). */
export function parseTemplate(text: string, funcs: Record<string, (...args: unknown[]) => unknown> = {}): Template {
  const parts = splitTemplate(text);
  const { nodes } = parseNodes(parts, { i: 0 }, []);
  const allFuncs = { ...BUILTINS, ...funcs };
  // Check that every function exists at parse time, as Go does.
  const check = (ns: Node[]) => {
    for (const n of ns) {
      if (n.n === "text") continue;
      checkPipe(n.pipe, allFuncs);
      if (n.n !== "action") {
        check(n.body);
        check(n.alt);
      }
    }
  };
  check(nodes);
  return {
    execute(data: unknown): string {
      const out: string[] = [];
      const vars = new Map<string, unknown>([["$", data]]);
      run(nodes, data, vars, out, allFuncs);
      return out.join("");
    },
  };
}

function checkPipe(pipe: Pipe, funcs: Record<string, unknown>): void {
  for (const cmd of pipe.cmds)
    for (const a of cmd) {
      if (a.k === "ident" && !(a.name in funcs)) throw new TemplateError(`function ${JSON.stringify(a.name)} not defined`);
      if (a.k === "sub") checkPipe(a.pipe, funcs);
    }
}

// ---------- evaluation ----------

type Funcs = Record<string, (...args: unknown[]) => unknown>;

function run(nodes: Node[], dot: unknown, vars: Map<string, unknown>, out: string[], funcs: Funcs): void {
  for (const node of nodes) {
    switch (node.n) {
      case "text":
        out.push(node.v);
        break;
      case "action": {
        const v = evalPipe(node.pipe, dot, vars, funcs);
        if (node.pipe.decl.length === 0) out.push(goString(v));
        break;
      }
      case "if":
      case "with": {
        const scope = new Map(vars);
        const v = evalPipe(node.pipe, dot, scope, funcs);
        if (truth(v)) run(node.body, node.n === "with" ? v : dot, scope, out, funcs);
        else run(node.alt, dot, scope, out, funcs);
        break;
      }
      case "range": {
        const scope = new Map(vars);
        const decl = node.pipe.decl;
        const v = evalPipe({ ...node.pipe, decl: [] }, dot, scope, funcs);
        const entries: [unknown, unknown][] = Array.isArray(v)
          ? v.map((e, i) => [i, e])
          : v !== null && typeof v === "object"
            ? Object.keys(v)
                .sort()
                .map((k) => [k, (v as Record<string, unknown>)[k]])
            : typeof v === "number"
              ? Array.from({ length: v }, (_, i) => [i, i])
              : v === undefined || v === null
                ? []
                : (() => {
                    throw new TemplateError(`range can't iterate over ${goString(v)}`);
                  })();
        if (entries.length === 0) {
          run(node.alt, dot, scope, out, funcs);
          break;
        }
        for (const [key, elem] of entries) {
          const inner = new Map(scope);
          if (decl.length === 1) inner.set(decl[0]!, elem);
          if (decl.length === 2) {
            inner.set(decl[0]!, key);
            inner.set(decl[1]!, elem);
          }
          run(node.body, elem, inner, out, funcs);
        }
        break;
      }
    }
  }
}

function evalPipe(pipe: Pipe, dot: unknown, vars: Map<string, unknown>, funcs: Funcs): unknown {
  let value: unknown;
  let first = true;
  for (const cmd of pipe.cmds) {
    value = evalCmd(cmd, dot, vars, funcs, first ? [] : [value]);
    first = false;
  }
  for (const name of pipe.decl) {
    if (pipe.assign && !vars.has(name)) throw new TemplateError(`undefined variable: ${name}`);
    vars.set(name, value);
  }
  return value;
}

function evalArg(arg: Arg, dot: unknown, vars: Map<string, unknown>, funcs: Funcs): unknown {
  switch (arg.k) {
    case "lit":
      return arg.v;
    case "field":
      return fieldChain(dot, arg.chain, []);
    case "var": {
      if (!vars.has(arg.name)) throw new TemplateError(`undefined variable: ${arg.name}`);
      return fieldChain(vars.get(arg.name), arg.chain, []);
    }
    case "sub":
      return fieldChain(evalPipe(arg.pipe, dot, vars, funcs), arg.chain, []);
    case "ident": {
      const f = funcs[arg.name];
      if (!f) throw new TemplateError(`function ${JSON.stringify(arg.name)} not defined`);
      return f();
    }
  }
}

function evalCmd(cmd: Arg[], dot: unknown, vars: Map<string, unknown>, funcs: Funcs, final: unknown[]): unknown {
  const [head, ...rest] = cmd;
  const args = () => [...rest.map((a) => evalArg(a, dot, vars, funcs)), ...final];
  if (head!.k === "ident") {
    const f = funcs[head!.name];
    if (!f) throw new TemplateError(`function ${JSON.stringify(head!.name)} not defined`);
    return f(...args());
  }
  if (head!.k === "field" || head!.k === "var") {
    const base = head!.k === "field" ? dot : vars.get(head!.name);
    if (head!.k === "var" && !vars.has(head!.name)) throw new TemplateError(`undefined variable: ${head!.name}`);
    const a = args();
    return fieldChain(base, head!.chain, a);
  }
  if (rest.length > 0 || final.length > 0) throw new TemplateError(`can't give argument to non-function ${goString(evalArg(head!, dot, vars, funcs))}`);
  return evalArg(head!, dot, vars, funcs);
}

/** Follows .A.B.C; a method (function value) at the end is called with `args`. */
function fieldChain(value: unknown, chain: string[], args: unknown[]): unknown {
  let v = value;
  for (let i = 0; i < chain.length; i++) {
    const name = chain[i]!;
    const last = i === chain.length - 1;
    if (v === undefined || v === null) {
      throw new TemplateError(`nil pointer evaluating <nil>.${name}`);
    }
    if (typeof v !== "object") throw new TemplateError(`can't evaluate field ${name} in type ${goType(v)}`);
    const obj = v as Record<string | symbol, unknown>;
    if (!(name in obj)) {
      const structName = obj[STRUCT_NAME];
      if (typeof structName === "string") throw new TemplateError(`can't evaluate field ${name} in type ${structName}`);
      if (!last) return undefined;
      v = undefined;
      continue;
    }
    const field = obj[name];
    if (typeof field === "function") {
      v = (field as (...a: unknown[]) => unknown).apply(obj, last ? args : []);
      if (last) return v;
      continue;
    }
    v = field;
  }
  if (args.length > 0) {
    if (typeof v === "function") return (v as (...a: unknown[]) => unknown)(...args);
    // A header row (table format) answers every field with a string; ignore method arguments there.
    if (typeof v === "string" && value && typeof value === "object" && (value as Record<symbol, unknown>)[HEADER]) return v;
    throw new TemplateError(`can't give argument to non-function ${chain.length ? "." + chain.join(".") : "."}`);
  }
  return v;
}

/** Marks header contexts (see headerContext). */
export const HEADER = Symbol("berth.template.header");

function goType(v: unknown): string {
  if (typeof v === "string") return "string";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "[]interface {}";
  return "interface {}";
}

function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

/** How Go's fmt prints a value with %v. */
export function goString(v: unknown): string {
  if (v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return "[" + v.map(goInner).join(" ") + "]";
  if (v instanceof Uint8Array) return "[" + Array.from(v).join(" ") + "]";
  if (typeof v === "object") {
    const obj = v as Record<string, unknown>;
    if ((obj as Record<symbol, unknown>)[STRUCT_NAME]) {
      return "{" + Object.keys(obj).filter((k) => typeof obj[k] !== "function").map((k) => goInner(obj[k])).join(" ") + "}";
    }
    return "map[" + Object.keys(obj).sort().map((k) => `${k}:${goInner(obj[k])}`).join(" ") + "]";
  }
  return String(v);
}

function goInner(v: unknown): string {
  return v === undefined || v === null ? "<nil>" : goString(v);
}

/** JSON as docker's template json function writes it (no HTML escaping, compact). */
export function templateJson(v: unknown): string {
  if (v === undefined) return "null";
  const plain = (x: unknown): unknown => {
    if (x && typeof x === "object" && !Array.isArray(x) && (x as Record<symbol, unknown>)[STRUCT_NAME] !== undefined && typeof (x as { toJSON?: unknown }).toJSON !== "function") {
      const o: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) if (typeof val !== "function") o[k] = val;
      return o;
    }
    return x;
  };
  return JSON.stringify(plain(v)) ?? "null";
}

function toStr(v: unknown): string {
  return typeof v === "string" ? v : goString(v);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError("incompatible types for comparison");
}

function sprintf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([svdqxtf%])/g, (_m, _flags: string, widthText: string, prec: string | undefined, verb: string) => {
    if (verb === "%") return "%";
    const a = args[i++];
    let s: string;
    switch (verb) {
      case "q":
        s = JSON.stringify(toStr(a));
        break;
      case "d":
        s = String(Math.trunc(Number(a)));
        break;
      case "x":
        s = typeof a === "number" ? a.toString(16) : Array.from(new TextEncoder().encode(toStr(a)), (b) => b.toString(16).padStart(2, "0")).join("");
        break;
      case "f":
        s = Number(a).toFixed(prec ? Number(prec) : 6);
        break;
      default:
        s = toStr(a);
    }
    const w = Number(widthText || 0);
    if (s.length < w) s = _flags.includes("-") ? s.padEnd(w) : s.padStart(w);
    return s;
  });
}

const BUILTINS: Funcs = {
  json: (v) => templateJson(v),
  join: (list, sep) => (Array.isArray(list) ? list.map(toStr).join(toStr(sep)) : toStr(list)),
  split: (s, sep) => toStr(s).split(toStr(sep)),
  lower: (s) => toStr(s).toLowerCase(),
  upper: (s) => toStr(s).toUpperCase(),
  title: (s) => toStr(s).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  pad: (s, left, right) => " ".repeat(Number(left) || 0) + toStr(s) + " ".repeat(Number(right) || 0),
  truncate: (s, n) => [...toStr(s)].slice(0, Number(n)).join(""),
  println: (...a) => a.map(toStr).join(" ") + "\n",
  print: (...a) => a.map(toStr).join(""),
  printf: (f, ...a) => sprintf(toStr(f), a),
  len: (v) => {
    if (typeof v === "string" || Array.isArray(v)) return v.length;
    if (v && typeof v === "object") return Object.keys(v).length;
    throw new TemplateError(`len of ${goType(v)}`);
  },
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (cur === undefined || cur === null) throw new TemplateError("index of untyped nil");
      if (Array.isArray(cur) || typeof cur === "string") {
        const n = Number(k);
        if (!Number.isInteger(n) || n < 0 || n >= cur.length) throw new TemplateError(`error calling index: index out of range: ${String(k)}`);
        cur = cur[n];
      } else if (typeof cur === "object") cur = (cur as Record<string, unknown>)[toStr(k)];
      else throw new TemplateError(`can't index item of type ${goType(cur)}`);
    }
    return cur;
  },
  not: (v) => !truth(v),
  and: (...a) => {
    for (const v of a) if (!truth(v)) return v;
    return a[a.length - 1];
  },
  or: (...a) => {
    for (const v of a) if (truth(v)) return v;
    return a[a.length - 1];
  },
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
};
