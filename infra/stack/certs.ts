// Throw-away TLS material for a test broker, made with the openssl on PATH: a CA, and a broker
// certificate it signs for 127.0.0.1 and localhost (IP and DNS subject alternative names, so
// clients that verify host names accept it). Kafka reads both as PEM (ssl.keystore.type=PEM,
// KIP-651), so no Java keystore or keystore password is involved. The broker certificate is
// also the broker's client certificate towards its own controller listener (mutual TLS), which
// is why it allows clientAuth as well as serverAuth.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StackError } from './errors.ts';
import { runTool } from './tools.ts';

export interface TestCertificates {
  /** PEM CA certificate: what clients trust (kafka.ssl.ca / caFile). */
  readonly caFile: string;
  readonly caPem: string;
  /** PEM private key (PKCS#8, unencrypted) followed by the broker's certificate chain. */
  readonly keystoreFile: string;
  /** The broker certificate's subject, as Kafka's default principal builder names it (User:<dn>). */
  readonly brokerDn: string;
}

export interface CertificateOptions {
  readonly dir: string;
  /** Subject alternative names of the broker certificate. */
  readonly ips?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly days?: number;
  /** openssl's output goes here. */
  readonly logFile: string;
}

async function openssl(args: readonly string[], cwd: string, logFile: string): Promise<void> {
  let result;
  try {
    result = await runTool('openssl', args, { cwd, logFile });
  } catch (cause) {
    throw new StackError('bootstrap_failed', 'no `openssl` on PATH: it makes the test certificates (apt-get install openssl)', { cause });
  }
  if (result.code !== 0) throw new StackError('bootstrap_failed', `openssl ${args[0] ?? ''} failed (exit ${result.code}); see ${logFile}`);
}

export async function makeTestCertificates(opts: CertificateOptions): Promise<TestCertificates> {
  const dir = opts.dir;
  await mkdir(dir, { recursive: true });
  const days = String(opts.days ?? 7);
  const brokerDn = 'CN=switchyard-test-broker';
  const run = (args: readonly string[]): Promise<void> => openssl(args, dir, opts.logFile);
  await run([
    'req', '-x509', '-newkey', 'rsa:2048', '-noenc', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', days,
    '-subj', '/CN=switchyard-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run(['req', '-newkey', 'rsa:2048', '-noenc', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', `/${brokerDn}`]);
  const sans = [...(opts.ips ?? ['127.0.0.1']).map((ip) => `IP:${ip}`), ...(opts.dnsNames ?? ['localhost']).map((d) => `DNS:${d}`)];
  await writeFile(
    join(dir, 'broker.ext'),
    [`subjectAltName=${sans.join(',')}`, 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth,clientAuth', ''].join('\n'),
  );
  await run(['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem', '-days', days, '-extfile', 'broker.ext']);
  const [key, cert, caPem] = await Promise.all(['broker.key', 'broker.pem', 'ca.pem'].map((f) => readFile(join(dir, f), 'utf8')));
  const keystoreFile = join(dir, 'broker-keystore.pem');
  await writeFile(keystoreFile, `${key!.trim()}\n${cert!.trim()}\n${caPem!.trim()}\n`, { mode: 0o600 });
  await Promise.all(['ca.key', 'broker.key'].map((f) => chmod(join(dir, f), 0o600)));
  return { caFile: join(dir, 'ca.pem'), caPem: caPem!, keystoreFile, brokerDn };
}
