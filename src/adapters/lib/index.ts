export {
  DefaultLib,
  type DefaultLibOptions,
  ID_PREFIXES,
  type PasswordOptions,
} from './default-lib';
export {
  ConsoleEmailer,
  type ConsoleEmailerOptions,
  type Emailer,
  type EmailMessage,
  MultiEmailer,
  OutboxEmailer,
  RecordingEmailer,
} from './emailers';
export { ManualClock } from './manual-clock';
export {
  BCRYPT_MAX_INPUT_BYTES,
  COMMON_PASSWORD_COUNT,
  normalizePassword,
  PASSWORD_PREHASH_KEY,
} from './passwords';
export { SigningKeySet } from './signing-keys';
export {
  type AsymmetricAlgorithm,
  type AsymmetricTokenOptions,
  type DefaultLibTokenOptions,
  generateHs256Secret,
  jwkThumbprint,
  MIN_HS256_SECRET_BYTES,
  type NextSigningKeyOptions,
  type SymmetricTokenOptions,
  type TokenAlgorithm,
  type TokenKeys,
} from './token-keys';
