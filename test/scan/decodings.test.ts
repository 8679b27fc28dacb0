import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanRepository } from '../../src/commands/scan.js';
import { parseScanArgs } from '../../src/settings.js';
import { makeKeyId, makeSecret } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

type Files = Record<string, Buffer>;

/**
 * How a file reaches the scan: a plain directory, the staged files, a pushed range, a full history of
 * loose objects, and a full history packed by `git gc` in which the leaking version is stored as a delta
 * of a clean one (the pack reader searches only what the delta inserts).
 */
const MODES = ['--no-git', '--staged', '--range', '--all', '--all (packed)'] as const;
type Mode = (typeof MODES)[number];

/** Lines of filler before the leak, so that a packed history stores the leaking version as a delta. */
const FILLER = Array.from({ length: 120 }, (_, i) => `# setting ${i}: left as the vendor shipped it`);

async function scan(mode: Mode, files: Files, clean: Files) {
  let dir: string;
  let flags: string[];
  if (mode === '--no-git') {
    dir = mkdtempSync(join(tmpdir(), 'keyleak-decodings-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), c);
    }
    flags = ['--no-git'];
  } else {
    const repo = TestRepo.create();
    cleanups.push(() => repo.cleanup());
    repo.commit('vendor defaults', clean);
    dir = repo.dir;
    if (mode === '--staged') {
      for (const [p, c] of Object.entries(files)) repo.write(p, c);
      repo.git('add', '-A');
      flags = ['--staged'];
    } else {
      repo.commit('configure the deployment', files);
      if (mode === '--all (packed)') repo.git('gc', '-q', '--aggressive');
      flags = mode === '--range' ? ['--range', 'HEAD~1..HEAD'] : ['--all'];
    }
  }
  return scanRepository(parseScanArgs(['--repo', dir, ...flags], { cwd: dir, isTTY: false }));
}

const utf16le = (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]);
const utf16beNoBom = (t: string) => Buffer.from(t, 'utf16le').swap16();
const b64 = (t: string) => Buffer.from(t).toString('base64');
const jsonEscape = (t: string) =>
  [...t].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
const htmlEntities = (t: string) =>
  [...t].map((c, i) => (i % 2 ? `&#${c.charCodeAt(0)};` : `&#x${c.charCodeAt(0).toString(16)};`)).join('');

interface Case {
  name: string;
  path: string;
  /** The file with the key (`keyId`, `secret`) and the same file before it leaked. */
  build: (keyId: string, secret: string) => { leaked: Buffer; clean: Buffer };
  /** The line a person sees the key on. */
  line: number;
  /** Whether the key's secret is found with it. */
  paired: boolean;
}

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

const cases: Case[] = [
  {
    name: 'a registry export (UTF-16 LE with a byte-order mark, CRLF)',
    path: 'windows/deploy-user.reg',
    build: (id, secret) => {
      const head = [
        'Windows Registry Editor Version 5.00',
        '',
        '[HKEY_CURRENT_USER\\Software\\Acme\\Deploy]',
      ];
      const filler = FILLER.map((l, i) => `"Option${i}"="${l.slice(2)}"`);
      return {
        leaked: utf16le(crlf([...head, `"AccessKeyId"="${id}"`, `"SecretAccessKey"="${secret}"`, ...filler])),
        clean: utf16le(crlf([...head, '"AccessKeyId"=""', '"SecretAccessKey"=""', ...filler])),
      };
    },
    line: 4,
    paired: true,
  },
  {
    name: 'a PowerShell script saved as UTF-16 BE without a byte-order mark',
    path: 'scripts/Set-DeployCredentials.ps1',
    build: (id, secret) => {
      const text = (a: string, b: string) =>
        crlf([
          '# Sets the deployment credentials',
          ...FILLER,
          `$env:AWS_ACCESS_KEY_ID = "${a}"`,
          `$env:AWS_SECRET_ACCESS_KEY = "${b}"`,
        ]);
      return { leaked: utf16beNoBom(text(id, secret)), clean: utf16beNoBom(text('', '')) };
    },
    line: FILLER.length + 2,
    paired: true,
  },
  {
    name: 'a JSON settings file whose key is written in \\u escapes',
    path: 'config/settings.json',
    build: (id, secret) => {
      const text = (a: string, b: string) =>
        `{\n  "notes": ${JSON.stringify(FILLER)},\n  "storage": {\n    "id": "${a}",\n    "secret": "${b}"\n  }\n}\n`;
      return {
        leaked: Buffer.from(text(jsonEscape(id), secret.replace(/\//g, '\\/'))),
        clean: Buffer.from(text('', '')),
      };
    },
    line: 4,
    paired: true,
  },
  {
    name: 'an HTML page with the key in numeric entities and the secret with named ones',
    path: 'site/support/troubleshooting.html',
    build: (id, secret) => {
      const text = (a: string, b: string) =>
        `<!doctype html>\n<html>\n<body>\n${FILLER.map((l) => `<p>${l}</p>`).join('\n')}\n<dl>\n<dt>Access key</dt><dd>${a}</dd>\n<dt>Secret</dt><dd>${b}</dd>\n</dl>\n</body>\n</html>\n`;
      return {
        leaked: Buffer.from(text(htmlEntities(id), secret.replace(/\//g, '&sol;').replace(/\+/g, '&plus;'))),
        clean: Buffer.from(text('', '')),
      };
    },
    line: FILLER.length + 5,
    paired: true,
  },
  {
    name: 'a Kubernetes Secret holding an AWS credentials file in base64',
    path: 'k8s/aws-credentials.yaml',
    build: (id, secret) => {
      const text = (data: string) =>
        `${FILLER.join('\n')}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: aws-credentials\ntype: Opaque\ndata:\n  credentials: ${data}\n`;
      return {
        leaked: Buffer.from(
          text(b64(`[default]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\n`)),
        ),
        clean: Buffer.from(text(b64('[default]\nregion = eu-west-1\n'))),
      };
    },
    line: FILLER.length + 7,
    paired: true,
  },
  {
    name: 'a .dockerconfigjson whose auth is the key id and secret in base64',
    path: 'deploy/.dockerconfigjson',
    build: (id, secret) => {
      const text = (auth: string) =>
        `{\n  "_comment": ${JSON.stringify(FILLER)},\n  "auths": {\n    "registry.internal.example:5000": {\n      "auth": "${auth}"\n    }\n  }\n}\n`;
      return {
        leaked: Buffer.from(text(b64(`${id}:${secret}`))),
        clean: Buffer.from(text(b64('robot:changeme'))),
      };
    },
    line: 5,
    paired: true,
  },
];

describe.each(MODES)('decoded files (%s)', (mode) => {
  it.each(cases)(
    '$name',
    async (c) => {
      const [keyId, secret] = [makeKeyId(), makeSecret()];
      const { leaked, clean } = c.build(keyId, secret);
      const { report, secrets } = await scan(mode, { [c.path]: leaked }, { [c.path]: clean });
      expect(report.findings.map((f) => [f.keyId, f.locations.map((l) => `${l.path}:${l.line}`)])).toEqual([
        [keyId, [`${c.path}:${c.line}`]],
      ]);
      expect(secrets.get(keyId)?.secrets[0] ?? null).toBe(c.paired ? secret : null);
      expect(report.incomplete).toBe(false);
    },
    30_000,
  );
});
