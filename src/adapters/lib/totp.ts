import { customAlphabet } from 'nanoid';
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';
import type { TotpEnrolment } from '../../ports/lib';

/** An `otpauth` TOTP: what `DefaultLib.totpOf` builds and a subclass may change. */
export type TOTP = OTPAuth.TOTP;

/** The TOTP parameters of this library: SHA-1, 6 digits, 30-second steps (RFC 6238's defaults, what every app reads). */
export function totpWith(issuer: string, secret: string, accountName: string): TOTP {
  return new OTPAuth.TOTP({
    issuer,
    label: accountName,
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
}

/** 160 random bits (RFC 4226 §4 recommends them), base32. */
export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

/** The secret, its `otpauth://` URI and the URI as an SVG QR code, for the enrolment answer. */
export async function enrolmentOf(totp: TOTP): Promise<TotpEnrolment> {
  const uri = totp.toString();
  return { secret: totp.secret.base32, uri, qrCodeSvg: await QRCode.toString(uri, { type: 'svg' }) };
}

/** The 30-second step whose code `code` is, one step of skew either way (RFC 6238 §5.2), or null. */
export function matchingStep(totp: TOTP, code: string, at: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp.validate({ token: code, timestamp: at.getTime(), window: 1 });
  return delta === null ? null : Math.floor(at.getTime() / (totp.period * 1000)) + delta;
}

/** Recovery codes: no 0/o, 1/l/i, so they read back from paper without doubt. */
const randomRecoveryCode = customAlphabet('23456789abcdefghjkmnpqrstuvwxyz', 16);

/** 16 characters of a 31-character alphabet (79 bits) in groups of four: `7k2m-q9xd-4hfz-p3wr`. */
export function newRecoveryCode(): string {
  return randomRecoveryCode().match(/.{4}/g)!.join('-');
}
