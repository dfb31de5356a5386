// http-proxy over a fake transport: request encoding, response parsing
// (Content-Length, chunked, until close), the 502 pages.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BerthError } from "../../../src/core/errors.ts";
import { ResponseParser, encodeRequestHead, httpRequest, type HttpRequest } from "../../../src/engine/http-proxy.ts";
import { type CloseInfo, type GuestConnection, type GuestSpawner, PortMap } from "../../../src/engine/ports.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A connection whose far end is a script: it answers what `reply` returns for the bytes written. */
class FakeConnection implements GuestConnection {
  written: Uint8Array[] = [];
  destroyed = false;
  ended = false;
  private dataFns: ((d: Uint8Array) => void)[] = [];
  private closeFns: ((i: CloseInfo) => void)[] = [];
  private received = 0;
  private closedInfo: CloseInfo | null = null;
  private resolveClosed!: (i: CloseInfo) => void;
  readonly closed = new Promise<CloseInfo>((r) => (this.resolveClosed = r));

  constructor(private readonly onWrite?: (conn: FakeConnection, text: string) => void) {}

  write(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? enc(data) : data;
    this.written.push(bytes);
    this.onWrite?.(this, dec(bytes));
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.close();
  }
  onData(fn: (d: Uint8Array) => void): void {
    this.dataFns.push(fn);
  }
  onClose(fn: (i: CloseInfo) => void): void {
    this.closeFns.push(fn);
    if (this.closedInfo) queueMicrotask(() => fn(this.closedInfo!));
  }
  send(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? enc(data) : data;
    this.received += bytes.length;
    for (const fn of this.dataFns) fn(bytes);
  }
  close(error?: BerthError): void {
    const info = { received: this.received, ...(error ? { error } : {}) };
    queueMicrotask(() => {
      this.closedInfo = info;
      for (const fn of this.closeFns) fn(info);
      this.resolveClosed(info);
    });
  }
  text(): string {
    return this.written.map(dec).join("");
  }
}

const vm = {} as GuestSpawner;

async function published(): Promise<PortMap> {
  const map = new PortMap();
  await map.reserve("0123456789abcdef", "172.17.0.2", { containerPort: 80, hostPort: 8080, protocol: "tcp" });
  return map;
}

/** Runs httpRequest against a fake server that sends `chunks` (one by one) and then closes if told. */
async function roundTrip(chunks: (string | Uint8Array)[], opts: { close?: boolean; req?: Partial<HttpRequest> } = {}) {
  let conn!: FakeConnection;
  const res = await httpRequest(
    vm,
    await published(),
    8080,
    { method: "GET", path: "/", headers: [], ...opts.req },
    {
      connect: async () => {
        conn = new FakeConnection((c) => {
          if (c.written.length > 1) return; // answer once, after the head
          setTimeout(() => {
            for (const ch of chunks) c.send(ch);
            if (opts.close) c.close();
          }, 1);
        });
        return conn;
      },
    },
  );
  return { res, conn };
}

describe("request encoding", () => {
  it("sends HTTP/1.1 with our Host, Connection: close, and only end-to-end headers", () => {
    const head = dec(
      encodeRequestHead(
        {
          method: "get",
          path: "/a/b?x=1",
          headers: [
            ["Accept", "text/html"],
            ["Connection", "keep-alive"],
            ["Accept-Encoding", "gzip, br"],
            ["X-Two", "1"],
            ["X-Two", "2"],
            ["Host", "127.0.0.1:4173"],
          ],
        },
        "localhost:8080",
      ),
    );
    expect(head).toBe("GET /a/b?x=1 HTTP/1.1\r\nHost: localhost:8080\r\nAccept: text/html\r\nX-Two: 1\r\nX-Two: 2\r\nConnection: close\r\n\r\n");
  });

  it("gives a body its Content-Length, and POST without body a zero one", () => {
    expect(dec(encodeRequestHead({ method: "POST", path: "/f", headers: [], body: enc("abc") }, "h"))).toContain("Content-Length: 3\r\n");
    expect(dec(encodeRequestHead({ method: "POST", path: "/f", headers: [] }, "h"))).toContain("Content-Length: 0\r\n");
    expect(dec(encodeRequestHead({ method: "GET", path: "/f", headers: [] }, "h"))).not.toContain("Content-Length");
  });

  it("refuses what would break the request line or headers", () => {
    expect(() => encodeRequestHead({ method: "GET", path: "/a b", headers: [] }, "h")).toThrow("invalid request path");
    expect(() => encodeRequestHead({ method: "G T", path: "/", headers: [] }, "h")).toThrow("invalid method");
    expect(() => encodeRequestHead({ method: "GET", path: "/", headers: [["X", "a\r\nInjected: 1"]] }, "h")).toThrow("invalid value");
  });
});

describe("ResponseParser", () => {
  const parse = (method: string, ...chunks: string[]) => {
    const p = new ResponseParser(method);
    let done = false;
    for (const c of chunks) done = p.push(enc(c));
    return { p, done };
  };

  it("reads a Content-Length body and stops there", () => {
    const { p, done } = parse("GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhel", "lo", "garbage");
    expect(done).toBe(true);
    const r = p.result();
    expect(r.status).toBe(200);
    expect(r.statusText).toBe("OK");
    expect(r.headers).toEqual([
      ["Content-Length", "5"],
      ["X-A", "1"],
    ]);
    expect(dec(r.body)).toBe("hello");
  });

  it("decodes a chunked body split at every byte, with extensions and trailers", () => {
    const raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n";
    const p = new ResponseParser("GET");
    let done = false;
    for (const ch of raw) done = p.push(enc(ch));
    expect(done).toBe(true);
    expect(dec(p.result().body)).toBe("Wikipedia in\r\n\r\nchunks.");
  });

  it("reads until close when there is no length", () => {
    const { p, done } = parse("GET", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of ", "it");
    expect(done).toBe(false);
    expect(dec(p.end().body)).toBe("all of it");
  });

  it("knows HEAD, 204 and 304 have no body", () => {
    expect(parse("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n").done).toBe(true);
    expect(parse("GET", "HTTP/1.1 204 No Content\r\n\r\n").done).toBe(true);
    expect(parse("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n").done).toBe(true);
  });

  it("skips interim 1xx answers and accepts bare LF line ends", () => {
    const { p, done } = parse("GET", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\nContent-Length: 2\n\nok");
    expect(done).toBe(true);
    expect(p.result().status).toBe(201);
    expect(dec(p.result().body)).toBe("ok");
  });

  it("says what is wrong with a broken answer", () => {
    expect(() => parse("GET", "SSH-2.0-OpenSSH\r\n\r\n")).toThrow(/not an HTTP\/1.x response: "SSH-2.0-OpenSSH"/);
    expect(() => parse("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")).toThrow(/bad chunk size/);
    expect(() => parse("GET", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")).toThrow(/bad Content-Length/);
    expect(() => parse("GET", "HTTP/1.1 101 Switching Protocols\r\n\r\n")).toThrow(/WebSocket/);
    expect(() => parse("GET", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").p.end()).toThrow(
      "the server closed the connection after 3 of 10 body bytes",
    );
    expect(() => new ResponseParser("GET").end()).toThrow("the server closed the connection without answering");
    expect(() => parse("GET", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", "x".repeat(99)).p.result()).not.toThrow();
    const small = new ResponseParser("GET", 4);
    expect(() => small.push(enc("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"))).toThrow("response body larger than 4 bytes");
  });
});

describe("httpRequest", () => {
  it("sends the request and returns the parsed answer, then closes the connection", async () => {
    const { res, conn } = await roundTrip(["HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"], {
      req: { method: "POST", path: "/api?q=1", headers: [["X-Test", "y"]], body: enc("payload") },
    });
    expect(res.status).toBe(200);
    expect(dec(res.body)).toBe("hi");
    expect(conn.text()).toBe(
      "POST /api?q=1 HTTP/1.1\r\nHost: localhost:8080\r\nX-Test: y\r\nContent-Length: 7\r\nConnection: close\r\n\r\npayload",
    );
    expect(conn.destroyed).toBe(true);
  });

  it("keeps a Host the caller gives", async () => {
    const { conn } = await roundTrip(["HTTP/1.1 204 No Content\r\n\r\n"], { req: { headers: [["Host", "example.test"]] } });
    expect(conn.text()).toContain("\r\nHost: example.test\r\n");
    expect(conn.text().match(/Host:/g)).toHaveLength(1);
  });

  it("parses a chunked answer that arrives in pieces", async () => {
    const { res } = await roundTrip(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r", "\n2\r\nde\r\n0\r\n", "\r\n"]);
    expect(dec(res.body)).toBe("abcde");
  });

  it("reads until close", async () => {
    const { res } = await roundTrip(["HTTP/1.0 200 OK\r\n\r\nuntil ", "close"], { close: true });
    expect(dec(res.body)).toBe("until close");
  });

  it("decodes a gzip body and fixes the headers", async () => {
    const gz = gzipSync(Buffer.from("compressed text"));
    const { res } = await roundTrip([
      `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`,
      new Uint8Array(gz),
    ]);
    expect(dec(res.body)).toBe("compressed text");
    expect(res.headers).toEqual([["Content-Length", "15"]]);
  });

  it("answers 502 naming the port when it is not published", async () => {
    const res = await httpRequest(vm, new PortMap(), 8081, { method: "GET", path: "/", headers: [] });
    expect(res.status).toBe(502);
    expect(res.headers).toContainEqual(["X-Berth-Error", "not-published"]);
    expect(dec(res.body)).toContain("Port 8081 is not published.");
  });

  it("answers 502 with the reason when nothing listens", async () => {
    const res = await httpRequest(
      vm,
      await published(),
      8080,
      { method: "GET", path: "/", headers: [] },
      {
        connect: async () => {
          const c = new FakeConnection();
          c.close(new BerthError("unavailable", "nothing is listening on 172.17.0.2:80 (connection refused)"));
          return c;
        },
      },
    );
    expect(res.status).toBe(502);
    expect(res.statusText).toBe("Bad Gateway");
    expect(res.headers).toContainEqual(["X-Berth-Error", "refused"]);
    const text = dec(res.body);
    expect(text).toContain("Port 8080: nothing is listening on container 0123456789ab port 80 (172.17.0.2:80).");
    expect(text).toContain("connection refused");
  });

  it("answers 502 when the server closes without answering or answers garbage", async () => {
    const closed = await roundTrip([], { close: true });
    expect(closed.res.status).toBe(502);
    expect(dec(closed.res.body)).toContain("the server closed the connection without answering");
    const garbage = await roundTrip(["hello there\r\n\r\n"]);
    expect(garbage.res.headers).toContainEqual(["X-Berth-Error", "bad-response"]);
    expect(dec(garbage.res.body)).toContain("not an HTTP/1.x response");
  });

  it("answers 502 after the timeout", async () => {
    const res = await httpRequest(
      vm,
      await published(),
      8080,
      { method: "GET", path: "/", headers: [] },
      { timeoutMs: 50, connect: async () => new FakeConnection((c) => c.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")) },
    );
    expect(res.headers).toContainEqual(["X-Berth-Error", "timeout"]);
    expect(dec(res.body)).toContain("no complete answer within 50 ms (status 200, 3 body bytes so far)");
  });

  it("answers 400 for a request it cannot send", async () => {
    const res = await httpRequest(vm, await published(), 8080, { method: "GET", path: "no-slash", headers: [] }, { connect: async () => new FakeConnection() });
    expect(res.status).toBe(400);
    expect(res.headers).toContainEqual(["X-Berth-Error", "bad-request"]);
  });
});
