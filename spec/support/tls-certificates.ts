import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A certificate authority made for one test, and a server certificate it signs for 127.0.0.1:
 * what a TLS redis-server needs, made with the machine's openssl in a temp dir. Nothing is
 * reused across runs and nothing leaves the machine.
 */
export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA in PEM, for a client's `tls.ca`. */
  readonly caPem: string;
  /** Another CA's PEM, which did not sign the server's certificate (the wrong-CA case). */
  readonly otherCaPem: string;
  remove(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, 'genrsa', '-out', `${name}.key`, '2048');
  openssl(
    dir,
    'req',
    '-x509',
    '-new',
    '-nodes',
    '-key',
    `${name}.key`,
    '-sha256',
    '-days',
    '1',
    '-subj',
    `/CN=cache-aside test ${name}`,
    '-out',
    `${name}.crt`,
  );
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'cache-aside-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  openssl(dir, 'genrsa', '-out', 'server.key', '2048');
  openssl(dir, 'req', '-new', '-key', 'server.key', '-subj', '/CN=127.0.0.1', '-out', 'server.csr');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-sha256',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  );
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    otherCaPem: readFileSync(join(dir, 'other-ca.crt'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** redis-server arguments that add a TLS port beside the plain one (the launcher PINGs the plain one). */
export function tlsServerArgs(certs: TestCertificates, tlsPort: number): string[] {
  return [
    '--tls-port',
    String(tlsPort),
    '--tls-cert-file',
    certs.certFile,
    '--tls-key-file',
    certs.keyFile,
    '--tls-ca-cert-file',
    certs.caFile,
    '--tls-auth-clients',
    'no',
  ];
}
