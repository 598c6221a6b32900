// SM2 verification (GB/T 32918.2) over sm2p256v1, matching traceability.signing._sm2:
// e = SM3(Z_A ‖ M) with the default user ID, a raw 64-byte r ‖ s signature, and a SEC1
// public key (65 bytes uncompressed or 33 compressed) that must lie on the curve.
// The point arithmetic is @noble/curves' generic Weierstrass code; SM2's verification
// equation differs from ECDSA's, so it is written out here.
import { weierstrass } from '@noble/curves/abstract/weierstrass.js';

import { bigIntToBytes, bytesToBigInt, concatBytes, utf8 } from './encoding.js';
import { sm3 } from './hashes.js';

const CURVE = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};
const Point = weierstrass(CURVE);

/** The user ID every common implementation uses when none is agreed (GM/T 0009). */
export const DEFAULT_USER_ID = utf8('1234567812345678');

function field(value) {
  return bigIntToBytes(value, 32);
}

/** Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ xA ‖ yA). */
export function sm2Z(point, userId = DEFAULT_USER_ID) {
  const { x, y } = point.toAffine();
  const entl = new Uint8Array([(userId.length * 8) >> 8, (userId.length * 8) & 0xff]);
  return sm3(
    concatBytes(entl, userId, field(CURVE.a), field(CURVE.b), field(CURVE.Gx), field(CURVE.Gy), field(x), field(y)),
  );
}

/** Parse a SEC1 point; throws when it has the wrong length or is not on the curve. */
export function sm2PublicKey(bytes) {
  if (bytes.length !== 65 && bytes.length !== 33) {
    throw new Error('SM2 public key must be a 65-byte uncompressed or 33-byte compressed point');
  }
  const point = Point.fromBytes(bytes);
  point.assertValidity();
  return point;
}

/** Tell whether the 64-byte r ‖ s `signature` is valid for `message` under `publicKey` bytes. */
export function sm2Verify(signature, message, publicKey) {
  if (signature.length !== 64) return false;
  const P = sm2PublicKey(publicKey);
  const { n } = CURVE;
  const r = bytesToBigInt(signature.subarray(0, 32));
  const s = bytesToBigInt(signature.subarray(32));
  if (!(r > 0n && r < n && s > 0n && s < n)) return false;
  const e = bytesToBigInt(sm3(concatBytes(sm2Z(P), message)));
  const t = (r + s) % n;
  if (t === 0n) return false;
  const sum = Point.BASE.multiply(s).add(P.multiply(t));
  if (sum.is0()) return false;
  return (e + sum.toAffine().x) % n === r;
}
