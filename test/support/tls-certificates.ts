import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A throwaway certificate authority and a server certificate it signed (for `localhost`
 * and `127.0.0.1`), plus an unrelated CA for "wrong CA" tests; made by openssl in a temp
 * directory.
 *
 * @example
 * ```ts
 * const certs = await TestCertificates.create();
 * spawn('redis-server', ['--tls-cert-file', certs.serverCertPath, ...]);
 * const redis = new Redis({ tls: { ca: certs.caCert } });
 * await certs.remove();
 * ```
 */
export class TestCertificates {
  readonly dir: string;
  readonly caCert: string;
  readonly otherCaCert: string;

  private constructor(dir: string, caCert: string, otherCaCert: string) {
    this.dir = dir;
    this.caCert = caCert;
    this.otherCaCert = otherCaCert;
  }

  get caCertPath(): string {
    return path.join(this.dir, 'ca.crt');
  }
  get serverCertPath(): string {
    return path.join(this.dir, 'server.crt');
  }
  get serverKeyPath(): string {
    return path.join(this.dir, 'server.key');
  }

  /** Generates the certificates; `owner` (an OS user) gets the directory, for servers that check key ownership. */
  static async create(options: { owner?: string } = {}): Promise<TestCertificates> {
    const dir = await mkdtemp(path.join(tmpdir(), 'reposit-tls-'));
    const at = (name: string) => path.join(dir, name);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await run('openssl', [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      at('ca.key'),
      '-out',
      at('ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=reposit test CA',
    ]);
    await run('openssl', [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      at('other-ca.key'),
      '-out',
      at('other-ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=reposit unrelated CA',
    ]);
    await run('openssl', [
      'req',
      ...ec,
      '-keyout',
      at('server.key'),
      '-out',
      at('server.csr'),
      '-subj',
      '/CN=localhost',
    ]);
    await writeFile(at('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      at('server.csr'),
      '-CA',
      at('ca.crt'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at('server.crt'),
      '-days',
      '2',
      '-extfile',
      at('server.ext'),
    ]);
    if (options.owner !== undefined) {
      await run('chown', ['-R', options.owner, dir]);
      await run('chmod', ['0600', at('server.key')]);
    }
    return new TestCertificates(
      dir,
      await readFile(at('ca.crt'), 'utf8'),
      await readFile(at('other-ca.crt'), 'utf8'),
    );
  }

  /** Deletes the directory. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
