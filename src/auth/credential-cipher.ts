import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { imageError } from "../errors.ts";
import type { Credentials } from "./types.ts";

// iSulad's `auth` blob (isulad-behaviour §4.3): base64(iv || AES-256-CFB128(key, iv,
// base64("user:pass"))), where the key is the 32 ASCII bytes of `aeskey` and the IV is 8 random
// bytes written as 16 lowercase hex characters. No padding: CFB is a stream mode.

const CIPHER = "aes-256-cfb";
const IV_LENGTH = 16;

/** A fresh `aeskey` value: 16 random bytes as 32 lowercase hex characters. */
export function newAesKey(): Buffer {
  return Buffer.from(randomBytes(16).toString("hex"), "ascii");
}

/** A fresh IV as iSulad makes it: 8 random bytes as 16 lowercase hex characters. */
export function newIv(): Buffer {
  return Buffer.from(randomBytes(8).toString("hex"), "ascii");
}

/**
 * Encrypts credentials into an `auth` value. `iv` is for tests with fixed vectors; it must be
 * 16 bytes. The key must be 32 bytes. Throws `InvalidArgument` for a bad key or IV length.
 */
export function encryptAuth(creds: Credentials, key: Buffer, iv: Buffer = newIv()): string {
  checkLengths(key, iv);
  const plain = Buffer.from(`${creds.username}:${creds.password}`, "utf8").toString("base64");
  const cipher = createCipheriv(CIPHER, key, iv);
  const ct = Buffer.concat([cipher.update(plain, "ascii"), cipher.final()]);
  return Buffer.concat([iv, ct]).toString("base64");
}

/**
 * Decrypts an `auth` value. The user name ends at the FIRST `:`, so passwords may contain `:`
 * (iSulad refuses them; DESIGN §5). Throws `InvalidArgument` ("invalid auth format") for a
 * value that does not decode; the message never contains any part of the secret.
 */
export function decryptAuth(auth: string, key: Buffer): Credentials {
  const raw = Buffer.from(auth, "base64");
  if (raw.length <= IV_LENGTH) throw invalidFormat();
  const iv = raw.subarray(0, IV_LENGTH);
  checkLengths(key, iv);
  const decipher = createDecipheriv(CIPHER, key, iv);
  const b64 = Buffer.concat([decipher.update(raw.subarray(IV_LENGTH)), decipher.final()]);
  const text = b64.toString("latin1");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw invalidFormat();
  const plain = Buffer.from(text, "base64").toString("utf8");
  const colon = plain.indexOf(":");
  if (colon <= 0 || colon === plain.length - 1) throw invalidFormat();
  return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
}

function checkLengths(key: Buffer, iv: Buffer): void {
  if (key.length !== 32) throw imageError("InvalidArgument", "aeskey must be 32 bytes");
  if (iv.length !== IV_LENGTH) throw imageError("InvalidArgument", "auth IV must be 16 bytes");
}

function invalidFormat() {
  return imageError("InvalidArgument", "invalid auth format");
}
