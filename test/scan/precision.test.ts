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

type Files = Record<string, string | Buffer>;

/** Scans `files` as a plain directory (`--no-git`) or as one commit of a real repository (`--all`). */
async function scanFiles(mode: '--no-git' | '--all', files: Files) {
  let dir: string;
  if (mode === '--no-git') {
    dir = mkdtempSync(join(tmpdir(), 'keyleak-precision-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), c);
    }
  } else {
    const repo = TestRepo.create();
    cleanups.push(() => repo.cleanup());
    repo.commit('add files', files);
    dir = repo.dir;
  }
  const s = parseScanArgs(['--repo', dir, mode], { cwd: dir, isTTY: false });
  return scanRepository(s);
}

const redacted = (s: string) => s.slice(0, 4) + '*'.repeat(36);

interface Case {
  name: string;
  /** The modes the case holds in (default: both). */
  modes?: ('--no-git' | '--all')[];
  build: () => {
    files: Files;
    /** Key id → the secret it must be reported with first (null: none). */
    reported: Record<string, string | null>;
    /** What differs without git: no commit ties files together. */
    reportedNoGit?: Record<string, string | null>;
    /** Key id → suppression reason. */
    suppressed?: Record<string, string>;
    /** Key id → where it must be located. */
    at?: Record<string, { path: string; line: number }>;
  };
}

const cases: Case[] = [
  {
    name: 'a documentation path and a model name in the same commit never pair',
    build: () => {
      const a = makeKeyId();
      const b = makeKeyId();
      return {
        files: {
          'doc/examples/opsworks.rst': `Output::\n\n  "AccessKeyId": "${a}"\n  See http://docs.aws.amazon.com/AmazonS3/latest/dev/UploadingObjects.html\n`,
          'botocore/data/aws/rds.json': `{"${b}": 1, "output": {"shape": "x/AuthorizeDBSecurityGroupIngressResponse"}}\n`,
          'botocore/data/aws/cf.xml': `<x>ListDistributionsByRealtimeLogConfig2020</x>\n<y>/GetIdentityVerificationAttributesResult</y>\n`,
        },
        reported: { [a]: null, [b]: null },
      };
    },
  },
  {
    name: "two keys in one commit: each gets its own secret, never the other's",
    build: () => {
      const a = makeKeyId();
      const sa = makeSecret();
      const b = makeKeyId();
      const sb = makeSecret();
      return {
        files: {
          'deploy/a.sh': `export AWS_ACCESS_KEY_ID=${a}\nexport KEY=${sa}\n`,
          'config/b.yml': `access_key_id: ${b}\nregion: eu-west-1\n`,
          'config/b-secret.ini': `[default]\naws_secret_access_key = ${sb}\n`,
        },
        reported: { [a]: sa, [b]: sb },
        reportedNoGit: { [a]: sa, [b]: null },
      };
    },
  },
  {
    name: 'a secret on the line of one id is not offered to an id far below',
    build: () => {
      const a = makeKeyId();
      const sa = makeSecret();
      const b = makeKeyId();
      return {
        files: { 'keys.csv': `${a},${sa}\n${'filler line\n'.repeat(5000)}owner=${b}\n` },
        reported: { [a]: sa, [b]: null },
      };
    },
  },
  {
    name: '.env with two pairs: each secret goes to the id above it',
    build: () => {
      const [a, b] = [makeKeyId(), makeKeyId()];
      const [sa, sb] = [makeSecret(), makeSecret()];
      return {
        files: {
          '.env.prod': `AWS_ACCESS_KEY_ID=${a}\nAWS_SECRET_ACCESS_KEY=${sa}\nAWS_ACCESS_KEY_ID=${b}\nAWS_SECRET_ACCESS_KEY=${sb}\n`,
        },
        reported: { [a]: sa, [b]: sb },
      };
    },
  },
  {
    name: 'a labelled secret in another file beats an unlabelled run next to the key id',
    build: () => {
      const a = makeKeyId();
      const labelled = makeSecret();
      const checksum = makeSecret();
      return {
        files: {
          'app/settings.py': `KEY_ID = "${a}"\nCHECKSUM = "${checksum}"\n`,
          'app/secrets.env': `AWS_SECRET_ACCESS_KEY=${labelled}\n`,
        },
        reported: { [a]: labelled },
        reportedNoGit: { [a]: checksum },
      };
    },
  },
  {
    name: 'documentation keys: EXAMPLE anywhere in the id, or a documented secret beside it',
    build: () => {
      const withExample = 'AKIAEXAMPLE' + makeKeyId().slice(11);
      const real = makeKeyId();
      return {
        files: {
          'docs/presign.rst': `aws_access_key_id = ${withExample}\n`,
          'docs/iam.md': `aws_access_key_id = ${real}\naws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n`,
        },
        reported: {},
        suppressed: { [withExample]: 'aws-example', [real]: 'aws-example' },
      };
    },
  },
  {
    name: 'an id that should carry an account but decodes to thirteen digits is no AWS key id',
    build: () => {
      const impossible = 'AKIA77777777' + makeKeyId().slice(12);
      const older = 'AKIAB' + makeKeyId().slice(5);
      return {
        files: { 'ids.txt': `a=${impossible}\nb=${older}\n` },
        reported: { [older]: null },
        suppressed: { [impossible]: 'not-aws-key-id' },
      };
    },
  },
  {
    name: "other scanners' markers are not keyleak's unless configured",
    build: () => {
      const [a, b] = [makeKeyId(), makeKeyId()];
      return {
        files: { 'fixtures.py': `A = "${a}"  # gitleaks:allow\nB = "${b}"  # keyleak:allow\n` },
        reported: { [a]: null },
        suppressed: { [b]: 'inline-allow' },
      };
    },
  },
  {
    name: 'allow.markers adopts gitleaks:allow, trufflehog:ignore and pragma: allowlist secret',
    build: () => {
      const [a, b, c] = [makeKeyId(), makeKeyId(), makeKeyId()];
      return {
        files: {
          '.github/keyleak.yml': `allow:\n  markers: ['gitleaks:allow', 'trufflehog:ignore', 'pragma: allowlist secret']\n`,
          'fixtures.py': `A = "${a}"  # gitleaks:allow\nB = "${b}"  # trufflehog:ignore\nC = "${c}"  # pragma: allowlist secret\n`,
        },
        reported: {},
        suppressed: { [a]: 'inline-allow', [b]: 'inline-allow', [c]: 'inline-allow' },
      };
    },
  },
  {
    name: 'every JSON \\u escape and HTML entity is undone; the finding points at the original line',
    build: () => {
      const [a, b] = [makeKeyId(), makeKeyId()];
      const sa = makeSecret();
      const escaped = [...a].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
      const entities = [...b]
        .map((ch, i) => (i % 2 ? `&#${ch.charCodeAt(0)};` : `&#x${ch.charCodeAt(0).toString(16)};`))
        .join('');
      return {
        files: {
          'notebook.ipynb': `{\n "cells": [\n  {"source": ["key = \\"${escaped}\\""]},\n  {"source": ["secret = \\"${[...sa].map((ch) => (/[a-z]/.test(ch) ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch)).join('')}\\""]}\n ]\n}\n`,
          'page.html': `<html>\n<body>\n<code>${entities}</code>&nbsp;&amp;\n</body>\n`,
        },
        reported: { [a]: sa, [b]: null },
        at: { [a]: { path: 'notebook.ipynb', line: 3 }, [b]: { path: 'page.html', line: 3 } },
      };
    },
  },
  {
    name: 'UTF-16 files are decoded, little- and big-endian, with or without a BOM',
    build: () => {
      const [a, b, c] = [makeKeyId(), makeKeyId(), makeKeyId()];
      const sa = makeSecret();
      const le = (t: string) => Buffer.from(t, 'utf16le');
      const be = (t: string) => le(t).swap16();
      return {
        files: {
          'win/creds-bom.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), le(`id=${a}\r\nsecret=${sa}\r\n`)]),
          'win/creds-nobom.txt': le(`# exported\r\nid=${b}\r\n`),
          'mac/creds-be.txt': Buffer.concat([Buffer.from([0xfe, 0xff]), be(`x\ny\nid=${c}\n`)]),
        },
        reported: { [a]: sa, [b]: null, [c]: null },
        at: { [b]: { path: 'win/creds-nobom.txt', line: 2 }, [c]: { path: 'mac/creds-be.txt', line: 3 } },
      };
    },
  },
  {
    name: "a Kubernetes Secret's data values and a dockerconfigjson auth are decoded one level",
    build: () => {
      const [a, b] = [makeKeyId(), makeKeyId()];
      const sa = makeSecret();
      const b64 = (t: string) => Buffer.from(t).toString('base64');
      return {
        files: {
          'k8s/secret.yaml': `apiVersion: v1\nkind: Secret\ndata:\n  AWS_ACCESS_KEY_ID: ${b64(a)}\n  AWS_SECRET_ACCESS_KEY: ${b64(sa)}\n`,
          'k8s/pull.json': `{\n  "auths": {\n    "ecr": { "auth": "${b64(`${b}:x`)}" }\n  }\n}\n`,
        },
        reported: { [a]: sa, [b]: null },
        at: { [a]: { path: 'k8s/secret.yaml', line: 4 }, [b]: { path: 'k8s/pull.json', line: 3 } },
      };
    },
  },
];

describe.each(['--no-git', '--all'] as const)('detection precision (%s)', (mode) => {
  it.each(cases.filter((c) => (c.modes ?? [mode]).includes(mode)))('$name', async (c) => {
    const built = c.build();
    const { files, suppressed = {}, at = {} } = built;
    const reported = (mode === '--no-git' && built.reportedNoGit) || built.reported;
    const { report, secrets } = await scanFiles(mode, files);
    const got = Object.fromEntries(report.findings.map((f) => [f.keyId, f.secretRedacted]));
    expect(got).toEqual(
      Object.fromEntries(Object.entries(reported).map(([k, s]) => [k, s === null ? null : redacted(s)])),
    );
    for (const [k, s] of Object.entries(reported)) {
      if (s === null) expect(secrets.get(k)?.secrets ?? []).toEqual([]);
      else expect(secrets.get(k)!.secrets[0]).toBe(s);
    }
    expect(Object.fromEntries(report.suppressed.map((s) => [s.keyId, s.reason]))).toEqual(suppressed);
    for (const [k, where] of Object.entries(at)) {
      const f = report.findings.find((x) => x.keyId === k)!;
      expect(f.locations[0]).toMatchObject(where);
    }
  });
});
