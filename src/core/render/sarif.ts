import { VERSION } from '../../version.js';
import type { Finding, LoneSecret, Location, ScanReport } from '../types.js';
import { messageText } from './where.js';

const INFO_URI = 'https://github.com/keyleak/keyleak-action';

const RULES = [
  {
    id: 'aws-access-key-pair',
    name: 'AwsAccessKeyPair',
    shortDescription: { text: 'AWS access key id and secret access key committed' },
    fullDescription: {
      text: 'An AWS access key id was committed together with its secret access key. Anyone who can read the repository history can act as the key owner until the key is deactivated.',
    },
    severity: '9.8',
    level: 'error',
  },
  {
    id: 'aws-access-key-id',
    name: 'AwsAccessKeyId',
    shortDescription: { text: 'AWS access key id committed' },
    fullDescription: {
      text: 'An AWS access key id was committed. No secret was found next to it, but the secret may be elsewhere (another file, a log, a chat) and the id reveals the AWS account.',
    },
    severity: '7.5',
    level: 'error',
  },
  {
    id: 'aws-secret-access-key',
    name: 'AwsSecretAccessKey',
    shortDescription: { text: 'AWS secret access key committed without its key id' },
    fullDescription: {
      text: 'A value labelled as an AWS secret access key was committed, with no key id in the same file or commit. It cannot be verified without its key id, but whoever has the id (from another file, a log, a chat) can act as the key owner: find the key and rotate it.',
    },
    severity: '8.8',
    level: 'error',
  },
] as const;

const LONE_HELP = `Treat the secret as compromised:
1. Find its key id: in IAM, list the access keys of the users and roles that could hold it and compare their last use with when the secret was committed; CloudTrail shows what each candidate key did since.
2. Rotate: issue a new key to its owner through a secret store, then deactivate and delete the old one.
3. Clean it out of history — rewriting is not remediation, rotation comes first.`;

const HELP = `Treat the key as compromised:
1. Deactivate the key in IAM (deactivation is reversible; deletion is not) and revoke sessions minted from it.
2. Review its CloudTrail activity in every region (keyleak trail --key <KEYID>).
3. Remove resources and principals created with it.
4. Rotate: issue a new key to its owner through a secret store, never through the repository.
5. Clean it out of history (keyleak rewrite-plan) — rewriting is not remediation, containment comes first.`;

function resultsFor(f: Finding) {
  const ruleIndex = f.secretFound ? 0 : 1;
  const v = f.verification;
  const verdict =
    v?.status === 'wrong-secret'
      ? ' Verification: the key exists and is active; the secret found is not its secret.'
      : v
        ? ` Verification: ${v.status}.`
        : '';
  const text = f.secretFound
    ? `AWS access key ${f.keyId} committed with ${v?.status === 'wrong-secret' ? 'a secret access key' : 'its secret access key'} (${f.secretRedacted}).${verdict}`
    : `AWS access key id ${f.keyId} committed.${verdict}`;
  return perLocation(f.locations, f.fingerprint, ruleIndex, text, (l) => ({
    keyId: f.keyId,
    commit: l.commit,
    accountId: f.accountId,
    ...(v ? { verification: v.status } : {}),
  }));
}

function loneResultsFor(s: LoneSecret) {
  const text = `AWS secret access key committed without its key id (${s.secretRedacted}); it cannot be verified.`;
  return perLocation(s.locations, s.fingerprint, 2, text, (l) => ({ commit: l.commit }));
}

/** One result per file and line: code scanning tracks alerts by location, not by commit. */
function perLocation(
  locations: readonly Location[],
  fingerprint: string,
  ruleIndex: number,
  text: string,
  properties: (l: Location) => Record<string, unknown>,
) {
  const rule = RULES[ruleIndex]!;
  const seen = new Set<string>();
  const out = [];
  for (const l of locations) {
    // A message has no file: the one git edits it in stands for it (a tag's message, TAG_EDITMSG).
    const path = l.path ?? (l.tag ? '.git/TAG_EDITMSG' : '.git/COMMIT_EDITMSG');
    const id = `${path}:${l.line}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({
      ruleId: rule.id,
      ruleIndex,
      level: rule.level,
      message: {
        text:
          l.path === null
            ? `${text} It is in the ${l.tag ? `${messageText(l)} (tag object ${l.commit})` : `message of commit ${l.commit}`}.`
            : `${text}${l.commit ? ` Introduced in commit ${l.commit}.` : ''}`,
      },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: path.split('/').map(encodeURIComponent).join('/') },
            region: { startLine: l.line },
          },
        },
      ],
      partialFingerprints: { 'keyleak/v1': `${fingerprint.slice('keyleak:v1:'.length)}:${id}` },
      properties: properties(l),
    });
  }
  return out;
}

/**
 * Code scanning keeps one set of alerts per category and closes, at each upload, the alerts of that
 * category the upload no longer contains. A range scan (a push, a pull request) only reports what the
 * range added, so sharing a category with the whole-history scan would close every alert the range did
 * not touch: each kind of scan gets a category of its own.
 */
export const SARIF_CATEGORIES = {
  full: 'keyleak/full',
  push: 'keyleak/push',
  'pull-request': 'keyleak/pull-request',
  rescan: 'keyleak/rescan',
  range: 'keyleak/range',
  staged: 'keyleak/staged',
  directory: 'keyleak/directory',
} as const;
export type SarifCategory = (typeof SARIF_CATEGORIES)[keyof typeof SARIF_CATEGORIES];

/** The category of a CLI scan, from what it scanned. */
export function sarifCategoryOf(report: ScanReport): SarifCategory {
  switch (report.stats.mode) {
    case 'all':
      return SARIF_CATEGORIES.full;
    case 'range':
      return SARIF_CATEGORIES.range;
    case 'staged':
      return SARIF_CATEGORIES.staged;
    default:
      return SARIF_CATEGORIES.directory;
  }
}

/** SARIF 2.1.0 for `github/codeql-action/upload-sarif`. Secrets appear only in their redacted form. */
export function renderSarif(report: ScanReport, category: SarifCategory = sarifCategoryOf(report)): string {
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        // GitHub takes the category from the part of the id before its last slash.
        automationDetails: { id: `${category}/` },
        tool: {
          driver: {
            name: 'keyleak',
            semanticVersion: VERSION,
            informationUri: INFO_URI,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: r.shortDescription,
              fullDescription: r.fullDescription,
              help:
                r.id === 'aws-secret-access-key'
                  ? { text: LONE_HELP, markdown: LONE_HELP }
                  : { text: HELP, markdown: HELP },
              helpUri: INFO_URI,
              defaultConfiguration: { level: r.level },
              properties: {
                'security-severity': r.severity,
                tags: ['security', 'secret', 'aws'],
                precision: 'very-high',
              },
            })),
          },
        },
        results: [
          ...report.findings.flatMap(resultsFor),
          ...(report.loneSecrets ?? []).flatMap(loneResultsFor),
        ],
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
