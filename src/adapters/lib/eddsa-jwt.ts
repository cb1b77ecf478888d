import { type KeyObject, sign, verify } from 'node:crypto';

/**
 * Compact JWS with EdDSA (Ed25519, RFC 8037) on node:crypto. jsonwebtoken 9 (through jwa 2) has no
 * EdDSA, so `DefaultLib` signs and verifies EdDSA tokens here and every other algorithm with
 * jsonwebtoken. The checks mirror jsonwebtoken's: exactly one accepted `alg`, signature, `exp`, `nbf`,
 * `iss`, `aud`.
 */

export interface EdDsaVerifyOptions {
  issuer: string;
  audience: string;
  /** Current time in seconds since the epoch. */
  nowSeconds: number;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Signs `payload` (already holding every claim) as a compact JWS with `alg: EdDSA`. */
export function signEdDsaJwt(payload: Record<string, unknown>, privateKey: KeyObject, keyId: string | null): string {
  const header = keyId === null ? { alg: 'EdDSA', typ: 'JWT' } : { alg: 'EdDSA', typ: 'JWT', kid: keyId };
  const signingInput = `${encodeJson(header)}.${encodeJson(payload)}`;
  const signature = sign(null, Buffer.from(signingInput, 'ascii'), privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** Returns the payload of a valid EdDSA token, or null for anything else (never throws). */
export function verifyEdDsaJwt(
  token: string,
  publicKey: KeyObject,
  options: EdDsaVerifyOptions,
): Record<string, unknown> | null {
  try {
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return null;
    const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
    const header = decodeJsonObject(encodedHeader);
    // Pinning the algorithm rules out `none` and algorithm confusion; RFC 7515 §4.1.11 requires
    // rejecting tokens whose `crit` extensions are not understood, and none are.
    if (header?.alg !== 'EdDSA' || header.crit !== undefined) return null;
    const signature = Buffer.from(encodedSignature, 'base64url');
    const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
    if (!verify(null, signingInput, publicKey, signature)) return null;
    const payload = decodeJsonObject(encodedPayload);
    if (!payload || !claimsAreCurrent(payload, options)) return null;
    return payload;
  } catch {
    return null;
  }
}

function claimsAreCurrent(payload: Record<string, unknown>, options: EdDsaVerifyOptions): boolean {
  if (typeof payload.exp !== 'number' || options.nowSeconds >= payload.exp) return false;
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || options.nowSeconds < payload.nbf)) return false;
  if (payload.iss !== options.issuer) return false;
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  return audiences.includes(options.audience);
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeJsonObject(encoded: string): Record<string, unknown> | null {
  const value: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
