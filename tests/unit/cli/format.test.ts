import { describe, expect, it } from "vitest";
import { goJsonIndent } from "../../../src/cli/format/inspect.ts";
import { headerContext, renderList, type ListFormat } from "../../../src/cli/format/list.ts";
import { displayPorts } from "../../../src/cli/format/ports.ts";
import { alignTabs, ellipsis, shortId, table } from "../../../src/cli/format/table.ts";
import { asStruct, goString, parseTemplate, TemplateError } from "../../../src/cli/format/template.ts";
import { goTimeString, parseTimestamp, rfc3339FromIso, rfc3339FromNanos, rfc3339NanoFixed } from "../../../src/cli/format/time.ts";
import { buildDuration, bytesSize, formatG, humanDuration, humanSize, parseBytes, parseGoDuration, timeAgo } from "../../../src/cli/format/units.ts";

describe("sizes", () => {
  const human: [number, number, string][] = [
    [0, 3, "0B"],
    [999, 3, "999B"],
    [1000, 3, "1kB"],
    [1234, 3, "1.23kB"],
    [4_260_000, 3, "4.26MB"],
    [7_800_000, 3, "7.8MB"],
    [16_430_000, 4, "16.43MB"],
    [999_900, 3, "1e+03kB"],
    [5_000_000_000, 3, "5GB"],
  ];
  it.each(human)("humanSize(%d, %d) = %s", (n, p, s) => expect(humanSize(n, p)).toBe(s));

  it("bytesSize uses binary units", () => {
    expect(bytesSize(2_087_000_000)).toBe("1.944GiB");
    expect(bytesSize(512)).toBe("512B");
    expect(bytesSize(1536)).toBe("1.5KiB");
  });

  it("formatG strips zeros like Go's %g", () => {
    expect(formatG(4.2, 3)).toBe("4.2");
    expect(formatG(100, 3)).toBe("100");
    expect(formatG(12345, 3)).toBe("1.23e+04");
  });

  const bytes: [string, number][] = [
    ["100", 100],
    ["1k", 1024],
    ["1K", 1024],
    ["512m", 512 * 1024 ** 2],
    ["512MiB", 512 * 1024 ** 2],
    ["512mb", 512 * 1024 ** 2],
    ["1.5g", 1.5 * 1024 ** 3],
    ["2 g", 2 * 1024 ** 3],
    ["64b", 64],
  ];
  it.each(bytes)("parseBytes(%j) = %d", (s, n) => expect(parseBytes(s)).toBe(n));
  it.each(["", "abc", "-1", "1x", "1.2.3m", "m"])("parseBytes(%j) fails", (s) => expect(() => parseBytes(s)).toThrow(`invalid size: '${s}'`));
});

describe("durations", () => {
  const cases: [number, string][] = [
    [0, "Less than a second"],
    [999, "Less than a second"],
    [1000, "1 second"],
    [45_000, "45 seconds"],
    [60_000, "About a minute"],
    [119_000, "About a minute"],
    [120_000, "2 minutes"],
    [59 * 60_000, "59 minutes"],
    [60 * 60_000, "About an hour"],
    [89 * 60_000, "About an hour"],
    [3 * 3600_000, "3 hours"],
    [47 * 3600_000, "47 hours"],
    [3 * 86400_000, "3 days"],
    [15 * 86400_000, "2 weeks"],
    [90 * 86400_000, "3 months"],
    [800 * 86400_000, "2 years"],
  ];
  it.each(cases)("humanDuration(%d) = %s", (ms, s) => expect(humanDuration(ms)).toBe(s));

  it("timeAgo", () => {
    const now = Date.parse("2026-11-28T00:02:00Z");
    expect(timeAgo("2026-11-28T00:00:00Z", now)).toBe("2 minutes ago");
    expect(timeAgo("", now)).toBe("N/A");
  });

  it("parses Go durations", () => {
    expect(parseGoDuration("1h30m")).toBe(90 * 60_000);
    expect(parseGoDuration("250ms")).toBe(250);
    expect(parseGoDuration("1.5s")).toBe(1500);
    expect(parseGoDuration("-5m")).toBe(-300_000);
    expect(parseGoDuration("0")).toBe(0);
    expect(() => parseGoDuration("10")).toThrow("missing unit");
    expect(() => parseGoDuration("abc")).toThrow("invalid duration");
  });

  it("buildDuration has one decimal", () => {
    expect(buildDuration(300)).toBe("0.3s");
    expect(buildDuration(12_049)).toBe("12.0s");
  });
});

describe("times", () => {
  it("prints RFC 3339 with fixed nanoseconds", () => {
    expect(rfc3339NanoFixed(Date.parse("2026-11-28T00:00:00Z"))).toBe("2026-11-28T00:00:00.000000000Z");
    expect(rfc3339FromNanos("1795824000123456789")).toBe("2026-11-28T00:00:00.123456789Z");
    expect(rfc3339FromIso("2026-11-28T10:20:30.5Z")).toBe("2026-11-28T10:20:30.500000000Z");
    expect(rfc3339FromIso("2026-11-28T10:20:30.123456789Z")).toBe("2026-11-28T10:20:30.123456789Z");
    expect(goTimeString("2026-11-28T10:20:30.5Z")).toBe("2026-11-28 10:20:30 +0000 UTC");
  });

  it("parses --since/--until values", () => {
    const now = Date.parse("2026-11-28T12:00:00Z");
    expect(parseTimestamp("10m", now)).toBe(now - 600_000);
    expect(parseTimestamp("1795824000", now)).toBe(1795824000_000);
    expect(parseTimestamp("2026-11-28", now)).toBe(Date.parse("2026-11-28T00:00:00Z"));
    expect(parseTimestamp("2026-11-28T10:00:00", now)).toBe(Date.parse("2026-11-28T10:00:00Z"));
    expect(parseTimestamp("2026-11-28T10:00:00+01:00", now)).toBe(Date.parse("2026-11-28T09:00:00Z"));
    expect(() => parseTimestamp("yesterday", now)).toThrow('failed to parse value as time or duration: "yesterday"');
  });
});

describe("tables", () => {
  it("pads columns to the widest cell plus 3, at least 10, leaving the last column alone", () => {
    expect(table([["CONTAINER ID", "IMAGE", "NAMES"], ["abc", "busybox", "web"]])).toBe(
      "CONTAINER ID   IMAGE     NAMES\n" + "abc            busybox   web\n",
    );
  });

  it("counts characters, not bytes", () => {
    expect(alignTabs("a…\tb\nxyz\tc\n")).toBe("a…        b\nxyz       c\n");
  });

  it("honours a different minimum width (docker top)", () => {
    expect(table([["UID", "PID"], ["root", "1"]], { minWidth: 20 })).toBe("UID                 PID\nroot                1\n");
  });

  it("ends a column block at a line without that cell", () => {
    expect(alignTabs("a\tb\nlonger line\nccccccccccccc\td\n")).toBe("a         b\nlonger line\nccccccccccccc   d\n");
  });

  it("ellipsis and shortId", () => {
    expect(ellipsis("short", 20)).toBe("short");
    expect(ellipsis("/bin/sh -c 'while true; do echo hi; done'", 20)).toBe("/bin/sh -c 'while t…");
    expect(shortId("sha256:0123456789abcdef0123")).toBe("0123456789ab");
    expect(shortId("0123456789abcdef")).toBe("0123456789ab");
  });
});

describe("ports", () => {
  it("formats and folds ranges", () => {
    expect(displayPorts([{ containerPort: 80, protocol: "tcp", hostPort: 8080 }])).toBe("0.0.0.0:8080->80/tcp");
    expect(
      displayPorts([
        { containerPort: 81, protocol: "tcp", hostPort: 8001 },
        { containerPort: 80, protocol: "tcp", hostPort: 8000 },
        { containerPort: 53, protocol: "udp", hostPort: 53, hostIp: "127.0.0.1" },
        { containerPort: 443, protocol: "tcp", hostPort: 0 },
      ]),
    ).toBe("0.0.0.0:8000-8001->80-81/tcp, 127.0.0.1:53->53/udp, 443/tcp");
    expect(displayPorts([{ containerPort: 80, protocol: "tcp", hostPort: 8080, hostIp: "::1" }])).toBe("[::1]:8080->80/tcp");
    expect(displayPorts([])).toBe("");
  });
});

describe("templates", () => {
  const data = {
    Name: "web",
    State: { Status: "running", Pid: 42, Running: true },
    Config: { Env: ["A=1", "B=2"], Labels: { "com.x": "y", a: "b" }, Cmd: null as string[] | null },
    Mounts: [{ Destination: "/data" }, { Destination: "/logs" }],
    Empty: [],
  };
  const cases: [string, string][] = [
    ["{{.Name}}", "web"],
    ["{{.State.Status}}/{{.State.Pid}}/{{.State.Running}}", "running/42/true"],
    ["{{json .Config.Env}}", '["A=1","B=2"]'],
    ["{{json .State}}", '{"Status":"running","Pid":42,"Running":true}'],
    ["{{.Config.Env}}", "[A=1 B=2]"],
    ["{{.Config.Labels}}", "map[a:b com.x:y]"],
    ["{{.Missing}}", "<no value>"],
    ["{{.Config.Cmd}}", "<nil>"],
    ['{{index .Config.Labels "com.x"}}', "y"],
    ["{{index .Config.Env 1}}", "B=2"],
    ["{{range .Mounts}}{{.Destination}} {{end}}", "/data /logs "],
    ["{{range $i, $m := .Mounts}}{{$i}}={{$m.Destination}};{{end}}", "0=/data;1=/logs;"],
    ["{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}},{{end}}", "a:b,com.x:y,"],
    ["{{range .Empty}}x{{else}}none{{end}}", "none"],
    ["{{if .State.Running}}up{{else}}down{{end}}", "up"],
    ["{{if eq .State.Status \"exited\"}}gone{{else if eq .State.Status \"running\"}}here{{end}}", "here"],
    ["{{with .State}}{{.Pid}}{{end}}", "42"],
    ["{{.Name | upper}}", "WEB"],
    ['{{join .Config.Env ","}}', "A=1,B=2"],
    ['{{split "a:b" ":"}}', "[a b]"],
    ["{{len .Mounts}}", "2"],
    ['{{printf "%s-%d" .Name .State.Pid}}', "web-42"],
    ["{{truncate .Name 2}}", "we"],
    ["{{title \"hello world\"}}", "Hello World"],
    ["{{pad .Name 1 2}}|", " web  |"],
    ["a  {{- .Name -}}  b", "awebb"],
    ["{{$n := .Name}}{{$n}}{{$n}}", "webweb"],
    ["{{not .State.Running}} {{and 1 0}} {{or 0 \"x\"}}", "false 0 x"],
    ['{{(index .Mounts 0).Destination}}', "/data"],
    ["{{lower `RAW`}}", "raw"],
    ["{{json .}}", JSON.stringify(data)],
  ];
  it.each(cases)("%s", (tpl, out) => expect(parseTemplate(tpl).execute(data)).toBe(out));

  it("calls methods with arguments", () => {
    const ctx = { Label: (k: unknown) => (k === "a" ? "1" : "") };
    expect(parseTemplate('{{.Label "a"}}').execute(ctx)).toBe("1");
  });

  it("reports a missing struct field, and parse errors", () => {
    const s = asStruct({ ID: "x" }, "*formatter.ContainerContext");
    expect(() => parseTemplate("{{.Nmae}}").execute(s)).toThrow("can't evaluate field Nmae in type *formatter.ContainerContext");
    expect(() => parseTemplate("{{.Name")).toThrow(TemplateError);
    expect(() => parseTemplate("{{nosuch .X}}")).toThrow('function "nosuch" not defined');
    expect(() => parseTemplate("{{if .X}}")).toThrow(TemplateError);
    expect(() => parseTemplate("{{end}}")).toThrow(TemplateError);
  });

  it("prints values the way Go does", () => {
    expect(goString([1, "a", null])).toBe("[1 a <nil>]");
    expect(goString({ b: 1, a: [2] })).toBe("map[a:[2] b:1]");
    expect(goString(asStruct({ A: 1, B: "x" }, "T"))).toBe("{1 x}");
  });
});

describe("renderList", () => {
  interface Row {
    id: string;
    name: string;
  }
  const spec: ListFormat<Row> = {
    defaultTable: "table {{.ID}}\t{{.Name}}",
    quietFormat: "{{.ID}}",
    headers: { ID: "THING ID", Name: "NAME" },
    context: (r) => asStruct({ ID: r.id, Name: r.name }, "*thing"),
  };
  const rows = [
    { id: "a1", name: "first" },
    { id: "b2", name: "second" },
  ];
  it("uses the default table", () => {
    expect(renderList(spec, rows)).toBe("THING ID   NAME\na1         first\nb2         second\n");
    expect(renderList(spec, [])).toBe("THING ID   NAME\n");
  });
  it("uses -q", () => expect(renderList(spec, rows, { quiet: true })).toBe("a1\nb2\n"));
  it("runs a plain template per row, turning \\t into tabs", () => {
    expect(renderList(spec, rows, { format: "{{.Name}}\\t{{.ID}}" })).toBe("first\ta1\nsecond\tb2\n");
  });
  it("builds a header for a custom table", () => {
    expect(renderList(spec, rows, { format: "table {{.Name}}\\t{{.ID}}" })).toBe("NAME      THING ID\nfirst     a1\nsecond    b2\n");
  });
  it("prints json", () => {
    expect(renderList(spec, rows, { format: "json" })).toBe('{"ID":"a1","Name":"first"}\n{"ID":"b2","Name":"second"}\n');
  });
  it("warns when --format and -q meet", () => {
    const warnings: string[] = [];
    expect(renderList(spec, rows, { format: "{{.Name}}", quiet: true, warn: (w) => warnings.push(w) })).toBe("a1\nb2\n");
    expect(warnings).toEqual(["WARNING: Ignoring custom format, because both --format and --quiet are set.\n"]);
  });
  it("derives headers for unknown fields", () => {
    expect((headerContext({}) as Record<string, string>).RunningFor).toBe("RUNNING FOR");
  });
  it("wraps template errors in docker's words", () => {
    expect(() => renderList(spec, rows, { format: "{{.Nope}}" })).toThrow('template: :1: executing "" at <.>: can\'t evaluate field Nope in type *thing');
    expect(() => renderList(spec, rows, { format: "{{.ID" })).toThrow("template parsing error: template: :1: unclosed action");
  });
});

describe("inspect JSON", () => {
  it("indents with 4 spaces and escapes HTML like Go", () => {
    expect(goJsonIndent([{ a: "<b>&", c: [] }])).toBe('[\n    {\n        "a": "\\u003cb\\u003e\\u0026",\n        "c": []\n    }\n]');
    expect(goJsonIndent([])).toBe("[]");
  });
});
