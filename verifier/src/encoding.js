// Byte helpers with the same strictness as traceability.signing._encoding: one byte
// string has exactly one accepted text form, so two different-looking bundles cannot
// carry the same signature or key.

const B64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const utf8Encoder = new TextEncoder();

export function utf8(text) {
  return utf8Encoder.encode(text);
}

export function b64urlEncode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) out += ALPHABET[(chunk >> (18 - 6 * j)) & 63];
  }
  return out;
}

/** Decode unpadded base64url; throws on padding, whitespace, bad length or stray bits. */
export function b64urlDecode(text) {
  if (typeof text !== 'string' || !B64URL.test(text)) throw new Error('not unpadded base64url text');
  if (text.length % 4 === 1) throw new Error('base64url text has an impossible length');
  const bytes = new Uint8Array(Math.floor((text.length * 6) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of text) {
    buffer = (buffer << 6) | ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[index++] = (buffer >> bits) & 0xff;
    }
  }
  if (b64urlEncode(bytes) !== text) throw new Error('base64url text has non-zero padding bits');
  return bytes;
}

export function toHex(bytes) {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** Lowercase hex (optionally 0x-prefixed) to bytes; throws on anything else. */
export function fromHex(text) {
  const body = typeof text === 'string' && text.startsWith('0x') ? text.slice(2) : text;
  if (typeof body !== 'string' || body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new Error(`not hex: ${String(text).slice(0, 80)}`);
  }
  const bytes = new Uint8Array(body.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(body.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** A 32-byte value as 0x-prefixed lowercase hex, from bare or prefixed hex. */
export function word(text) {
  const bytes = fromHex(text);
  if (bytes.length !== 32) throw new Error(`expected 32 bytes, got ${bytes.length}`);
  return `0x${toHex(bytes)}`;
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesToBigInt(bytes) {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

export function bigIntToBytes(value, length) {
  return fromHex(value.toString(16).padStart(length * 2, '0'));
}
