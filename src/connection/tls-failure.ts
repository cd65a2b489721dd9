/** Node's TLS error codes and OpenSSL's certificate verification codes. */
const TLS_FAILURE_CODE =
  /^(ERR_TLS_|ERR_SSL_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|CERT_|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE)/;

/**
 * Whether an error code says a TLS handshake failed (an unknown CA, a wrong host name,
 * an expired certificate): a setting to fix, not a failure to retry.
 *
 * @example
 * ```ts
 * isTlsFailureCode('SELF_SIGNED_CERT_IN_CHAIN'); // true
 * isTlsFailureCode('ECONNREFUSED'); // false
 * ```
 */
export function isTlsFailureCode(code: unknown): boolean {
  return typeof code === 'string' && TLS_FAILURE_CODE.test(code);
}
