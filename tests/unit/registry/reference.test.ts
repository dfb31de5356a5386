import { describe, expect, it } from "vitest";
import { BerthError } from "../../../src/core/errors.ts";
import {
  familiarName,
  familiarString,
  formatReference,
  isValidReference,
  normalizeReference,
  parseReference,
  repositoryName,
  withDefaultTag,
} from "../../../src/registry/reference.ts";

const HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const DIGEST = `sha256:${HEX}`;

// input, domain, path, tag, digest, normalized (with default tag), familiar (with default tag)
const VALID: [string, string, string, string | undefined, string | undefined, string, string][] = [
  ["busybox", "docker.io", "library/busybox", undefined, undefined, "docker.io/library/busybox:latest", "busybox:latest"],
  ["busybox:1.36", "docker.io", "library/busybox", "1.36", undefined, "docker.io/library/busybox:1.36", "busybox:1.36"],
  ["library/busybox", "docker.io", "library/busybox", undefined, undefined, "docker.io/library/busybox:latest", "busybox:latest"],
  ["docker.io/busybox", "docker.io", "library/busybox", undefined, undefined, "docker.io/library/busybox:latest", "busybox:latest"],
  ["docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", undefined, "docker.io/library/busybox:latest", "busybox:latest"],
  ["index.docker.io/library/busybox", "docker.io", "library/busybox", undefined, undefined, "docker.io/library/busybox:latest", "busybox:latest"],
  ["index.docker.io/busybox", "docker.io", "library/busybox", undefined, undefined, "docker.io/library/busybox:latest", "busybox:latest"],
  ["user/repo", "docker.io", "user/repo", undefined, undefined, "docker.io/user/repo:latest", "user/repo:latest"],
  ["user/repo:v1.0_rc-2", "docker.io", "user/repo", "v1.0_rc-2", undefined, "docker.io/user/repo:v1.0_rc-2", "user/repo:v1.0_rc-2"],
  ["library/a/b", "docker.io", "library/a/b", undefined, undefined, "docker.io/library/a/b:latest", "library/a/b:latest"],
  ["localhost/foo", "localhost", "foo", undefined, undefined, "localhost/foo:latest", "localhost/foo:latest"],
  ["localhost:5000/a/b", "localhost:5000", "a/b", undefined, undefined, "localhost:5000/a/b:latest", "localhost:5000/a/b:latest"],
  ["localhost:5000/a/b:tag", "localhost:5000", "a/b", "tag", undefined, "localhost:5000/a/b:tag", "localhost:5000/a/b:tag"],
  ["ghcr.io/owner/repo", "ghcr.io", "owner/repo", undefined, undefined, "ghcr.io/owner/repo:latest", "ghcr.io/owner/repo:latest"],
  ["Registry.Example.COM/x", "Registry.Example.COM", "x", undefined, undefined, "Registry.Example.COM/x:latest", "Registry.Example.COM/x:latest"],
  ["quay.io:443/a", "quay.io:443", "a", undefined, undefined, "quay.io:443/a:latest", "quay.io:443/a:latest"],
  ["[::1]:5000/foo:bar", "[::1]:5000", "foo", "bar", undefined, "[::1]:5000/foo:bar", "[::1]:5000/foo:bar"],
  [`busybox@${DIGEST}`, "docker.io", "library/busybox", undefined, DIGEST, `docker.io/library/busybox@${DIGEST}`, `busybox@${DIGEST}`],
  [`busybox:1.36@${DIGEST}`, "docker.io", "library/busybox", "1.36", DIGEST, `docker.io/library/busybox:1.36@${DIGEST}`, `busybox:1.36@${DIGEST}`],
  [`localhost:5000/a@${DIGEST}`, "localhost:5000", "a", undefined, DIGEST, `localhost:5000/a@${DIGEST}`, `localhost:5000/a@${DIGEST}`],
  ["a.b-c/d__e--f_g.h", "a.b-c", "d__e--f_g.h", undefined, undefined, "a.b-c/d__e--f_g.h:latest", "a.b-c/d__e--f_g.h:latest"],
  ["my-repo/my.image_1", "docker.io", "my-repo/my.image_1", undefined, undefined, "docker.io/my-repo/my.image_1:latest", "my-repo/my.image_1:latest"],
  ["localhost:5000", "docker.io", "library/localhost", "5000", undefined, "docker.io/library/localhost:5000", "localhost:5000"],
  ["busybox:UPPER_tag", "docker.io", "library/busybox", "UPPER_tag", undefined, "docker.io/library/busybox:UPPER_tag", "busybox:UPPER_tag"],
  [`busybox:${"t".repeat(128)}`, "docker.io", "library/busybox", "t".repeat(128), undefined, `docker.io/library/busybox:${"t".repeat(128)}`, `busybox:${"t".repeat(128)}`],
];

// input, error message (exact)
const INVALID: [string, string][] = [
  ["", "invalid reference format: repository name must have at least one component"],
  ["Busybox", "invalid reference format: repository name (library/Busybox) must be lowercase"],
  ["docker.io/Library/busybox", "invalid reference format: repository name (Library/busybox) must be lowercase"],
  ["User/Repo:tag", "invalid reference format: repository name (User/Repo) must be lowercase"],
  ["localhost:5000/Foo", "invalid reference format: repository name (Foo) must be lowercase"],
  ["busybox:", 'invalid reference format: tag after ":" is empty in "busybox:"'],
  ["busybox:-bad", 'invalid reference format: tag "-bad" must be 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"'],
  ["busybox:.bad", 'invalid reference format: tag ".bad" must be 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"'],
  [`busybox:${"t".repeat(129)}`, `invalid reference format: tag "${"t".repeat(129)}" must be 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"`],
  ["busybox:a+b", 'invalid reference format: tag "a+b" must be 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"'],
  [":latest", "invalid reference format: repository name must have at least one component"],
  [`@${DIGEST}`, "invalid reference format: repository name must have at least one component"],
  ["busybox@", 'invalid reference format: digest after "@" is empty in "busybox@"'],
  ["busybox@sha256:abc", 'invalid reference format: invalid digest "sha256:abc": expected 64 hex digits, got 3 characters'],
  [`busybox@md5:${HEX}`, 'invalid reference format: invalid digest "md5:' + HEX + '": unsupported algorithm "md5" (only sha256)'],
  [`busybox@sha256:${HEX.toUpperCase()}`, `invalid reference format: invalid digest "sha256:${HEX.toUpperCase()}": hex digits must be lowercase`],
  ["a//b", 'invalid reference format: repository name "a//b" has an empty path component'],
  ["localhost:5000/", 'invalid reference format: repository name "" has an empty path component'],
  ["user/repo/", 'invalid reference format: repository name "user/repo/" has an empty path component'],
  ["-foo", 'invalid reference format: path component "-foo" must be lowercase letters and digits, separated by ".", "_", "__" or "-"'],
  ["foo..bar", 'invalid reference format: path component "foo..bar" must be lowercase letters and digits, separated by ".", "_", "__" or "-"'],
  ["foo___bar", 'invalid reference format: path component "foo___bar" must be lowercase letters and digits, separated by ".", "_", "__" or "-"'],
  ["foo bar", 'invalid reference format: path component "foo bar" must be lowercase letters and digits, separated by ".", "_", "__" or "-"'],
  ["localhost:port/foo", 'invalid reference format: registry host "localhost:port" is not a valid host name or host:port'],
  ["under_score.io/foo", 'invalid reference format: registry host "under_score.io" is not a valid host name or host:port'],
  ["-bad.host/foo", 'invalid reference format: registry host "-bad.host" is not a valid host name or host:port'],
  [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
  [`a/${"b".repeat(250)}`, "invalid reference format: repository name must not be more than 255 characters"],
];

describe("parseReference", () => {
  it.each(VALID)("%s", (input, domain, path, tag, digest, normalized, familiar) => {
    const ref = parseReference(input);
    expect(ref).toEqual({ domain, path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) });
    expect(repositoryName(ref)).toBe(`${domain}/${path}`);
    expect(normalizeReference(input)).toBe(normalized);
    expect(familiarString(withDefaultTag(ref))).toBe(familiar);
    expect(isValidReference(input)).toBe(true);
    // The normalised and familiar forms parse back to the same reference.
    expect(parseReference(normalized)).toEqual(withDefaultTag(ref));
    expect(parseReference(familiar)).toEqual(withDefaultTag(ref));
    expect(formatReference(parseReference(formatReference(ref)))).toBe(formatReference(ref));
  });

  it.each(INVALID)("rejects %j", (input, message) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).kind).toBe("invalid-argument");
    expect((err as BerthError).message).toBe(message);
    expect((err as BerthError).details.reference).toBe(input);
    expect(isValidReference(input)).toBe(false);
  });
});

describe("display forms", () => {
  it("familiarName strips docker.io and library/ only where Docker does", () => {
    expect(familiarName(parseReference("busybox"))).toBe("busybox");
    expect(familiarName(parseReference("docker.io/user/repo"))).toBe("user/repo");
    expect(familiarName(parseReference("library/a/b"))).toBe("library/a/b");
    expect(familiarName(parseReference("localhost:5000/library/x"))).toBe("localhost:5000/library/x");
  });

  it("withDefaultTag leaves tagged and digested references alone", () => {
    expect(withDefaultTag(parseReference("a:1")).tag).toBe("1");
    expect(withDefaultTag(parseReference(`a@${DIGEST}`)).tag).toBeUndefined();
    expect(formatReference(parseReference("a"))).toBe("docker.io/library/a");
  });
});
