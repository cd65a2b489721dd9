import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../errors.js';

/**
 * A secret for signing L2 values: at least 32 bytes, ideally random
 * (`crypto.randomBytes(32)`, or its base64 as a string).
 *
 * @example
 * ```ts
 * const key: SigningKey = process.env.CACHE_SIGNING_KEY!;
 * ```
 */
export type SigningKey = string | Buffer;

/**
 * The `signing` option of a CacheManager: every value written to L2 carries an
 * HMAC-SHA256 over its key and its bytes, and a value whose signature does not verify is
 * never returned (it counts as a miss).
 *
 * @example
 * ```ts
 * new CacheManager({ l2, signing: { keys: [process.env.CACHE_KEY_NEW!, process.env.CACHE_KEY_OLD!] } });
 * ```
 */
export interface L2SigningOptions {
  /**
   * The secret, or several during a rotation: the first signs, every one is accepted.
   * Each is at least 32 bytes.
   */
  readonly keys: SigningKey | readonly SigningKey[];
}

/**
 * Why a value read from L2 was refused.
 *
 * @example
 * ```ts
 * cache.events.on('rejected', ({ reason }: { reason: RejectionReason }) => alert(reason));
 * ```
 */
export type RejectionReason = 'unsigned' | 'bad-signature';

const MARK = '~';
/** base64url of 32 bytes, without padding. */
const MAC_LENGTH = 43;
const MIN_KEY_BYTES = 32;
/** Separates these MACs from any other use of the same secret. */
const DOMAIN = 'reposit:l2:v1\0';

/**
 * Signs and verifies L2 texts. The MAC covers the cache key as well as the text, so a
 * valid value copied under another key does not verify there.
 *
 * Format: `~`, 43 characters of base64url HMAC-SHA256, then the text as it was.
 *
 * @example
 * ```ts
 * const signer = new L2Signer({ keys: secret });
 * const stored = signer.sign('shop:{user}:1', text);
 * signer.verify('shop:{user}:1', stored); // text
 * signer.verify('shop:{user}:2', stored); // 'bad-signature'
 * ```
 */
export class L2Signer {
  readonly #keys: readonly Buffer[];

  constructor(options: L2SigningOptions) {
    this.#keys = checkedKeys(options);
  }

  /** The text to store under `key`. */
  sign(key: string, text: string): string {
    return `${MARK}${mac(this.#keys[0]!, key, text)}${text}`;
  }

  /** The original text when the signature verifies under any key, else the reason it does not. */
  verify(key: string, stored: string): string | RejectionReason {
    if (stored.charCodeAt(0) !== 126 /* ~ */ || stored.length < 1 + MAC_LENGTH) return 'unsigned';
    const given = Buffer.from(stored.slice(1, 1 + MAC_LENGTH));
    const text = stored.slice(1 + MAC_LENGTH);
    let valid = false;
    // Every key is tried (no early exit), so timing does not tell which one matched.
    for (const secret of this.#keys) {
      const expected = Buffer.from(mac(secret, key, text));
      if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
    }
    return valid ? text : 'bad-signature';
  }
}

function mac(secret: Buffer, key: string, text: string): string {
  // The key's length first: no (key, text) pair can be re-split into another.
  return createHmac('sha256', secret)
    .update(`${DOMAIN}${key.length}:${key}\0`)
    .update(text)
    .digest('base64url');
}

function checkedKeys(options: L2SigningOptions): Buffer[] {
  const given = options?.keys;
  const list = Array.isArray(given) ? (given as readonly SigningKey[]) : given === undefined ? [] : [given];
  if (list.length === 0) {
    throw ValidationError.fromIssues('Invalid cache signing options', [
      { path: 'signing.keys', message: 'give at least one signing key', code: 'too_small' },
    ]);
  }
  return list.map((secret, index) => {
    if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
      throw ValidationError.fromIssues('Invalid cache signing key', [
        {
          path: `signing.keys.${index}`,
          message: 'a signing key is a string or a Buffer',
          code: 'invalid_type',
        },
      ]);
    }
    const bytes = Buffer.from(secret);
    if (bytes.length < MIN_KEY_BYTES) {
      // The message gives the length, never the key.
      throw ValidationError.fromIssues('Invalid cache signing key', [
        {
          path: `signing.keys.${index}`,
          message: `a signing key needs at least ${MIN_KEY_BYTES} bytes, this one has ${bytes.length}: use crypto.randomBytes(32)`,
          code: 'too_small',
        },
      ]);
    }
    return bytes;
  });
}
