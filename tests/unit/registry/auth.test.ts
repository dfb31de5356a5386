// WWW-Authenticate parsing, scopes, token answers and registry hosts.

import { describe, expect, it } from "vitest";
import {
  base64Utf8,
  basicAuthorization,
  mergeScopes,
  parseChallenges,
  parseTokenResponse,
  preferredChallenge,
  repositoryScope,
  tokenUrl,
} from "../../../src/registry/auth.ts";
import { errorText, RegistryClient } from "../../../src/registry/client.ts";
import {
  displayServerName,
  hostName,
  isLoopbackHost,
  normalizeRegistryName,
  registryApiHost,
  registryScheme,
} from "../../../src/registry/hosts.ts";

describe("WWW-Authenticate", () => {
  it("parses Docker Hub's Bearer challenge", () => {
    expect(
      parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'),
    ).toEqual([
      { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/busybox:pull" } },
    ]);
  });

  it("parses Basic, quoted commas and escapes, several challenges, and token params", () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{ scheme: "basic", params: { realm: "Registry Realm" } }]);
    expect(parseChallenges('Bearer realm="https://a/t",scope="repository:a:pull,push", error=insufficient_scope')).toEqual([
      { scheme: "bearer", params: { realm: "https://a/t", scope: "repository:a:pull,push", error: "insufficient_scope" } },
    ]);
    expect(parseChallenges('Basic realm="x \\"y\\"", Bearer realm="https://t"')).toEqual([
      { scheme: "basic", params: { realm: 'x "y"' } },
      { scheme: "bearer", params: { realm: "https://t" } },
    ]);
    expect(parseChallenges("Basic")).toEqual([{ scheme: "basic", params: {} }]);
    expect(parseChallenges("")).toEqual([]);
    expect(parseChallenges(null)).toEqual([]);
    expect(preferredChallenge(parseChallenges('Basic realm="x", Bearer realm="https://t"'))?.scheme).toBe("bearer");
  });

  it("builds token URLs with service and every scope", () => {
    const url = tokenUrl({ scheme: "bearer", params: { realm: "https://auth.example/token?x=1", service: "reg" } }, ["repository:a:pull", "repository:b:pull,push"]);
    expect(url.href).toBe("https://auth.example/token?x=1&service=reg&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull%2Cpush");
    expect(() => tokenUrl({ scheme: "bearer", params: {} }, [])).toThrow(/names no realm/);
  });

  it("merges scopes per repository", () => {
    expect(mergeScopes(["repository:a:push", "repository:a:pull", "repository:b:pull"])).toEqual(["repository:a:pull,push", "repository:b:pull"]);
    expect(mergeScopes(["repository:a:pull repository:c:push"])).toEqual(["repository:a:pull", "repository:c:push"]);
    expect(repositoryScope("library/busybox", ["pull", "push"])).toBe("repository:library/busybox:pull,push");
  });

  it("reads token answers", () => {
    expect(parseTokenResponse({ token: "t", expires_in: 300 })).toEqual({ token: "t", expiresIn: 300 });
    expect(parseTokenResponse({ access_token: "a" })).toEqual({ token: "a", expiresIn: 60 });
    expect(() => parseTokenResponse({})).toThrow(/holds no token/);
  });

  it("encodes Basic credentials as UTF-8", () => {
    expect(basicAuthorization({ username: "u", password: "p" })).toBe("Basic dTpw");
    expect(base64Utf8("é")).toBe("w6k=");
  });
});

describe("registry hosts", () => {
  it("speaks http to loopback registries only", () => {
    for (const host of ["localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "foo.localhost:80"]) {
      expect(isLoopbackHost(host)).toBe(true);
      expect(registryScheme(host)).toBe("http");
    }
    for (const host of ["registry-1.docker.io", "ghcr.io", "10.0.0.1:5000", "localhost.example.com"]) {
      expect(registryScheme(host)).toBe("https");
    }
    expect(registryScheme("myreg:5000", ["myreg:5000"])).toBe("http");
    expect(hostName("[::1]:5000")).toBe("::1");
    expect(hostName("a.b:1")).toBe("a.b");
  });

  it("maps Docker Hub's names", () => {
    expect(registryApiHost("docker.io")).toBe("registry-1.docker.io");
    expect(registryApiHost("ghcr.io")).toBe("ghcr.io");
    for (const s of [undefined, "", "docker.io", "https://index.docker.io/v1/", "registry-1.docker.io", "index.docker.io"]) {
      expect(normalizeRegistryName(s)).toBe("docker.io");
    }
    expect(normalizeRegistryName("http://localhost:5000/")).toBe("localhost:5000");
    expect(normalizeRegistryName("ghcr.io")).toBe("ghcr.io");
    expect(displayServerName("docker.io")).toBe("https://index.docker.io/v1/");
    expect(displayServerName("localhost:5000")).toBe("localhost:5000");
    expect(new RegistryClient().baseUrl("docker.io").href).toBe("https://registry-1.docker.io/");
    expect(new RegistryClient().baseUrl("localhost:5000").href).toBe("http://localhost:5000/");
  });

  it("maps requests through a proxy", () => {
    const client = new RegistryClient({ proxy: { base: "http://127.0.0.1:5173/registry-proxy" } });
    expect(client.proxyUrl(new URL("https://registry-1.docker.io/v2/library/busybox/manifests/latest?x=1"))).toBe(
      "http://127.0.0.1:5173/registry-proxy/registry-1.docker.io/v2/library/busybox/manifests/latest?x=1",
    );
  });
});

describe("registry error text", () => {
  const response = (status: number, body: string, statusText = "") => new Response(body, { status, statusText });

  it("prints errcode errors as Go does", async () => {
    expect(await errorText(response(404, JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] })))).toEqual({
      text: "manifest unknown: manifest unknown",
      codes: ["MANIFEST_UNKNOWN"],
    });
    expect((await errorText(response(401, JSON.stringify({ details: "incorrect username or password" })))).text).toBe(
      "unauthorized: incorrect username or password",
    );
    expect((await errorText(response(401, ""))).text).toBe("unauthorized: authentication required");
    expect((await errorText(response(500, "oops", "Internal Server Error"))).text).toBe("received unexpected HTTP status: 500 Internal Server Error");
  });
});
