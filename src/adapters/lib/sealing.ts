import { type CipherKey, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets stored encrypted (`Lib.sealSecret`: TOTP secrets): AES-256-GCM with a random 96-bit IV and
 * `context` as additional data, written `v1.<iv>.<ciphertext>.<tag>` (base64url). The additional
 * data binds a sealed value to what it belongs to (a user id), so a row copied onto another user
 * does not open.
 */
export function sealWith(key: CipherKey, secret: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv, sealed, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** The secret `sealWith` sealed, or null for anything not sealed under this key and `context`, or altered. */
export function openWith(key: CipherKey, sealed: string, context: string): string | null {
  const [version, iv, ciphertext, tag, ...rest] = sealed.split('.');
  if (version !== 'v1' || iv === undefined || ciphertext === undefined || tag === undefined || rest.length > 0) {
    return null;
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
