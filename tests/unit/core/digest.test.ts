import { describe, expect, it } from "vitest";
import { digestFromHex, digestHex, isDigest, parseDigest, shortDigest } from "../../../src/core/digest.ts";
import { BerthError } from "../../../src/core/errors.ts";

const HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("Digest", () => {
  it("accepts sha256:<64 lowercase hex>", () => {
    expect(isDigest(`sha256:${HEX}`)).toBe(true);
    expect(parseDigest(`sha256:${HEX}`)).toBe(`sha256:${HEX}`);
    expect(digestHex(parseDigest(`sha256:${HEX}`))).toBe(HEX);
    expect(digestFromHex(HEX)).toBe(`sha256:${HEX}`);
    expect(shortDigest(parseDigest(`sha256:${HEX}`))).toBe("e3b0c44298fc");
  });

  it.each([
    [HEX, /expected "sha256:<64 hex digits>"/],
    [`sha512:${HEX}`, /unsupported algorithm "sha512"/],
    [`sha256:${HEX.slice(1)}`, /expected 64 hex digits, got 63/],
    [`sha256:${HEX.toUpperCase()}`, /must be lowercase/],
    [`sha256:${HEX.slice(1)}g`, /\[0-9a-f\]/],
    ["", /expected "sha256/],
    [` sha256:${HEX}`, /unsupported algorithm/],
  ])("rejects %j", (value, message) => {
    expect(isDigest(value)).toBe(false);
    let err: unknown;
    try {
      parseDigest(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).kind).toBe("invalid-argument");
    expect((err as BerthError).message).toMatch(message);
  });

  it("isDigest is false for non-strings", () => {
    expect(isDigest(undefined)).toBe(false);
    expect(isDigest(42)).toBe(false);
    expect(() => digestFromHex("xyz")).toThrow(BerthError);
  });
});
