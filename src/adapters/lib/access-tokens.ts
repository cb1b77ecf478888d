import jwt from 'jsonwebtoken';
import type { AuthMethod } from '../../ports/entities';
import type { AccessTokenInput } from '../../ports/lib';
import { signEdDsaJwt, verifyEdDsaJwt } from './eddsa-jwt';
import type { TokenAlgorithm, TokenKeys } from './token-keys';

/** What every access token of one `DefaultLib` shares. */
export interface JwtSettings {
  algorithm: TokenAlgorithm;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/**
 * RFC 8176 authentication method references: a password, a one-time code sent by email, or either
 * followed by a second factor (`mfa`: a TOTP or a recovery code).
 */
const AMR_OF: Readonly<Record<AuthMethod, string>> = Object.freeze({ password: 'pwd', code: 'otp', mfa: 'mfa' });

/**
 * The access token JWT: `sub`, `sid`, `roles`, `auth_time`, `amr`, optional `cid`, `iat`/`exp` from
 * `now`, `jti`, `iss`, `aud`, and the signer's `kid`. EdDSA goes through node:crypto
 * (jsonwebtoken 9 does not sign it); the rest through jsonwebtoken with a `KeyObject`.
 */
export function signJwt(
  settings: JwtSettings,
  signer: TokenKeys,
  claims: AccessTokenInput,
  jti: string,
  now: Date,
): string {
  const iat = Math.floor(now.getTime() / 1000);
  const custom: Record<string, unknown> = {
    sid: claims.sessionId,
    roles: [...claims.roles],
    auth_time: Math.floor(claims.authenticatedAt.getTime() / 1000),
    amr: [AMR_OF[claims.authMethod]],
  };
  if (claims.clientId !== null) custom.cid = claims.clientId;
  if (settings.algorithm === 'EdDSA') {
    const payload = {
      ...custom,
      iat,
      exp: iat + settings.ttlSeconds,
      aud: settings.audience,
      iss: settings.issuer,
      sub: claims.userId,
      jti,
    };
    return signEdDsaJwt(payload, signer.signingKey, signer.keyId);
  }
  return jwt.sign({ ...custom, iat }, signer.signingKey, {
    algorithm: settings.algorithm,
    expiresIn: settings.ttlSeconds,
    issuer: settings.issuer,
    audience: settings.audience,
    subject: claims.userId,
    jwtid: jti,
    ...(signer.keyId === null ? {} : { keyid: signer.keyId }),
  });
}

/**
 * The payload of a token whose signature (by `verifier`), algorithm (only the configured one: no
 * `none`, no HS256 with a public key), `exp`/`nbf` at `now`, `iss` and `aud` check out; null for
 * any failure, whatever the cause. The claim shapes are the caller's to check.
 */
export function verifyJwt(settings: JwtSettings, verifier: TokenKeys, token: string, now: Date): unknown | null {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (settings.algorithm === 'EdDSA') {
    return verifyEdDsaJwt(token, verifier.verificationKey, {
      issuer: settings.issuer,
      audience: settings.audience,
      nowSeconds,
    });
  }
  try {
    return jwt.verify(token, verifier.verificationKey, {
      algorithms: [settings.algorithm],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTimestamp: nowSeconds,
    });
  } catch {
    return null;
  }
}
