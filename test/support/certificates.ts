import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its key as files (for weep and the gateway) and as PEM text (for Node clients). */
export interface IssuedCertificate {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

export interface CertificateRequest {
  /** File name stem inside the CA's folder. */
  name: string;
  /** An openssl -subj string: `/CN=alice@example.com/OU=payments`. */
  subject: string;
  /** subjectAltName entries: `IP:127.0.0.1`, `email:alice@example.com`. */
  altNames?: string[];
  /** serverAuth for the gateway's own certificate; clientAuth (the default) for users. */
  usage?: 'server' | 'client';
  /** Validity window; default from a minute ago to a day ahead. */
  notBefore?: Date;
  notAfter?: Date;
}

/** A certificate authority made with the openssl CLI, as an operator would make one. */
export interface TestCertificateAuthority extends IssuedCertificate {
  issue(request: CertificateRequest): Promise<IssuedCertificate>;
}

const openssl = async (args: string[], cwd: string) => {
  try {
    await run('openssl', args, { cwd });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${stderr ?? String(error)}`);
  }
};

/** `20261203171700Z`: the date form `openssl ca -startdate/-enddate` takes. */
const opensslDate = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');

const readIssued = async (certPath: string, keyPath: string): Promise<IssuedCertificate> => ({
  certPath,
  keyPath,
  cert: await readFile(certPath, 'utf8'),
  key: await readFile(keyPath, 'utf8'),
});

/**
 * Creates a CA (P-256 key, self-signed) in `dir/name`, and issues certificates with `openssl ca`, which,
 * unlike `openssl x509`, takes exact start and end dates: an expired certificate is issued, not awaited.
 */
export async function createCertificateAuthority(
  parent: string,
  name: string,
): Promise<TestCertificateAuthority> {
  const dir = join(parent, name);
  await mkdir(join(dir, 'issued'), { recursive: true });
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(join(dir, 'serial'), '1000\n');
  await writeFile(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `database = ${join(dir, 'index.txt')}`,
      `new_certs_dir = ${join(dir, 'issued')}`,
      `certificate = ${join(dir, 'ca.crt')}`,
      `private_key = ${join(dir, 'ca.key')}`,
      `serial = ${join(dir, 'serial')}`,
      'default_md = sha256',
      'policy = policy_any',
      'unique_subject = no',
      'copy_extensions = none',
      '[policy_any]',
      'commonName = supplied',
      'organizationalUnitName = optional',
      '',
    ].join('\n'),
  );
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    [
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const ca = await readIssued(join(dir, 'ca.crt'), join(dir, 'ca.key'));
  return {
    ...ca,
    async issue(request) {
      const stem = request.name;
      const extensions = [
        'basicConstraints = CA:FALSE',
        'keyUsage = critical,digitalSignature',
        `extendedKeyUsage = ${request.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
        ...(request.altNames?.length ? [`subjectAltName = ${request.altNames.join(',')}`] : []),
      ];
      await writeFile(join(dir, `${stem}.ext`), `[ext]\n${extensions.join('\n')}\n`);
      await openssl(
        ['req', '-new', ...ecKey, '-keyout', `${stem}.key`, '-out', `${stem}.csr`, '-subj', request.subject],
        dir,
      );
      const notBefore = request.notBefore ?? new Date(Date.now() - 60_000);
      const notAfter = request.notAfter ?? new Date(Date.now() + 86_400_000);
      await openssl(
        [
          'ca',
          '-batch',
          '-notext',
          '-config',
          'ca.cnf',
          '-in',
          `${stem}.csr`,
          '-out',
          `${stem}.crt`,
          '-startdate',
          opensslDate(notBefore),
          '-enddate',
          opensslDate(notAfter),
          '-extfile',
          `${stem}.ext`,
          '-extensions',
          'ext',
        ],
        dir,
      );
      return readIssued(join(dir, `${stem}.crt`), join(dir, `${stem}.key`));
    },
  };
}
